"""Who a case is about (D3, D4): the members taking part add and edit reported people and
witnesses on any case (an emailed report records only its sender), and every change is matched
against members' identities at once (`conflicts_recheck`). Matching against escrowed reports is
the caller's next step (`intake.services.case_person_add`): cases never import escrow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Case, Party, PartyRole, TimelineKind
from cocdesk.cases.services.conflicts import conflicts_recheck
from cocdesk.cases.services.opening import PartyInput, party_fields_set, party_row_create
from cocdesk.cases.services.records import require_participant, timeline_add
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.members.models import Member

EDITABLE_ROLES = (PartyRole.REPORTED, PartyRole.WITNESS)


def _checked(case: Case, by: Member, person: PartyInput) -> None:
    require_participant(case, by)
    if person.role not in EDITABLE_ROLES:
        raise Refused(_("Only reported people and witnesses can be added or changed here."))
    if person.is_empty():
        raise Refused(_("Please give a name, an email address, a handle or a phone number."))


def _said(party: Party) -> str:
    who = party.name or party.handle or party.email or party.phone
    return f"{party.get_role_display()}: {who}"


@transaction.atomic
def party_add(*, case: Case, by: Member, person: PartyInput) -> Party:
    """Add a reported person or a witness. Side effects: the Party (encrypted, blind indexes);
    a timeline entry; audit `party.added`; `conflicts_recheck` (a member it names stops seeing
    the case from the next request, a member taking part included)."""
    _checked(case, by, person)
    party = party_row_create(case=case, person=person)
    timeline_add(
        case=case, author=by, kind=TimelineKind.NOTE, text=_("Added %(who)s.") % {"who": _said(party)}
    )
    audit_record(actor=by, action="party.added", target=party)
    conflicts_recheck(case=case, actor=by)
    return party


@transaction.atomic
def party_update(*, party: Party, by: Member, person: PartyInput) -> Party:
    """Correct a reported person or a witness (not the reporter, whose details are theirs). Side
    effects: the Party's identifiers and indexes; a timeline entry; audit `party.updated`;
    `conflicts_recheck`. A conflict an earlier spelling found stays."""
    party = Party.objects.select_for_update().select_related("case").get(pk=party.pk)
    if party.role not in EDITABLE_ROLES:
        raise Refused(_("Only reported people and witnesses can be added or changed here."))
    _checked(party.case, by, person)
    party.role = person.role
    party_fields_set(party=party, person=person)
    party.save()
    timeline_add(
        case=party.case, author=by, kind=TimelineKind.NOTE, text=_("Changed %(who)s.") % {"who": _said(party)}
    )
    audit_record(actor=by, action="party.updated", target=party)
    conflicts_recheck(case=party.case, actor=by)
    return party
