"""Reads for accounts."""

from __future__ import annotations

import base64

from django.db.models import QuerySet
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cocdesk import clock
from cocdesk.crypto import secret_hash
from cocdesk.members.models import COMMITTEE_ROLES, EnrolmentToken, Member


def enrolment_token_find(*, token: str) -> EnrolmentToken | None:
    """The live enrolment token for a link, or None if it is unknown, used or expired."""
    return (
        EnrolmentToken.objects.select_related("member")
        .filter(
            token_hash=secret_hash(token),
            used_at__isnull=True,
            expires_at__gt=clock.now(),
            member__is_active=True,
        )
        .first()
    )


def member_by_email(*, email: str) -> Member | None:
    return Member.objects.filter(email=email.strip().lower()).first()


def committee_members() -> QuerySet[Member]:
    return Member.objects.filter(is_active=True, role__in=COMMITTEE_ROLES)


def confirmed_devices(*, member: Member) -> QuerySet[TOTPDevice]:
    return TOTPDevice.objects.filter(user=member, confirmed=True)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (development helper for `cocdesk totp`, and tests).

    Wall-clock time, not `clock.now()`: django-otp checks codes against the real time.
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def lockout_username(request: object, credentials: dict | None) -> str:
    """The account a login attempt is for, as django-axes keys its lockouts (with the client address)."""
    raw = (credentials or {}).get("username") or getattr(request, "POST", {}).get("email", "")
    return str(raw).strip().lower()
