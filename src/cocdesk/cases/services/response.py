"""Responding to a case (D4): talking to the reported person, re-evaluation, law enforcement and
following up with the reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk.cases.models import (
    Case,
    Conversation,
    FollowUp,
    LawEnforcementRecord,
    RoundReason,
    State,
    TimelineKind,
)
from cocdesk.cases.services.deliberation import REFUSED_PLAN_REOPENS, advance, round_open
from cocdesk.cases.services.records import require_participant, timeline_add
from cocdesk.cases.services.safety import law_enforcement_record_create
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.members.models import Member


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
    offered apology is relayed or not, with the reason; a refused plan opens a new decision round
    reopening the plan, the consequences and the response (`deliberation.round_open`).
    The reporter's identity is never part of this record."""
    members = list(dict.fromkeys(talk.members))
    if len(members) < 2:
        raise Refused(_("Please involve at least two committee members when talking to the reported person."))
    for member in members:
        require_participant(case, member)
    if talk.apology_offered and talk.apology_relayed is not None and not talk.apology_reason.strip():
        raise Refused(_("Please note why the apology is, or is not, relayed."))
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
    advance(case, State.RESPONSE, by)
    if talk.plan_accepted is False:
        # The plan's "Re-evaluating reports": a refused plan means deciding the response again.
        round_open(case=case, by=by, questions=list(REFUSED_PLAN_REOPENS), reason=RoundReason.PLAN_REFUSED)
    return conversation


@transaction.atomic
def context_add(*, case: Case, by: Member, text: str) -> None:
    """Re-evaluation: context the reported person (or anyone) provided after the conversation."""
    require_participant(case, by)
    timeline_add(case=case, author=by, kind=TimelineKind.CONTEXT, text=text)


@transaction.atomic
def law_enforcement_request_record(*, case: Case, by: Member) -> None:
    """The reporter asked, after intake, for law enforcement to be involved."""
    require_participant(case, by)
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
    this record. Refused unless the reporter asked (`safety.law_enforcement_record_create`)."""
    require_participant(case, by)
    return law_enforcement_record_create(case=case, by=by, shared=shared, shared_on=shared_on)


@transaction.atomic
def follow_up_add(*, case: Case, by: Member, text: str) -> FollowUp:
    require_participant(case, by)
    follow_up = FollowUp.objects.create(case=case, author=by, text=text)
    timeline_add(case=case, author=by, kind=TimelineKind.FOLLOW_UP, text=text)
    return follow_up
