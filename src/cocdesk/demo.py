"""The demo that `make run` seeds on first run (development only): a committee of four and three
sample cases, so a newcomer sees the product working. Project-level: it uses every app's services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Case, Channel, Kind, PartyRole
from cocdesk.cases.services import (
    Incident,
    PartyInput,
    ReportInput,
    conflict_declare,
    conflict_set,
    owners_set,
    proposal_create,
)
from cocdesk.intake.services import committee_report_take, web_report_submit
from cocdesk.members.models import Member, Role, TOTPDevice
from cocdesk.members.selectors import totp_secret_base32

DEMO_PASSWORD = "demo-committee-2026"  # noqa: S105 - printed by `make run`; development mode only

DEMO_PEOPLE = [
    ("ada@example.org", "Ada Okafor", Role.CHAIR),
    ("ben@example.org", "Ben Hartmann", Role.MEMBER),
    ("chen@example.org", "Chen Wei", Role.MEMBER),
    ("dana@example.org", "Dana Cruz", Role.COMMUNITY_MANAGER),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: str
    password: str
    totp_secret: str


@transaction.atomic
def demo_committee_seed() -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet; return every demo login. Idempotent."""
    logins = []
    for email, name, role in DEMO_PEOPLE:
        member = Member.objects.filter(email=email).first()
        if member is None:
            member = Member.objects.create_user(email, DEMO_PASSWORD, name=name, role=role)
            audit_record(actor="system", action="member.added", target=member)
        device = TOTPDevice.objects.filter(user=member, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=member, name="demo", confirmed=True)
        logins.append(
            DemoLogin(email, name, member.get_role_display(), DEMO_PASSWORD, totp_secret_base32(device))
        )
    return logins


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
        first = web_report_submit(
            report=ReportInput(
                channel=Channel.WEB,
                incident=Incident(
                    description="During the Tuesday video call, a participant repeatedly talked over me "
                    "and called my question 'stupid' in the chat. It has happened in two earlier calls too.",
                    occurred_when="Tuesday, 16:00 UTC",
                    occurred_where="Community video call",
                ),
                parties=[
                    PartyInput(role=PartyRole.REPORTER, name="Riley Example", email="riley@example.net"),
                    PartyInput(role=PartyRole.REPORTED, name="Sam Sample", handle="@samsample"),
                ],
            )
        ).case
    for member in (ada, ben):
        conflict_declare(case=first, member=member, has_conflict=False)
    owners_set(case=first, primary=ada, secondary=ben, by=ada)
    proposal_create(
        case=first,
        kind="violation",
        text="Dismissive remarks in the chat are a Code of Conduct violation.",
        by=ada,
    )
    committee_report_take(
        taker=chen,
        report=ReportInput(
            channel=Channel.IN_PERSON,
            incident=Incident(
                description="At the registration desk someone made comments about my appearance and "
                "followed me to the hallway.",
                occurred_where="Registration desk",
                urgent=True,
            ),
            parties=[PartyInput(role=PartyRole.REPORTED, name="Alex Placeholder")],
            intake_details={"safety": {"location": "Speaker room", "clothing": "Blue jacket"}},
        ),
    )
    escrow = web_report_submit(
        report=ReportInput(
            channel=Channel.WEB,
            kind=Kind.ANONYMOUS,
            incident=Incident(description="A maintainer sends private messages that make me uncomfortable."),
            parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Sample")],
        )
    ).case
    conflict_set(case=escrow, member=chen)  # a conflict, so the demo shows what Chen cannot see
    return 3
