"""Writes for deliberation (DESIGN D4): owners, discussion, state, proposals and votes,
conversations with the reported person, re-evaluation, law enforcement, follow-ups.

Kept beside services.py (intake and conflicts) so each module stays readable; both are the
cases app's write layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import (
    Case,
    ConsequenceCatalogItem,
    Conversation,
    DiscussionPost,
    FollowUp,
    IncidentOwner,
    LawEnforcementRecord,
    OwnerRole,
    Proposal,
    ProposalConsequence,
    ProposalKind,
    ProposalStatus,
    Resolution,
    State,
    TimelineKind,
    Vote,
)
from cocdesk.cases.services import timeline_add
from cocdesk.members.models import Member, Role
from cocdesk.outbox.services import outbox_enqueue
from cocdesk.votes import majority_outcome

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


class RuleBroken(ValidationError):
    """A request the plan's rules do not allow; the message says why, kindly."""


def _participant(case: Case, member: Member) -> None:
    if not access.case_participants(case).filter(pk=member.pk).exists():
        raise RuleBroken(_("Only members taking part in this case can do that."))


@transaction.atomic
def case_transition(*, case: Case, to: str, by: Member, resolution: str = "") -> Case:
    """The one way a case changes state: checks the transition, writes the timeline and the audit log."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if to not in TRANSITIONS.get(case.state, set()):
        raise RuleBroken(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": case.get_state_display(), "to": State(to).label}
        )
    if to == State.CLOSED and resolution not in {r.value for r in Resolution if r.value}:
        raise RuleBroken(_("Please choose how the case was resolved before closing it."))
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


def _advance(case: Case, to: str, by: Member) -> None:
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
        raise RuleBroken(_("The primary and secondary owners need to be two different members."))
    for member in (primary, secondary):
        _participant(case, member)
    for role, member in ((OwnerRole.PRIMARY, primary), (OwnerRole.SECONDARY, secondary)):
        IncidentOwner.objects.update_or_create(case=case, role=role, defaults={"member": member})
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.OWNERS,
        text=_("Primary owner: %(p)s. Secondary owner: %(s)s.") % {"p": primary.name, "s": secondary.name},
    )
    _advance(case, State.TRIAGE, by)


def needs_owners(case: Case) -> bool:
    return case.owners.count() < 2


@transaction.atomic
def discussion_post_add(*, case: Case, author: Member, body: str) -> DiscussionPost:
    _participant(case, author)
    post = DiscussionPost.objects.create(case=case, author=author, body=body)
    audit_record(actor=author, action="discussion.posted", target=case)
    return post


def current_round(case: Case) -> int:
    """1, plus one for every conversation in which the reported person refused the plan."""
    return 1 + case.conversations.filter(plan_accepted=False).count()


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
    """Put a decision to the members taking part. Side effects: the proposal and its consequences,
    a timeline entry, an audit entry; the case moves into deliberation if it was in triage."""
    _participant(case, by)
    if kind == ProposalKind.CONSEQUENCES and not consequences:
        raise RuleBroken(_("Please choose at least one consequence, from the list or your own."))
    proposal = Proposal.objects.create(
        case=case, kind=kind, text=text, proposed_by=by, round=current_round(case)
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
        text=_("Proposed (round %(round)s), %(kind)s: %(text)s")
        % {"round": proposal.round, "kind": proposal.get_kind_display(), "text": text},
    )
    _advance(case, State.DELIBERATION, by)
    return proposal


@transaction.atomic
def vote_cast(*, proposal: Proposal, member: Member, choice: str) -> Proposal:
    """A participant votes yes, no or abstain (and may change it while the proposal is open)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _participant(proposal.case, member)
    if proposal.status != ProposalStatus.OPEN:
        raise RuleBroken(_("Voting on this proposal has ended."))
    Vote.objects.update_or_create(
        proposal=proposal, member=member, defaults={"choice": choice, "cast_at": clock.now()}
    )
    audit_record(actor=member, action="vote.cast", target=proposal)
    return proposal_evaluate(proposal=proposal)


def tally(proposal: Proposal) -> dict[str, int]:
    """Counts only the votes of members taking part now: a member who declared a conflict loses their vote."""
    participant_ids = set(access.case_participants(proposal.case).values_list("pk", flat=True))
    counted = [v for v in proposal.votes.all() if v.member_id in participant_ids]
    result = {choice: sum(1 for v in counted if v.choice == choice) for choice in ("yes", "no", "abstain")}
    result["participants"] = len(participant_ids)
    result["not_voted"] = len(participant_ids) - len(counted)
    return result


@transaction.atomic
def proposal_evaluate(*, proposal: Proposal) -> Proposal:
    """Passes when yes votes are more than half of the members taking part; fails as soon as that
    can no longer happen. The result and the tally go on the timeline."""
    if proposal.status != ProposalStatus.OPEN:
        return proposal
    counts = tally(proposal)
    passed = majority_outcome(
        yes=counts["yes"], not_voted=counts["not_voted"], electorate=counts["participants"]
    )
    if passed is None:
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
        text=_(
            "%(kind)s: %(result)s with %(yes)s yes, %(no)s no, %(abstain)s abstaining, of %(n)s members taking part."  # noqa: E501
        )
        % {
            "kind": proposal.get_kind_display(),
            "result": proposal.get_status_display().lower(),
            "yes": counts["yes"],
            "no": counts["no"],
            "abstain": counts["abstain"],
            "n": counts["participants"],
        },
    )
    audit_record(actor="system", action=f"proposal.{status}", target=proposal)
    return proposal


