"""The demo committee that `make run` seeds on first run (development only)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from cocdesk.audit.services import audit_record
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
