"""Case pages: the conflict prompt, the case file and its work, exports. Thin views: every object
is fetched through the access policy; anything the user may not see answers 404, and nothing
changes. A form that does not validate re-renders the case page with what was typed."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access, stepup
from cocdesk.audit.services import audit_record
from cocdesk.cases import deliberation, evidence, exports, selectors, services
from cocdesk.cases.forms import (
    CatalogItemForm,
    ConversationForm,
    DeclarationForm,
    LawEnforcementForm,
    NoteForm,
    OwnersForm,
    PostForm,
    ProposalForm,
    TextForm,
    TransitionForm,
    VoteForm,
    tri_state,
)
from cocdesk.cases.models import Case, ConsequenceCatalogItem, PartyRole, State, TimelineKind
from cocdesk.transparency.forms import case_summary_form_for

CONTEXT_LABEL = _lazy("New context, e.g. what the reported person told us")
FOLLOW_UP_LABEL = _lazy("What the reporter was told, and what happens next")


def _visible_or_404(request: HttpRequest, reference: str) -> Case:
    case = selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        raise Http404
    return case


def _case_page(request: HttpRequest, case: Case, *, status: int = 200, **bound) -> HttpResponse:
    """The case file. `bound` replaces an empty form with the one that failed, keeping its text."""
    participants = selectors.case_participants(case=case)
    forms = {
        "note_form": NoteForm(),
        "owners_form": OwnersForm(participants=participants),
        "post_form": PostForm(),
        "proposal_form": ProposalForm(),
        "transition_form": TransitionForm(allowed=deliberation.TRANSITIONS.get(case.state, set())),
        "context_form": TextForm(label=CONTEXT_LABEL),
        "follow_up_form": TextForm(label=FOLLOW_UP_LABEL),
        "law_form": LawEnforcementForm(),
        "stepup_form": stepup.StepUpForm(),
        "transparency_form": case_summary_form_for(case=case),
    }
    forms.update(bound)
    context = {
        "case": case,
        "parties": case.parties.all(),
        "reporter_parties": [p for p in case.parties.all() if p.role == PartyRole.REPORTER],
        "contact_revealed": stepup.is_fresh(request),
        "timeline": selectors.case_timeline(case=case),
        "attachments": case.attachments.all(),
        "participants": participants,
        "owners": case.owners.select_related("member"),
        "needs_owners": deliberation.needs_owners(case),
        "posts": case.posts.select_related("author"),
        "proposals": selectors.case_proposals(case=case, member=request.user),
        "conversations": case.conversations.prefetch_related("members"),
        "law_records": case.law_enforcement_records.all(),
        "follow_ups": case.follow_ups.select_related("author"),
        "reporter_messages": case.messages.select_related("author"),
        "round": deliberation.current_round(case),
        "rejoin_requests": selectors.rejoin_requests(case=case),
        **forms,
    }
    return render(request, "cases/detail.html", context, status=status)


def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The case file for participants; the conflict prompt for members who have not declared."""
    case = selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        pending = selectors.case_awaiting_declaration(user=request.user, reference=reference)
        if pending is None:
            raise Http404
        audit_record(actor=request.user, action="case.prompt_read", target=pending)
        context = {
            "case": pending,
            "parties": selectors.prompt_party_names(case=pending),
            "form": DeclarationForm(),
        }
        return render(request, "cases/declare.html", context)
    audit_record(actor=request.user, action="case.read", target=case)
    return _case_page(request, case)


def _case_action(
    request: HttpRequest, reference: str, form_name: str, form: object, act: Callable[[Case, dict], object]
) -> HttpResponse:
    """Validate `form`, run `act` (a service call); on a form or rule error show the page again."""
    case = _visible_or_404(request, reference)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect(f"/cases/{case.reference}/")
    return _case_page(request, case, status=400, **{form_name: form})


@require_POST
@sensitive_post_parameters()
def case_declare(request: HttpRequest, reference: str) -> HttpResponse:
    """Answer the prompt: no conflict (join the case) or conflict (see nothing more)."""
    case = selectors.case_awaiting_declaration(
        user=request.user, reference=reference
    ) or selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        raise Http404
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        context = {"case": case, "parties": selectors.prompt_party_names(case=case), "form": form}
        return render(request, "cases/declare.html", context, status=400)
    has_conflict = form.cleaned_data["answer"] == "conflict"
    services.conflict_declare(case=case, member=request.user, has_conflict=has_conflict)
    if has_conflict:
        messages.info(request, _("Thank you. You will not see anything more of this report."))
        return redirect("dashboard")
    return redirect("cases:detail", reference=case.reference)


@require_POST
@sensitive_post_parameters()
def case_recuse(request: HttpRequest, reference: str) -> HttpResponse:
    """Step away from a case at any time; access ends with this request."""
    case = _visible_or_404(request, reference)
    services.conflict_set(case=case, member=request.user)
    messages.info(request, _("You have stepped away from this case. You will not see it any more."))
    return redirect("dashboard")