def proposals_reevaluate(*, case: Case) -> None:
    """After someone joins or leaves a case, open proposals are counted again."""
    for proposal in case.proposals.filter(status=ProposalStatus.OPEN):
        proposal_evaluate(proposal=proposal)


@dataclass
class ConversationInput:
    held_on: date
    members: list[Member]
    behavior: str
    impact: str
    plan: str
    context: str = ""
    call_in: str = ""
    response: str = ""
    plan_accepted: bool | None = None
    apology_offered: bool = False
    apology_relayed: bool | None = None
    apology_reason: str = ""


@transaction.atomic
def conversation_record(*, case: Case, by: Member, talk: ConversationInput) -> Conversation:
    """Record talking to the reported person. At least two committee members take part; an
    offered apology is relayed or not, with the reason; a refused plan opens a new decision round.
    The reporter's identity is never part of this record."""
    members = list(dict.fromkeys(talk.members))
    if len(members) < 2:
        raise RuleBroken(
            _("Please involve at least two committee members when talking to the reported person.")
        )
    for member in members:
        _participant(case, member)
    if talk.apology_offered and talk.apology_relayed is not None and not talk.apology_reason.strip():
        raise RuleBroken(_("Please note why the apology is, or is not, relayed."))
    conversation = Conversation.objects.create(
        case=case,
        held_on=talk.held_on,
        behavior=talk.behavior,
        context=talk.context,
        impact=talk.impact,
        call_in=talk.call_in,
        plan=talk.plan,
        response=talk.response,
        plan_accepted=talk.plan_accepted,
        apology_offered=talk.apology_offered,
        apology_relayed=talk.apology_relayed if talk.apology_offered else None,
        apology_reason=talk.apology_reason,
        recorded_by=by,
    )
    conversation.members.set(members)
    outcome = {True: _("accepted the plan"), False: _("refused the plan"), None: _("has not answered yet")}
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.CONVERSATION,
        text=_("Talked with the reported person (%(who)s); they %(outcome)s.")
        % {"who": ", ".join(m.name for m in members), "outcome": outcome[talk.plan_accepted]},
    )
    _advance(case, State.RESPONSE, by)
    if talk.plan_accepted is False:
        # The plan's "Re-evaluating reports": a refused plan means deciding again.
        _advance(case, State.DELIBERATION, by)
        timeline_add(
            case=case,
            author=None,
            kind=TimelineKind.CONTEXT,
            text=_("The plan was refused: decision round %(n)s is open.") % {"n": current_round(case)},
        )
    return conversation


@transaction.atomic
def context_add(*, case: Case, by: Member, text: str) -> None:
    """Re-evaluation: context the reported person (or anyone) provided after the conversation."""
    _participant(case, by)
    timeline_add(case=case, author=by, kind=TimelineKind.CONTEXT, text=text)


@transaction.atomic
def law_enforcement_request_record(*, case: Case, by: Member) -> None:
    """The reporter asked, after intake, for law enforcement to be involved."""
    _participant(case, by)
    case.law_enforcement_requested = True
    case.save(update_fields=["law_enforcement_requested"])
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.LAW_ENFORCEMENT,
        text=_("The reporter asked us to involve law enforcement."),
    )


@transaction.atomic
def law_enforcement_record(*, case: Case, by: Member, shared: str, shared_on: date) -> LawEnforcementRecord:
    """Record what was given to law enforcement and tell the community manager, who may read exactly
    this record. Refused unless the reporter asked."""
    _participant(case, by)
    if not case.law_enforcement_requested:
        raise RuleBroken(_("Law enforcement is only involved when the reporter asks for it."))
    record = LawEnforcementRecord.objects.create(
        case=case, shared=shared, shared_on=shared_on, recorded_by=by
    )
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.LAW_ENFORCEMENT,
        text=_("Shared with law enforcement: %(s)s") % {"s": shared},
    )
    for manager in Member.objects.filter(role=Role.COMMUNITY_MANAGER, is_active=True):
        outbox_enqueue(
            kind="law_enforcement_shared",
            member=manager,
            subject=_("[%(ref)s] Information was shared with law enforcement") % {"ref": case.reference},
            body=_("The committee shared information with law enforcement. Read what was shared:\n%(url)s\n")
            % {"url": f"{settings.BASE_URL}/shared/{record.pk}/"},
            dedupe_key=f"law_enforcement_shared:{record.pk}:{manager.pk}",
        )
    audit_record(actor=by, action="law_enforcement.recorded", target=record)
    return record


@transaction.atomic
def follow_up_add(*, case: Case, by: Member, text: str) -> FollowUp:
    _participant(case, by)
    follow_up = FollowUp.objects.create(case=case, author=by, text=text)
    timeline_add(case=case, author=by, kind=TimelineKind.FOLLOW_UP, text=text)
    return follow_up


@transaction.atomic
def catalog_item_save(
    *, by: Member, label: str, item: ConsequenceCatalogItem | None = None, active: bool = True
) -> ConsequenceCatalogItem:
    """The committee edits the consequence catalog."""
    if not access.is_committee_member(by):
        raise RuleBroken(_("Only committee members can edit the catalog."))
    item = item or ConsequenceCatalogItem(position=ConsequenceCatalogItem.objects.count() + 1)
    item.label, item.active = label.strip(), active
    item.full_clean()
    item.save()
    audit_record(actor=by, action="catalog.saved", target=item)
    return item
