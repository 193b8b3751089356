"""Working on a case (D4): owners, discussion, state, proposals and votes, talking to the reported
person, re-evaluation, law enforcement, follow-ups, rejoining members."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk.cases import selectors, services
from cocdesk.cases.forms import (
    ConversationForm,
    LawEnforcementForm,
    OwnersForm,
    PostForm,
    ProposalForm,
    RoundForm,
    TextForm,
    TransitionForm,
    VoteForm,
)
from cocdesk.cases.models import Case
from cocdesk.cases.views.page import CONTEXT_LABEL, FOLLOW_UP_LABEL, case_action, case_url
from cocdesk.errors import Refused
from cocdesk.web import refusal_to_form, with_case


@require_POST
@sensitive_post_parameters()
@with_case
def case_owners(request: HttpRequest, case: Case) -> HttpResponse:
    form = OwnersForm(request.POST, participants=selectors.case_participants(case=case))
    return case_action(
        request,
        case,
        "owners_form",
        form,
        lambda data: services.owners_set(
            case=case, primary=data["primary"], secondary=data["secondary"], by=request.user
        ),
        done=_("The owners are saved."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_post(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "post_form",
        PostForm(request.POST),
        lambda data: services.discussion_post_add(case=case, author=request.user, body=data["body"]),
        done=_("Your post is in the discussion."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_state(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "transition_form",
        TransitionForm(request.POST),
        lambda data: services.case_transition(
            case=case, to=data["to"], by=request.user, resolution=data.get("resolution", "")
        ),
        done=_("The case's state is changed, and it is on the timeline."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_proposal(request: HttpRequest, case: Case) -> HttpResponse:
    form = ProposalForm(request.POST)
    return case_action(
        request,
        case,
        "proposal_form",
        form,
        lambda data: services.proposal_create(
            case=case,
            kind=data["kind"],
            text=data["text"],
            by=request.user,
            consequences=[services.ConsequenceInput(**c) for c in form.consequences()],
        ),
        done=_("Your proposal is open for votes."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_vote(request: HttpRequest, case: Case, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(case.proposals, pk=proposal_id)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            services.vote_cast(proposal=proposal, member=request.user, choice=form.cleaned_data["choice"])
        except Refused as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your vote is counted."))
    return redirect(case_url(case, f"proposal-{proposal.pk}"))


@require_POST
@sensitive_post_parameters()
@with_case
def case_round(request: HttpRequest, case: Case) -> HttpResponse:
    """Re-evaluation: open a new decision round for questions already decided."""
    return case_action(
        request,
        case,
        "round_form",
        RoundForm(request.POST),
        lambda data: services.decision_round_open(case=case, by=request.user, questions=data["questions"]),
        done=_("A new decision round is open for the questions you chose."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_context(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "context_form",
        TextForm(request.POST, label=CONTEXT_LABEL),
        lambda data: services.context_add(case=case, by=request.user, text=data["text"]),
        done=_("The new context is added."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_follow_up(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "follow_up_form",
        TextForm(request.POST, label=FOLLOW_UP_LABEL),
        lambda data: services.follow_up_add(case=case, by=request.user, text=data["text"]),
        done=_("The follow-up is recorded."),
    )


@require_POST
@sensitive_post_parameters()
@with_case
def case_law_requested(request: HttpRequest, case: Case) -> HttpResponse:
    try:
        services.law_enforcement_request_record(case=case, by=request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded: the reporter asked for law enforcement."))
    return redirect(case_url(case, "law"))


@require_POST
@sensitive_post_parameters()
@with_case
def case_law_record(request: HttpRequest, case: Case) -> HttpResponse:
    return case_action(
        request,
        case,
        "law_form",
        LawEnforcementForm(request.POST),
        lambda data: services.law_enforcement_record(
            case=case, by=request.user, shared=data["shared"], shared_on=data["shared_on"]
        ),
        done=_("Recorded. The community manager is told."),
    )


@sensitive_post_parameters()
@with_case
def case_conversation(request: HttpRequest, case: Case) -> HttpResponse:
    """A guided page for recording a conversation with the reported person (the plan's script)."""
    form = ConversationForm(request.POST or None, participants=selectors.case_participants(case=case))
    if request.method == "POST" and form.is_valid():
        try:
            services.conversation_record(case=case, by=request.user, talk=form.conversation())
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("The conversation is recorded."))
            return redirect(case_url(case, "conversations"))
    return render(
        request, "cases/conversation.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


@require_POST
@sensitive_post_parameters()
@with_case
def rejoin_agree(request: HttpRequest, case: Case, member_id: int) -> HttpResponse:
    declaration = get_object_or_404(selectors.rejoin_requests(case=case), member_id=member_id)
    try:
        services.conflict_rejoin_agree(case=case, member=declaration.member, by=request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you. They take part from now on."))
    return redirect(case_url(case, "people"))


@require_POST
@sensitive_post_parameters()
@with_case
def possible_clear(request: HttpRequest, case: Case, member_id: int) -> HttpResponse:
    """A member taking part says a member held as possibly involved is not the person named."""
    declaration = get_object_or_404(selectors.possibly_involved(case=case), member_id=member_id)
    try:
        services.conflict_possible_clear(case=case, member=declaration.member, by=request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you. They will be asked about a conflict as usual."))
    return redirect(case_url(case, "people"))