@require_POST
@sensitive_post_parameters()
def case_note_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "note_form",
        NoteForm(request.POST),
        lambda case, data: services.timeline_add(
            case=case, author=request.user, kind=TimelineKind.NOTE, text=data["text"]
        ),
    )


@require_POST
@sensitive_post_parameters()
def case_owners(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_or_404(request, reference)
    form = OwnersForm(request.POST, participants=selectors.case_participants(case=case))
    return _case_action(
        request,
        reference,
        "owners_form",
        form,
        lambda case, data: deliberation.owners_set(
            case=case, primary=data["primary"], secondary=data["secondary"], by=request.user
        ),
    )


@require_POST
@sensitive_post_parameters()
def case_post(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "post_form",
        PostForm(request.POST),
        lambda case, data: deliberation.discussion_post_add(
            case=case, author=request.user, body=data["body"]
        ),
    )


@require_POST
@sensitive_post_parameters()
def case_state(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "transition_form",
        TransitionForm(request.POST),
        lambda case, data: deliberation.case_transition(
            case=case, to=data["to"], by=request.user, resolution=data.get("resolution", "")
        ),
    )


@require_POST
@sensitive_post_parameters()
def case_proposal(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: Case, data: dict) -> None:
        deliberation.proposal_create(
            case=case,
            kind=data["kind"],
            text=data["text"],
            by=request.user,
            consequences=[deliberation.ConsequenceInput(**c) for c in form.consequences()],
        )

    form = ProposalForm(request.POST)
    return _case_action(request, reference, "proposal_form", form, act)


@require_POST
@sensitive_post_parameters()
def case_vote(request: HttpRequest, reference: str, proposal_id: int) -> HttpResponse:
    case = _visible_or_404(request, reference)
    proposal = get_object_or_404(case.proposals, pk=proposal_id)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            deliberation.vote_cast(proposal=proposal, member=request.user, choice=form.cleaned_data["choice"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(f"/cases/{case.reference}/#proposal-{proposal.pk}")


@require_POST
@sensitive_post_parameters()
def case_context(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "context_form",
        TextForm(request.POST, label=CONTEXT_LABEL),
        lambda case, data: deliberation.context_add(case=case, by=request.user, text=data["text"]),
    )


@require_POST
@sensitive_post_parameters()
def case_follow_up(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "follow_up_form",
        TextForm(request.POST, label=FOLLOW_UP_LABEL),
        lambda case, data: deliberation.follow_up_add(case=case, by=request.user, text=data["text"]),
    )


@require_POST
@sensitive_post_parameters()
def case_law_requested(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_or_404(request, reference)
    deliberation.law_enforcement_request_record(case=case, by=request.user)
    return redirect(f"/cases/{case.reference}/#law")


@require_POST
@sensitive_post_parameters()
def case_law_record(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        "law_form",
        LawEnforcementForm(request.POST),
        lambda case, data: deliberation.law_enforcement_record(
            case=case, by=request.user, shared=data["shared"], shared_on=data["shared_on"]
        ),
    )


@sensitive_post_parameters()
def case_conversation(request: HttpRequest, reference: str) -> HttpResponse:
    """A guided page for recording a conversation with the reported person (the plan's script)."""
    case = _visible_or_404(request, reference)
    participants = selectors.case_participants(case=case)
    form = ConversationForm(request.POST or None, participants=participants)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        talk = deliberation.ConversationInput(
            held_on=data["held_on"],
            members=list(data["members"]),
            behavior=data["behavior"],
            context=data["context"],
            impact=data["impact"],
            call_in=data["call_in"],
            plan=data["plan"],
            response=data["response"],
            plan_accepted=tri_state(data["plan_accepted"]),
            apology_offered=data["apology_offered"],
            apology_relayed=tri_state(data["apology_relayed"]),
            apology_reason=data["apology_reason"],
        )
        try:
            deliberation.conversation_record(case=case, by=request.user, talk=talk)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect(f"/cases/{case.reference}/#conversations")
    return render(
        request, "cases/conversation.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    case = _visible_or_404(request, reference)
    attachment = get_object_or_404(case.attachments, pk=attachment_id)
    audit_record(actor=request.user, action="attachment.downloaded", target=attachment)
    response = FileResponse(
        io.BytesIO(evidence.read_decrypted(attachment.storage_name)),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=f"{case.reference}-evidence-{attachment.pk}.{attachment.content_type.rsplit('/', 1)[-1]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@sensitive_post_parameters("code")
def case_stepup(request: HttpRequest, reference: str) -> HttpResponse:
    """Re-enter the TOTP code (valid 15 minutes) before contact details show or an export downloads."""
    case = _visible_or_404(request, reference)
    form = stepup.StepUpForm(request.POST)
    if form.is_valid() and stepup.verify(request, form.cleaned_data["code"]):
        audit_record(actor=request.user, action="case.step_up", target=case)
        then_export = request.POST.get("then") == "export"
        return redirect(
            f"/cases/{case.reference}/export/" if then_export else f"/cases/{case.reference}/#reporter"
        )
    messages.error(request, _("That code did not match. Please try again."))
    return redirect(f"/cases/{case.reference}/#reporter")


def case_export(request: HttpRequest, reference: str) -> HttpResponse:
    """The whole record as Markdown, for the committee. Needs a fresh step-up; audited."""
    case = _visible_or_404(request, reference)
    if not stepup.is_fresh(request):
        return render(
            request, "cases/stepup.html", {"case": case, "form": stepup.StepUpForm(), "then": "export"}
        )
    audit_record(actor=request.user, action="case.exported", target=case)
    response = HttpResponse(exports.case_markdown(case=case), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.md"'
    return response


def cases_index(request: HttpRequest) -> HttpResponse:
    """The case list ("the spreadsheet"), with filters and sorting."""
    if not access.is_committee_member(request.user):
        raise Http404
    listing = selectors.CaseListing.from_query(request.GET)
    context = {
        "cases": selectors.cases_list(user=request.user, listing=listing),
        "awaiting": selectors.cases_awaiting_list(user=request.user),
        "listing": listing,
        "listing_states": State.choices,
        "sorts": [
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("state", _("State")),
            ("reference", _("Reference")),
        ],
    }
    return render(request, "cases/list.html", context)


@sensitive_post_parameters("code")
def cases_export_csv(request: HttpRequest) -> HttpResponse:
    """CSV of the case list: step-up, audited; cases the user may not see are simply absent."""
    if not access.may_export(request.user):
        raise Http404
    if request.method == "POST":
        form = stepup.StepUpForm(request.POST)
        if form.is_valid() and stepup.verify(request, form.cleaned_data["code"]):
            return redirect("cases:export_csv")
        messages.error(request, _("That code did not match. Please try again."))
    if not stepup.is_fresh(request):
        return render(
            request, "cases/stepup.html", {"case": None, "form": stepup.StepUpForm(), "then": "csv"}
        )
    listing = selectors.CaseListing.from_query(request.GET)
    rows = selectors.cases_list(user=request.user, listing=listing)
    audit_record(actor=request.user, action="cases.exported_csv", object_type="case", object_id="list")
    response = HttpResponse(exports.cases_csv(cases=rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


@sensitive_post_parameters()
def catalog(request: HttpRequest) -> HttpResponse:
    """The consequence catalog, editable by the committee."""
    if not access.is_committee_member(request.user):
        raise Http404
    form = CatalogItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = None
        if request.POST.get("item"):
            item = get_object_or_404(ConsequenceCatalogItem, pk=request.POST["item"])
        deliberation.catalog_item_save(by=request.user, item=item, **form.cleaned_data)
        return redirect("cases:catalog")
    return render(
        request, "cases/catalog.html", {"items": ConsequenceCatalogItem.objects.all(), "form": form}
    )


def shared_record(request: HttpRequest, record_id: int) -> HttpResponse:
    """The community manager reads exactly what was given to law enforcement, nothing else."""
    record = get_object_or_404(
        access.law_enforcement_records_for(request.user).select_related("case"), pk=record_id
    )
    audit_record(actor=request.user, action="law_enforcement.read", target=record)
    return render(request, "cases/shared_record.html", {"record": record})


def shared_records(request: HttpRequest) -> HttpResponse:
    if not access.is_community_manager(request.user):
        raise Http404
    records = access.law_enforcement_records_for(request.user).select_related("case")
    return render(request, "cases/shared_records.html", {"records": records})


def my_declarations(request: HttpRequest) -> HttpResponse:
    """The cases a member declared a conflict on; from here they may ask to take part after all."""
    if not access.is_committee_member(request.user):
        raise Http404
    return render(
        request,
        "cases/declarations.html",
        {"declarations": selectors.my_declared_conflicts(member=request.user)},
    )


@require_POST
@sensitive_post_parameters()
def rejoin_request(request: HttpRequest, reference: str) -> HttpResponse:
    declaration = get_object_or_404(
        selectors.my_declared_conflicts(member=request.user), case__reference=reference
    )
    services.conflict_rejoin_request(case=declaration.case, member=request.user)
    messages.info(
        request, _("The members taking part have been asked. You will get access once one of them agrees.")
    )
    return redirect("cases:declarations")


@require_POST
@sensitive_post_parameters()
def rejoin_agree(request: HttpRequest, reference: str, member_id: int) -> HttpResponse:
    case = _visible_or_404(request, reference)
    declaration = get_object_or_404(selectors.rejoin_requests(case=case), member_id=member_id)
    services.conflict_rejoin_agree(case=case, member=declaration.member, by=request.user)
    return redirect(f"/cases/{case.reference}/#people")
