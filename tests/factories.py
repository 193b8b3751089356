"""Real rows for tests: members with enrolled authenticators, and logged-in, verified clients."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from cocdesk import clock
from cocdesk.cases.models import PartyRole, ProposalConsequence
from cocdesk.cases.services import (
    ConsequenceInput,
    Incident,
    PartyInput,
    ReportInput,
    conflict_declare,
    proposal_create,
    vote_cast,
)
from cocdesk.intake.models import Event
from cocdesk.intake.services import report_store
from cocdesk.members.models import Member, Role, TOTPDevice
from cocdesk.middleware import SessionLifetimeMiddleware

PASSWORD = "a long test passphrase"
_seq = itertools.count(1)


def member_factory(
    *, name: str | None = None, email: str | None = None, role: str = Role.MEMBER, **fields
) -> Member:
    n = next(_seq)
    member = Member.objects.create_user(
        email or f"member{n}@example.org", PASSWORD, name=name or f"Member {n}", role=role, **fields
    )
    TOTPDevice.objects.create(user=member, name="test", confirmed=True)
    return member


@dataclass(frozen=True)
class Part:
    """One person of the test cast: who they are, as their account says."""

    name: str
    email: str
    role: str


# The one cast of the suite (tests/conftest.py makes a fixture of each, documented there): a committee
# of five with named roles. Carol's surname is distinctive so that reports can name her (conflict tests).
CAST: dict[str, Part] = {
    "chair": Part("Carla Chair", "carla@example.org", Role.CHAIR),
    "alice": Part("Alice Member", "alice@example.org", Role.MEMBER),
    "bob": Part("Bob Member", "bob@example.org", Role.MEMBER),
    "carol": Part("Carol Hartmann", "carol@example.org", Role.MEMBER),
    "community_manager": Part("Dana Manager", "dana@example.org", Role.COMMUNITY_MANAGER),
    # Around the committee, not on it:
    "responder": Part("Oli Organizer", "oli@example.org", Role.EVENT_RESPONDER),
}


def cast_member(part: str, *, joined_at: datetime | None = None) -> Member:
    """The cast's `part` (a key of CAST) as a real account with an enrolled authenticator."""
    person = CAST[part]
    fields = {"joined_at": joined_at} if joined_at is not None else {}
    return member_factory(name=person.name, email=person.email, role=person.role, **fields)


def operator_factory(*, name: str = "Olga Operator", email: str | None = None) -> Member:
    """The site operator: a Django superuser with a confirmed TOTP device (so can pass 2FA)."""
    email = email or f"operator{next(_seq)}@example.org"
    operator = Member.objects.create_superuser(email, PASSWORD, name=name)
    TOTPDevice.objects.create(user=operator, name="test", confirmed=True)
    return operator


def device_of(member: Member) -> TOTPDevice:
    return TOTPDevice.objects.get(user=member, confirmed=True)


def verified_client(member: Member, client: Client | None = None) -> Client:
    """A client logged in with password and TOTP, as after a real login."""
    client = client or Client()
    client.force_login(member)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_of(member).persistent_id
    session[SessionLifetimeMiddleware.KEY] = clock.now().isoformat()
    session.save()
    return client


CASE_CANARY = "canary-9d2b7 the words they used"


INCIDENT_FIELDS = (
    "description",
    "occurred_when",
    "occurred_where",
    "ongoing",
    "urgent",
    "law_enforcement_requested",
)


def open_report(*, channel: str = "web", actor: object | str | None = None, **fields):
    """A report stored as intake stores it (the case opened, then matched against escrow), from flat
    keyword arguments: the incident's fields and the rest of `cases.services.ReportInput`."""

    incident = Incident(**{name: fields.pop(name) for name in INCIDENT_FIELDS if name in fields})
    report = ReportInput(channel=channel, incident=incident, **fields)
    return report_store(report=report, actor=actor)


def case_factory(
    *,
    description: str = CASE_CANARY,
    reported: str = "Jamie Doe",
    reporter_email: str = "robin@example.net",
    kind: str = "named",
    participants: tuple = (),
    **kwargs,
):
    """A case as web intake makes it; `participants` are members who declared no conflict."""

    slug = "jamie" if reported == "Jamie Doe" else reported.lower().replace(" ", ".")
    parties = [
        PartyInput(role=PartyRole.REPORTED, name=reported, email=f"{slug}@example.com", handle=f"@{slug}d")
    ]
    if kind == "named":
        parties.append(PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email=reporter_email))
    kwargs.setdefault("channel", "web")
    kwargs.setdefault("with_receipt", True)
    opened = open_report(description=description, kind=kind, parties=parties, **kwargs)
    for member in participants:
        conflict_declare(case=opened.case, member=member, has_conflict=False)
    opened.case.receipt_code = opened.receipt_code
    return opened.case


def passed_consequence(case, member, **consequence) -> ProposalConsequence:
    """A consequence (`ConsequenceInput` fields) that `member`, alone taking part, proposed and passed."""
    proposal = proposal_create(
        case=case,
        kind="consequences",
        text="Keep away",
        by=member,
        consequences=[ConsequenceInput(**consequence)],
    )
    assert vote_cast(proposal=proposal, member=member, choice="yes").status == "passed"
    return proposal.consequences.get()


# What a report of immediate danger at an event shows the reporter (D2).
SAFETY_NUMBERS = {
    "emergency_number": "112",
    "venue_security": "Front desk, +351 555 0100",
    "safety_contact": "Ana Safety, +351 555 0101",
}


def event_factory(**fields) -> Event:
    """CommunityConf, 1 to 3 March 2027 (`fields` override or add, e.g. `**SAFETY_NUMBERS`)."""
    values = {"name": "CommunityConf", "starts_on": date(2027, 3, 1), "ends_on": date(2027, 3, 3)}
    return Event.objects.create(**(values | fields))


_RECEIPT_CODE = re.compile(r'<p class="receipt-code"><code>(.*?)</code></p>', re.S)


def receipt_codes_in(page: str) -> list[str]:
    """The receipt codes a page shows (in groups: `templates/receipt_code.html`), as typed back."""
    return [re.sub(r"<[^>]+>", "", found) for found in _RECEIPT_CODE.findall(page)]
