"""The case file page, shared by every view that acts on a case and may have to show it again."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy

from cocdesk import access, clock, stepup
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


# The page's sections (anchors). After a POST the page returns to the section acted on, with the
# message or the error at the top of it (`?at=` names it: the fragment never reaches the server).
SECTIONS = (
    "summary",
    "report",
    "people",
    "owners",
    "reporter",
    "discussion",
    "decisions",
    "conversations",
    "follow-ups",
    "law",
    "state",
    "transparency",
    "messages",
    "evidence",
    "timeline",
    "step-away",
)
PROPOSAL_ANCHOR = re.compile(r"proposal-\d{1,12}")
RECENT = 5  # posts and timeline entries shown before "Show earlier …"
# Which section each of the page's forms belongs to.
FORM_SECTIONS = {
    "note_form": "timeline",
    "owners_form": "owners",
    "post_form": "discussion",
    "proposal_form": "decisions",
    "round_form": "decisions",
    "transition_form": "state",
    "context_form": "conversations",
    "follow_up_form": "follow-ups",
    "law_form": "law",
    "stepup_form": "reporter",
    "transparency_form": "transparency",
}


def case_page(request: HttpRequest, case: Case, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    """The case file: a short summary at the top (state, owners, what waits, the next deadline),
    then its sections. `bound` replaces an empty form with the one that failed, keeping its text;
    its errors are shown at the top of its section. A closed case shows no action forms."""
    participants = selectors.case_participants(case=case)
    closed = case.state == State.CLOSED
    acted = request.GET.get("at", "")
    failed = next(iter(bound.items()), None)
    if failed is not None:
        acted = FORM_SECTIONS.get(failed[0], acted)
    deadlines = [] if closed else deadline_selectors.case_deadlines_for(case=case)
    # On a phone a long case is thousands of pixels: the newest posts and entries show, the earlier
    # ones fold away (the Markdown export has everything).
    posts = list(case.posts.select_related("author"))
    timeline = list(selectors.case_timeline(case=case))
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
        "timeline_earlier": timeline[:-RECENT],
        "timeline_recent": timeline[-RECENT:],
        "attachments": case.attachments.all(),
        "participants": participants,
        "owners": case.owners.select_related("member"),
        "needs_owners": selectors.case_needs_owners(case=case),
        "posts_earlier": posts[:-RECENT],
        "posts_recent": posts[-RECENT:],
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
        "closed": closed,
        "acted": acted if acted in SECTIONS or PROPOSAL_ANCHOR.fullmatch(acted) else "",
        # A vote's message sits in its proposal, where the page lands.
        "acted_proposal": int(acted.split("-")[1]) if PROPOSAL_ANCHOR.fullmatch(acted) else None,
        "failed_form": failed[1] if failed else None,
        "waiting": selectors.case_waiting(case=case, member=request.user),
        "next_deadline": deadlines[0] if deadlines else None,
        "now": clock.now(),
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
    done: str = "",
) -> HttpResponse:
    """Validate `form` and run `act` (a service call) with its data, then return to the form's
    section with `done` at the top of it; on a form error or a refusal show the case page again,
    the form keeping what was typed and its errors at the top of its section."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            refusal_to_form(form, exc)
        else:
            if done:
                messages.success(request, done)
            return redirect(case_url(case, FORM_SECTIONS.get(form_name, "")))
    return case_page(request, case, status=400, **{form_name: form})


def case_url(case: Case, anchor: str = "", *, section: str = "") -> str:
    """The case page at `anchor`, its message shown at the top of `section` (default: the anchor's)."""
    url = reverse("cases:detail", kwargs={"reference": case.reference})
    if not anchor:
        return url
    return f"{url}?{urlencode({'at': section or anchor})}#{anchor}"
