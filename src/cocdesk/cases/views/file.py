"""The case file: the conflict prompt, reading the file, adding to it, evidence, exports, the
reporter's contact details, the search for the reported person."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence, exports, selectors, services
from cocdesk.cases.forms import DeclarationForm, NoteForm
from cocdesk.cases.models import Case, TimelineKind
from cocdesk.cases.views.page import case_action, case_page, case_url
from cocdesk.errors import Refused
from cocdesk.web import refusal_to_messages, require, step_up_required, with_case


@require(access.is_committee_member)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The case file for participants; the conflict prompt for members who have not declared."""
    case = selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        pending = selectors.case_awaiting_declaration(user=request.user, reference=reference)
        if pending is None:
            raise Http404
        audit_record(actor=request.user, action="case.prompt_read", target=pending)
        return _prompt(request, pending, DeclarationForm())
    audit_record(actor=request.user, action="case.read", target=case)
    services.case_visit_record(case=case, member=request.user)
    return case_page(request, case)


def _prompt(request: HttpRequest, case: Case, form: DeclarationForm, *, status: int = 200) -> HttpResponse:
    context = {"case": case, "prompt": selectors.case_prompt(case=case), "form": form}
    return render(request, "cases/declare.html", context, status=status)


@require_POST
@sensitive_post_parameters()
@require(access.is_committee_member)
def case_declare(request: HttpRequest, reference: str) -> HttpResponse:
    """Answer the prompt: no conflict (join the case) or conflict (see nothing more)."""
    case = selectors.case_awaiting_declaration(
        user=request.user, reference=reference
    ) or selectors.case_visible(user=request.user, reference=reference)
    if case is None:
        raise Http404
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return _prompt(request, case, form, status=400)
    has_conflict = form.cleaned_data["answer"] == "conflict"
    services.conflict_declare(case=case, member=request.user, has_conflict=has_conflict)
    if has_conflict:
        messages.info(request, _("Thank you. You will not see anything more of this report."))
        return redirect("dashboard")
    if selectors.case_lacks_reported_people(case=case):
        # Emailed reports record only their sender: the others cannot tell whether they have a
        # conflict until someone adds the reported people, so the first to take part is asked first.
        messages.info(
            request,
            _("Thank you. Before anything else, please add the reported person or people the report names."),
        )
        return redirect("intake:people", reference=case.reference)
    return redirect("cases:detail", reference=case.reference)


@require_POST
@sensitive_post_parameters()
@with_case
def case_recuse(request: HttpRequest, case: Case) -> HttpResponse:
    """Step away from a case at any time; access ends with this request."""
    services.conflict_set(case=case, member=request.user)
    messages.info(request, _("You have stepped away from this case. You will not see it any more."))
    return redirect("dashboard")


@require_POST
@sensitive_post_parameters()
@with_case
def case_note_add(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "note_form",
        NoteForm(request.POST),
        lambda data: services.timeline_add(
            case=case, author=request.user, kind=TimelineKind.NOTE, text=data["text"]
        ),
    )


@with_case
def attachment_download(request: HttpRequest, case: Case, attachment_id: int) -> HttpResponse:
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


@sensitive_post_parameters("code")
@with_case
@step_up_required
def case_contact(request: HttpRequest, case: Case) -> HttpResponse:
    """After a fresh TOTP code the reporter's contact details show on the case page (15 minutes)."""
    audit_record(actor=request.user, action="case.step_up", target=case)
    return redirect(case_url(case, "reporter"))


@sensitive_post_parameters("code")
@with_case
@step_up_required
def case_export(request: HttpRequest, case: Case) -> HttpResponse:
    """The whole record as Markdown, for the committee. Needs a fresh step-up; audited."""
    audit_record(actor=request.user, action="case.exported", target=case)
    response = HttpResponse(exports.case_markdown(case=case), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.md"'
    return response


def _search_change(request: HttpRequest, case: Case, change) -> HttpResponse:
    try:
        change(case=case, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    return redirect("deadlines:case", reference=case.reference)


@require_POST
@with_case
def search_start(request: HttpRequest, case: Case) -> HttpResponse:
    """Searching for the reported person at an event: the reporter is then due daily updates."""
    return _search_change(request, case, services.case_search_start)


@require_POST
@with_case
def search_end(request: HttpRequest, case: Case) -> HttpResponse:
    return _search_change(request, case, services.case_search_end)
