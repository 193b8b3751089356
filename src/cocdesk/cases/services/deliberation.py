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
    DiscussionPost,
    IncidentOwner,
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
from cocdesk.cases.selectors import case_current_round, proposal_tally
from cocdesk.cases.services.records import require_participant, timeline_add
from cocdesk.errors import Refused
from cocdesk.votes import majority_outcome

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
    """Put a decision to the members taking part. Side effects: the proposal and its consequences,
    a timeline entry, an audit entry; the case moves into deliberation if it was in triage; an
    email at once to the members taking part who asked for votes at once
    (`notices.proposal_opened`; the others see it in their digest and on their dashboard)."""
    case_lock(case)
    require_participant(case, by)
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
    advance(case, State.DELIBERATION, by)
    notices.proposal_opened(proposal=proposal)
    return proposal


@transaction.atomic
def vote_cast(*, proposal: Proposal, member: Member, choice: str) -> Proposal:
    """A participant votes yes, no or abstain (and may change it while the proposal is open).

    Side effects: the Vote, audit `vote.cast`, the tally recounted under the case lock (and the
    result on the timeline when it decides the proposal)."""
    case_lock(proposal.case_id)
    proposal = Proposal.objects.select_for_update().select_related("case").get(pk=proposal.pk)
    require_participant(proposal.case, member)
    if proposal.status != ProposalStatus.OPEN:
        raise Refused(_("Voting on this proposal has ended."))
    Vote.objects.update_or_create(
        proposal=proposal, member=member, defaults={"choice": choice, "cast_at": clock.now()}
    )
    audit_record(actor=member, action="vote.cast", target=proposal)
    return _evaluate(proposal)


@transaction.atomic
def proposal_evaluate(*, proposal: Proposal) -> Proposal:
    """Count a proposal again, under the case lock. Passes when yes votes are more than half of the
    members taking part; fails as soon as that can no longer happen. The result and the tally go
    on the timeline."""
    case_lock(proposal.case_id)
    return _evaluate(Proposal.objects.select_for_update().select_related("case").get(pk=proposal.pk))


def _evaluate(proposal: Proposal) -> Proposal:
    """The count itself; the caller holds the case lock and the proposal row."""
    if proposal.status != ProposalStatus.OPEN:
        return proposal
    counts = proposal_tally(proposal=proposal)
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
        text=ngettext(
            "“%(kind)s”: %(result)s, with %(yes)s yes, %(no)s no and %(abstain)s abstaining, "
            "of %(n)s member taking part.",
            "“%(kind)s”: %(result)s, with %(yes)s yes, %(no)s no and %(abstain)s abstaining, "
            "of %(n)s members taking part.",
            counts["participants"],
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


@transaction.atomic
def proposals_reevaluate(*, case: Case) -> None:
    """After someone joins or leaves a case, open proposals are counted again, under the case lock."""
    case_lock(case)
    open_ = case.proposals.filter(status=ProposalStatus.OPEN).order_by("pk")
    for proposal in open_.select_for_update().select_related("case"):
        _evaluate(proposal)


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
