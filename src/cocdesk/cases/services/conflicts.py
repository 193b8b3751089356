"""Conflicts of interest (D3): declarations, recusals, rejoining, hand-offs.

Whoever changes who takes part in a case goes through here, so that votes are counted again and
ownership ends for a member who is no longer free of conflict. Each of these locks the case row
first (`case_lock`), the same order as voting, so a declaration racing a vote neither deadlocks
nor leaves a stale tally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import (
    Case,
    ConflictDeclaration,
    ConflictSource,
    Handoff,
    IncidentOwner,
    State,
    TimelineKind,
)
from cocdesk.cases.services.deliberation import case_lock, case_transition, proposals_reevaluate
from cocdesk.cases.services.records import timeline_add
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.members.models import Member


def conflict_auto(*, case: Case, member: Member, source: str) -> ConflictDeclaration:
    """A conflict nobody declared: the member is a party to the case, or the reporter excluded them."""
    declaration, _created = ConflictDeclaration.objects.update_or_create(
        case=case,
        member=member,
        defaults={"has_conflict": True, "source": source, "declared_at": clock.now()},
    )
    return declaration


@transaction.atomic
def conflict_declare(*, case: Case, member: Member, has_conflict: bool) -> ConflictDeclaration:
    """A member answers "Do you have a conflict?" (no reason asked). Declaring a conflict, or
    recusing later, takes effect at once; clearing a conflict needs another participant's agreement."""
    case_lock(case)
    existing = ConflictDeclaration.objects.select_for_update().filter(case=case, member=member).first()
    if existing is not None and existing.has_conflict and not has_conflict:
        raise Refused(_("Changing a conflict back to no conflict needs another member's agreement."))
    if has_conflict:
        return conflict_set(case=case, member=member)
    declaration, _created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": False, "declared_at": clock.now()}
    )
    audit_record(actor=member, action="conflict.declared_none", target=case)
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def conflict_set(*, case: Case, member: Member, actor: object | str | None = None) -> ConflictDeclaration:
    """Record a conflict (declared, or a recusal): the member's access ends with this transaction.

    `actor` is who did it when it is not the member (off-boarding, a hand-off recorded for them)."""
    case_lock(case)
    declaration, created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": True, "source": ConflictSource.DECLARED}
    )
    if not created and not declaration.has_conflict:
        declaration.has_conflict, declaration.declared_at = True, clock.now()
        declaration.save(update_fields=["has_conflict", "declared_at"])
    audit_record(actor=actor or member, action="conflict.declared", target=case)
    IncidentOwner.objects.filter(case=case, member=member).delete()  # a conflicted member cannot own it
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def conflict_rejoin_request(*, case: Case, member: Member) -> ConflictDeclaration:
    """A member who declared a conflict asks to take part after all. Only their own declaration
    counts: a party to the case, or a member the reporter excluded, can never rejoin."""
    case_lock(case)
    declaration = (
        ConflictDeclaration.objects.select_for_update()
        .filter(case=case, member=member, has_conflict=True, source=ConflictSource.DECLARED)
        .first()
    )
    if declaration is None:
        raise Refused(_("There is no conflict declaration of yours to change on this case."))
    declaration.rejoin_requested_at = clock.now()
    declaration.save(update_fields=["rejoin_requested_at"])
    audit_record(actor=member, action="conflict.rejoin_requested", target=case)
    notices.rejoin_request(declaration=declaration)
    return declaration


@transaction.atomic
def conflict_rejoin_agree(*, case: Case, member: Member, by: Member) -> ConflictDeclaration:
    """Another participating member agrees: the member takes part from now on."""
    case_lock(case)
    if by.pk == member.pk or not access.case_participants(case).filter(pk=by.pk).exists():
        raise Refused(_("Another member taking part in the case has to agree."))
    declaration = ConflictDeclaration.objects.select_for_update().get(
        case=case,
        member=member,
        has_conflict=True,
        source=ConflictSource.DECLARED,
        rejoin_requested_at__isnull=False,
    )
    declaration.has_conflict, declaration.rejoin_requested_at, declaration.declared_at = (
        False,
        None,
        clock.now(),
    )
    declaration.save(update_fields=["has_conflict", "rejoin_requested_at", "declared_at"])
    audit_record(actor=by, action="conflict.rejoin_agreed", object_type="case", object_id=case.pk)
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def handoff_record(*, case: Case, from_member: Member, to_member: Member) -> Handoff:
    """The plan: a responder who suspects a conflict gets another member to take the report."""
    handoff = Handoff.objects.create(case=case, from_member=from_member, to_member=to_member)
    if from_member.is_committee:
        conflict_set(case=case, member=from_member)
    timeline_add(
        case=case,
        author=from_member,
        kind=TimelineKind.HANDOFF,
        text=_("Handed to %(name)s because of a possible conflict of interest.") % {"name": to_member.name},
    )
    audit_record(actor=from_member, action="case.handed_off", target=case)
    return handoff


def _participation_changed(case: Case, member: Member) -> None:
    """Votes are counted again when someone joins or leaves; a new case moves into triage."""
    proposals_reevaluate(case=case)
    case.refresh_from_db(fields=["state"])
    if case.state == State.NEW and access.case_participants(case).exists():
        case_transition(case=case, to=State.TRIAGE, by=member)
