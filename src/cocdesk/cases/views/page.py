"""The case file page, shared by every view that acts on a case and may have to show it again."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy

from cocdesk import access, stepup
from cocdesk.cases import selectors
from cocdesk.cases.forms import (
    LawEnforcementForm,
    NoteForm,
    OwnersForm,
    PostForm,
    ProposalForm,
    RoundForm,
    TextForm,
    TransitionForm,
)
from cocdesk.cases.models import Case, PartyRole, State
from cocdesk.cases.services import TRANSITIONS
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.transparency.forms import case_summary_form_for
from cocdesk.transparency.selectors import reports_asking_team_of
from cocdesk.web import refusal_to_form

CONTEXT_LABEL = _lazy("New context, e.g. what the reported person told us")
FOLLOW_UP_LABEL = _lazy("What the reporter was told, and what happens next")


def case_page(request: HttpRequest, case: Case, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    """The case file. `bound` replaces an empty form with the one that failed, keeping its text."""
    participants = selectors.case_participants(case=case)
    decisions = selectors.case_decisions(case=case, member=request.user)
    page_forms = {
        "note_form": NoteForm(),
        "owners_form": OwnersForm(participants=participants),
        "post_form": PostForm(),
        "proposal_form": ProposalForm(),
        "round_form": RoundForm(decided=[q.kind for q in decisions.decided]),
        "transition_form": TransitionForm(allowed=TRANSITIONS.get(case.state, set())),
        "context_form": TextForm(label=CONTEXT_LABEL),
        "follow_up_form": TextForm(label=FOLLOW_UP_LABEL),
        "law_form": LawEnforcementForm(),
        "stepup_form": stepup.StepUpForm(),
        "transparency_form": case_summary_form_for(case=case),
    }
    page_forms.update(bound)
    parties = case.parties.all()
    context = {
        "case": case,
        "parties": parties,
        "reporter_parties": [p for p in parties if p.role == PartyRole.REPORTER],
        "contact_revealed": stepup.is_fresh(request),
        "timeline": selectors.case_timeline(case=case),
        "attachments": case.attachments.all(),
        "participants": participants,
        "owners": case.owners.select_related("member"),
        "needs_owners": selectors.case_needs_owners(case=case),
        "posts": case.posts.select_related("author"),
        "decisions": decisions,
        "conversations": case.conversations.prefetch_related("members"),
        "law_records": case.law_enforcement_records.all(),
        "follow_ups": case.follow_ups.select_related("author"),
        "reporter_messages": case.messages.select_related("author"),
        "round": decisions.round,
        "rejoin_requests": selectors.rejoin_requests(case=case),
        "possibly_involved": selectors.possibly_involved(case=case),
        "undeclared": selectors.case_undeclared_names(case=case),
        "lacks_reported_people": selectors.case_lacks_reported_people(case=case),
        "transparency_asked": reports_asking_team_of(case=case),
        # A closed case shows when its content is deleted (the committee's retention settings, D5).
        "retention": deadline_selectors.case_retention(case=case) if case.state == State.CLOSED else None,
        "may_extend_retention": case.state == State.CLOSED
        and access.may_extend_retention(request.user, case),
        **page_forms,
    }
    return render(request, "cases/detail.html", context, status=status)


def case_action(
    request: HttpRequest,
    case: Case,
    form_name: str,
    form: forms.Form,
    act: Callable[[dict], object],
    *,
    anchor: str = "",
) -> HttpResponse:
    """Validate `form` and run `act` (a service call) with its data; on a form error or a refusal
    show the case page again, the form keeping what was typed."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            refusal_to_form(form, exc)
        else:
            return redirect(case_url(case, anchor))
    return case_page(request, case, status=400, **{form_name: form})


def case_url(case: Case, anchor: str = "") -> str:
    """The case page, at the section `anchor` when given."""
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    return f"{url}#{anchor}" if anchor else url
