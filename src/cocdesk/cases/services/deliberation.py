"""Deciding a case (D4): its state, owners, discussion, proposals and votes, the consequence catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cocdesk import access, clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import (
    Case,
    ConsequenceCatalogItem,
    DecisionRound,
    DiscussionPost,
    IncidentOwner,
    OwnerRole,
    Proposal,
    ProposalConsequence,
    ProposalKind,
    ProposalStatus,
    Resolution,
    RoundReason,
    State,
    TimelineKind,
    Vote,
    VoteChoice,
)
from cocdesk.cases.selectors import (
    case_current_round,
    case_questions,
    case_quorum,
    proposal_tally,
    question_closed_reason,
)
from cocdesk.cases.services.records import require_participant, timeline_add
from cocdesk.errors import Refused
from cocdesk.votes import decision_outcome

if TYPE_CHECKING:
    from cocdesk.members.models import Member

# Which state may follow which. Closing is possible from every open state (with a resolution);
# re-evaluation goes back to deliberation; a closed case reopens into triage.
TRANSITIONS: dict[str, set[str]] = {
    State.NEW: {State.TRIAGE, State.CLOSED},
    State.TRIAGE: {State.DELIBERATION, State.CLOSED},
    State.DELIBERATION: {State.RESPONSE, State.CLOSED},
    State.RESPONSE: {State.FOLLOW_UP, State.DELIBERATION, State.CLOSED},
    State.FOLLOW_UP: {State.DELIBERATION, State.CLOSED},
    State.CLOSED: {State.TRIAGE},
}


def case_lock(case: Case | int) -> Case:
    """Lock the case row for the rest of the transaction (D3, D4).

    Every path that changes who takes part in a case, its votes or its declarations takes this
    lock first and only then touches declarations, owners, proposals or votes: one order, so two
    such changes never deadlock, and a tally computed under the lock counts what is committed."""
    return Case.objects.select_for_update().get(pk=getattr(case, "pk", case))


@transaction.atomic
def case_transition(*, case: Case, to: str, by: Member, resolution: str = "") -> Case:
    """The one way a case changes state: checks the transition, writes the timeline and the audit log."""
    case = case_lock(case)
    if to not in TRANSITIONS.get(case.state, set()):
        raise Refused(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": case.get_state_display(), "to": State(to).label}
        )
    if to == State.CLOSED and resolution not in {r.value for r in Resolution if r.value}:
        raise Refused(_("Please choose how the case was resolved before closing it."))
    previous = case.get_state_display()
    case.state = to
    if to == State.CLOSED:
        case.resolution, case.closed_at = resolution, clock.now()
    elif previous == State.CLOSED.label:
        case.resolution, case.closed_at, case.expunge_at = "", None, None
    case.save(update_fields=["state", "resolution", "closed_at", "expunge_at"])
    text = _("%(from)s → %(to)s") % {"from": previous, "to": case.get_state_display()}
    if to == State.CLOSED:
        text += " (" + case.get_resolution_display() + ")"
    timeline_add(case=case, author=by, kind=TimelineKind.STATE, text=text)
    audit_record(actor=by, action=f"case.state.{to}", target=case)
    return case


FORWARD = [State.NEW, State.TRIAGE, State.DELIBERATION, State.RESPONSE, State.FOLLOW_UP]


def advance(case: Case, to: str, by: Member) -> None:
    """Move forward automatically when work shows the case has reached a later stage (step by step,
    so every step is on the timeline); go back only where a transition allows it (re-evaluation)."""
    case.refresh_from_db(fields=["state"])
    if case.state in FORWARD and FORWARD.index(case.state) < FORWARD.index(to):
        for step in FORWARD[FORWARD.index(case.state) + 1 : FORWARD.index(to) + 1]:
            case = case_transition(case=case, to=step, by=by)
    elif to in TRANSITIONS.get(case.state, set()):
        case_transition(case=case, to=to, by=by)


@transaction.atomic
def owners_set(*, case: Case, primary: Member, secondary: Member, by: Member) -> None:
    """Arrange a primary and a secondary incident owner, both taking part, two different people."""
    if primary == secondary:
        raise Refused(_("The primary and secondary owners need to be two different members."))
    case_lock(case)
    for member in (primary, secondary):
        require_participant(case, member)
    for role, member in ((OwnerRole.PRIMARY, primary), (OwnerRole.SECONDARY, secondary)):
        IncidentOwner.objects.update_or_create(case=case, role=role, defaults={"member": member})
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.OWNERS,
        text=_("Primary owner: %(p)s. Secondary owner: %(s)s.") % {"p": primary.name, "s": secondary.name},
    )
    advance(case, State.TRIAGE, by)


@transaction.atomic
def discussion_post_add(*, case: Case, author: Member, body: str) -> DiscussionPost:
    """A participant writes in the case's discussion. Side effects: the post, audit
    `discussion.posted`, an email at once to the members taking part who asked for new posts at
    once (`notices.discussion_posted`; the others see it in their digest and on their dashboard)."""
    require_participant(case, author)
    post = DiscussionPost.objects.create(case=case, author=author, body=body)
    audit_record(actor=author, action="discussion.posted", target=case)
    notices.discussion_posted(post=post)
    return post


@dataclass
class ConsequenceInput:
    catalog_item: ConsequenceCatalogItem | None = None
    custom: str = ""
    duration: str = ""
    until: date | None = None


@transaction.atomic
def proposal_create(
    *, case: Case, kind: str, text: str, by: Member, consequences: list[ConsequenceInput] | None = None
) -> Proposal:
    """Put an answer to one of the round's questions to the members taking part. Proposals on the
    same question are alternatives (at most one passes). Refused on a question already decided in
    this round, or decided in an earlier one that no re-evaluation round reopened.

    Side effects: the proposal and its consequences, a timeline entry, an audit entry; the case
    moves into deliberation if it was in triage; an email at once to the members taking part who
    asked for votes at once (`notices.proposal_opened`; the others see it in their digest and on their
    dashboard)."""
    case_lock(case)
    require_participant(case, by)
    if kind not in ProposalKind.values:
        raise Refused(_("Please choose which question this proposal answers."))
    if closed := question_closed_reason(case=case, kind=kind):
        raise Refused(closed)
    if kind == ProposalKind.CONSEQUENCES and not consequences:
        raise Refused(_("Please choose at least one consequence, from the list or your own."))
    proposal = Proposal.objects.create(
        case=case, kind=kind, text=text, proposed_by=by, round=case_current_round(case=case)
    )
    for item in consequences or []:
        ProposalConsequence.objects.create(
            proposal=proposal,
            catalog_item=item.catalog_item,
            custom=item.custom,
            duration=item.duration,
            until=item.until,
        )
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.DECISION,
        text=_("Proposed in round %(round)s, on “%(kind)s”: %(text)s")
        % {"round": proposal.round, "kind": proposal.get_kind_display(), "text": text},
    )
    audit_record(actor=by, action="proposal.created", target=proposal)
    advance(case, State.DELIBERATION, by)
    notices.proposal_opened(proposal=proposal)
    return proposal


@transaction.atomic
def vote_cast(*, proposal: Proposal, member: Member, choice: str) -> Proposal:
    """A participant votes yes, no or abstain (and may change it while the proposal is open).

    A member says yes to one answer per question: a yes on an alternative moves their yes from
    any other open alternative of the same question (that vote is deleted).

    Side effects: the Vote, audit `vote.cast` (and `vote.moved`), the tallies recounted under the
    case lock (and the result on the timeline when it decides the proposal)."""
    case_lock(proposal.case_id)
    proposal = Proposal.objects.select_for_update().select_related("case").get(pk=proposal.pk)
    require_participant(proposal.case, member)
    if proposal.status != ProposalStatus.OPEN:
        raise Refused(_("Voting on this proposal has ended."))
    moved_from = []
    if choice == VoteChoice.YES:
        others = Vote.objects.filter(
            member=member,
            choice=VoteChoice.YES,
            proposal__case=proposal.case,
            proposal__kind=proposal.kind,
            proposal__status=ProposalStatus.OPEN,
        ).exclude(proposal=proposal)
        moved_from = sorted(others.values_list("proposal_id", flat=True))
        others.delete()
    Vote.objects.update_or_create(
        proposal=proposal, member=member, defaults={"choice": choice, "cast_at": clock.now()}
    )
    audit_record(actor=member, action="vote.cast", target=proposal)
    for pk in moved_from:
        audit_record(actor=member, action="vote.moved", object_type="proposal", object_id=pk)
    proposal = _evaluate(proposal)
    for pk in moved_from:  # losing a yes never decides a proposal, but recount its stored tally
        _evaluate(Proposal.objects.select_for_update().select_related("case").get(pk=pk))
    return proposal


@transaction.atomic
def proposal_evaluate(*, proposal: Proposal) -> Proposal:
    """Count a proposal again, under the case lock. Nothing closes before the quorum
    (`votes.quorum`); then it passes when yes votes are more than half of the members taking
    part, and fails as soon as that can no longer happen. The result and the tally go on the
    timeline; passing closes the other answers to the same question."""
    case_lock(proposal.case_id)
    return _evaluate(Proposal.objects.select_for_update().select_related("case").get(pk=proposal.pk))


def _evaluate(proposal: Proposal) -> Proposal:
    """The count itself; the caller holds the case lock and the proposal row."""
    if proposal.status != ProposalStatus.OPEN:
        return proposal
    counts = proposal_tally(proposal=proposal)
    passed = decision_outcome(
        yes=counts["yes"],
        not_voted=counts["not_voted"],
        electorate=counts["participants"],
        quorum_met=case_quorum(case=proposal.case).met,
    )
    answered = proposal.case.proposals.filter(
        round=proposal.round, kind=proposal.kind, status=ProposalStatus.PASSED
    ).first()
    if passed and answered:  # cannot happen while yes votes stay one per question; never two answers
        _close(proposal, by=answered)
        return proposal
    if passed is None:
        if proposal.tally != counts:
            proposal.tally = counts
            proposal.save(update_fields=["tally"])
        return proposal
    status = ProposalStatus.PASSED if passed else ProposalStatus.FAILED
    proposal.status, proposal.tally, proposal.decided_at = status, counts, clock.now()
    proposal.save(update_fields=["status", "tally", "decided_at"])
    timeline_add(
        case=proposal.case,
        author=None,
        kind=TimelineKind.DECISION,
        text=ngettext(
            "%(kind)s “%(text)s”: %(result)s, with %(yes)s yes, %(no)s no and %(abstain)s abstaining, "
            "of %(n)s member taking part.",
            "%(kind)s “%(text)s”: %(result)s, with %(yes)s yes, %(no)s no and %(abstain)s abstaining, "
            "of %(n)s members taking part.",
            counts["participants"],
        )
        % {
            "kind": proposal.get_kind_display(),
            "text": proposal.text,
            "result": proposal.get_status_display().lower(),
            "yes": counts["yes"],
            "no": counts["no"],
            "abstain": counts["abstain"],
            "n": counts["participants"],
        },
    )
    audit_record(actor="system", action=f"proposal.{status}", target=proposal)
    if passed:
        alternatives = proposal.case.proposals.filter(
            round=proposal.round, kind=proposal.kind, status=ProposalStatus.OPEN
        )
        for alternative in alternatives.select_for_update().order_by("pk"):
            _close(alternative, by=proposal)
    return proposal


def _close(proposal: Proposal, *, by: Proposal) -> None:
    """An answer to the same question passed: this alternative closes, its tally kept."""
    proposal.status, proposal.closed_by, proposal.decided_at = ProposalStatus.CLOSED, by, clock.now()
    proposal.tally = proposal_tally(proposal=proposal)
    proposal.save(update_fields=["status", "closed_by", "decided_at", "tally"])
    timeline_add(
        case=proposal.case,
        author=None,
        kind=TimelineKind.DECISION,
        text=_("%(kind)s “%(text)s”: closed, another answer passed.")
        % {"kind": proposal.get_kind_display(), "text": proposal.text},
    )
    audit_record(actor="system", action="proposal.closed", target=proposal)


@transaction.atomic
def proposals_reevaluate(*, case: Case) -> None:
    """After someone joins or leaves a case, or the declaration window ends, open proposals are
    counted again, under the case lock (one that passes may close others meanwhile)."""
    case_lock(case)
    for pk in list(
        case.proposals.filter(status=ProposalStatus.OPEN).order_by("pk").values_list("pk", flat=True)
    ):
        _evaluate(Proposal.objects.select_for_update().select_related("case").get(pk=pk))


def proposals_evaluate_due() -> int:
    """`cocdesk tick`: count again the open proposals of every case whose declaration window has
    ended meanwhile (a decision may close then without a new vote). Returns how many closed."""
    open_ = Proposal.objects.filter(status=ProposalStatus.OPEN)
    before = open_.count()
    for case_id in sorted(set(open_.values_list("case_id", flat=True))):
        proposals_reevaluate(case=Case(pk=case_id))
    return before - open_.count()


REFUSED_PLAN_REOPENS = (ProposalKind.PLAN, ProposalKind.CONSEQUENCES, ProposalKind.REFUSAL)


@transaction.atomic
def decision_round_open(*, case: Case, by: Member, questions: list[str]) -> DecisionRound:
    """Re-evaluation (the plan's "Re-evaluating reports"): members decide again on questions already
    decided, in a new round. Open proposals move into it with their votes; the answers that stand
    stay until a new one passes.

    Side effects: a DecisionRound, a timeline entry, an audit entry; the case goes back to
    deliberation when it was in response or follow-up."""
    case = case_lock(case)
    require_participant(case, by)
    if case.state == State.CLOSED:
        raise Refused(_("This case is closed. Reopen it first to decide again."))
    decided = {q.kind for q in case_questions(case=case) if q.answer}
    chosen = [kind for kind in ProposalKind.values if kind in set(questions)]
    if not chosen:
        raise Refused(_("Please choose at least one question to decide again."))
    if undecided := [str(ProposalKind(k).label) for k in chosen if k not in decided]:
        raise Refused(
            _("%(questions)s has no answer yet: propose one in this round.")
            % {"questions": "; ".join(undecided)}
        )
    return round_open(case=case, by=by, questions=chosen, reason=RoundReason.REEVALUATION)


def round_open(*, case: Case, by: Member | None, questions: list[str], reason: str) -> DecisionRound:
    """Open the next decision round (caller holds a transaction): `questions` may be decided again."""
    case = case_lock(case)
    number = case_current_round(case=case) + 1
    opened = DecisionRound.objects.create(
        case=case,
        number=number,
        reason=reason,
        questions=[ProposalKind(k).value for k in questions],
        opened_by=by,
    )
    case.proposals.filter(status=ProposalStatus.OPEN).update(round=number)
    labels = "; ".join(str(ProposalKind(k).label) for k in questions)
    if reason == RoundReason.PLAN_REFUSED:
        text = _("The plan was refused: decision round %(n)s is open (%(questions)s).")
    else:
        text = _("Decision round %(n)s is open to decide again: %(questions)s.")
    timeline_add(
        case=case, author=by, kind=TimelineKind.DECISION, text=text % {"n": number, "questions": labels}
    )
    audit_record(actor=by or "system", action=f"decision_round.opened.{reason}", target=case)
    if by is not None:
        advance(case, State.DELIBERATION, by)
    return opened


@transaction.atomic
def catalog_item_save(
    *, by: Member, label: str, item: ConsequenceCatalogItem | None = None, active: bool = True
) -> ConsequenceCatalogItem:
    """The committee edits the consequence catalog."""
    if not access.is_committee_member(by):
        raise Refused(_("Only committee members can edit the catalog."))
    item = item or ConsequenceCatalogItem(position=ConsequenceCatalogItem.objects.count() + 1)
    item.label, item.active = label.strip(), active
    item.full_clean()
    item.save()
    audit_record(actor=by, action="catalog.saved", target=item)
    return item
