"""Sample cases for the demo committee, so a newcomer sees the product working (development only)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from cocdesk import clock
from cocdesk.cases import deliberation
from cocdesk.cases.models import Case, PartyRole
from cocdesk.cases.services import PartyInput, case_open, conflict_declare, conflict_set
from cocdesk.members.models import Member


@transaction.atomic
def demo_cases_seed() -> int:
    """Three fictional cases in different stages; nothing if any case exists. Returns how many were made."""
    if Case.objects.exists():
        return 0
    ada, ben, chen = (
        Member.objects.get(email=e) for e in ("ada@example.org", "ben@example.org", "chen@example.org")
    )
    start = clock.now() - timedelta(days=3)
    with clock.frozen(start):
        first = case_open(
            channel="web",
            description="During the Tuesday video call, a participant repeatedly talked over me and "
            "called my question 'stupid' in the chat. It has happened in two earlier calls too.",
            occurred_when="Tuesday, 16:00 UTC",
            occurred_where="Community video call",
            parties=[
                PartyInput(role=PartyRole.REPORTER, name="Riley Example", email="riley@example.net"),
                PartyInput(role=PartyRole.REPORTED, name="Sam Sample", handle="@samsample"),
            ],
            with_receipt=True,
            actor="public",
        ).case
    for member in (ada, ben):
        conflict_declare(case=first, member=member, has_conflict=False)
    deliberation.owners_set(case=first, primary=ada, secondary=ben, by=ada)
    deliberation.proposal_create(
        case=first,
        kind="violation",
        text="Dismissive remarks in the chat are a Code of Conduct violation.",
        by=ada,
    )
    case_open(
        channel="in_person",
        description="At the registration desk someone made comments about my appearance and followed me "
        "to the hallway.",
        occurred_where="Registration desk",
        urgent=True,
        parties=[PartyInput(role=PartyRole.REPORTED, name="Alex Placeholder")],
        intake_details={"safety": {"location": "Speaker room", "clothing": "Blue jacket"}},
        received_by=chen,
        actor=chen,
    )
    escrow = case_open(
        channel="web",
        kind="anonymous",
        description="A maintainer sends private messages that make me uncomfortable.",
        parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Sample")],
        with_receipt=True,
        actor="public",
    ).case
    conflict_set(case=escrow, member=chen)  # a conflict, so the demo shows what Chen cannot see
    return 3
