"""Case pages: the conflict prompt, the case file, attachments, declarations. Thin views: every
object is fetched through the access policy; anything the user may not see answers 404."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access, stepup
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence, selectors, services
from cocdesk.cases.forms import DeclarationForm, NoteForm
from cocdesk.cases.models import Case, PartyRole, TimelineKind


def _visible_or_404(request: HttpRequest, reference: str) -> Case:
    case = selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        raise Http404
    return case


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
    context = {
        "case": case,
        "parties": case.parties.all(),
        "reporter_parties": [p for p in case.parties.all() if p.role == PartyRole.REPORTER],
        "contact_revealed": stepup.is_fresh(request),
        "stepup_form": stepup.StepUpForm(),
        "timeline": selectors.case_timeline(case=case),
        "attachments": case.attachments.all(),
        "participants": selectors.case_participants(case=case),
        "owners": case.owners.select_related("member"),
        "note_form": NoteForm(),
    }
    return render(request, "cases/detail.html", context)


@require_POST
def case_declare(request: HttpRequest, reference: str) -> HttpResponse:
    """Answer the prompt: no conflict (join the case) or conflict (see nothing more)."""
    case = selectors.case_awaiting_declaration(
        user=request.user, reference=reference
    ) or selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        raise Http404
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "cases/declare.html",
            {"case": case, "parties": selectors.prompt_party_names(case=case), "form": form},
            status=400,
        )
    has_conflict = form.cleaned_data["answer"] == "conflict"
    services.conflict_declare(case=case, member=request.user, has_conflict=has_conflict)
    if has_conflict:
        messages.info(request, _("Thank you. You will not see anything more of this report."))
        return redirect("dashboard")
    return redirect("cases:detail", reference=case.reference)


@require_POST
def case_recuse(request: HttpRequest, reference: str) -> HttpResponse:
    """Step away from a case at any time; access ends with this request."""
    case = _visible_or_404(request, reference)
    services.conflict_set(case=case, member=request.user)
    messages.info(request, _("You have stepped away from this case. You will not see it any more."))
    return redirect("dashboard")


@require_POST
def case_note_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_or_404(request, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.timeline_add(
            case=case, author=request.user, kind=TimelineKind.NOTE, text=form.cleaned_data["text"]
        )
        return redirect("cases:detail", reference=case.reference)
    messages.error(request, _("The note was empty, so nothing was added."))
    return redirect("cases:detail", reference=case.reference)


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
    """Re-enter the TOTP code (valid 15 minutes) before a named reporter's contact details show."""
    case = _visible_or_404(request, reference)
    form = stepup.StepUpForm(request.POST)
    if form.is_valid() and stepup.verify(request, form.cleaned_data["code"]):
        audit_record(actor=request.user, action="case.contact_revealed", target=case)
        return redirect(f"/cases/{case.reference}/#reporter")
    messages.error(request, _("That code did not match. Please try again."))
    return redirect(f"/cases/{case.reference}/#reporter")


def cases_index(request: HttpRequest) -> HttpResponse:
    if not access.is_committee_member(request.user):
        raise Http404
    return render(
        request,
        "cases/list.html",
        {
            "cases": selectors.cases_list(user=request.user),
            "awaiting": selectors.cases_awaiting_list(user=request.user),
        },
    )
