"""Writes for accounts: adding members, enrolment, login bookkeeping, disabling (DESIGN D1, D8)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.crypto import secret_hash
from cocdesk.members.models import EnrolmentToken, Member, Role

ENROLMENT_LIFETIME = timedelta(days=7)


def enrolment_url(token: str) -> str:
    return f"{settings.BASE_URL}/enrol/{token}/"


@transaction.atomic
def member_add(
    *, email: str, name: str, role: str = Role.MEMBER, actor: object | str | None = "system"
) -> tuple[Member, str]:
    """Create an account without a password and return it with a one-time enrolment link.

    Side effects: a Member row, an EnrolmentToken row, an audit entry `member.added`.
    """
    member = Member(email=email.strip().lower(), name=name.strip(), role=role)
    member.set_unusable_password()
    member.full_clean()
    member.save()
    audit_record(actor=actor, action="member.added", target=member)
    return member, enrolment_link_issue(member=member, actor=actor)


@transaction.atomic
def enrolment_link_issue(*, member: Member, actor: object | str | None = "system") -> str:
    """A fresh enrolment link (earlier unused links stop working). Used for new members and lost phones."""
    EnrolmentToken.objects.filter(member=member, used_at__isnull=True).update(used_at=clock.now())
    token = secrets.token_urlsafe(32)
    EnrolmentToken.objects.create(
        member=member, token_hash=secret_hash(token), expires_at=clock.now() + ENROLMENT_LIFETIME
    )
    audit_record(actor=actor, action="member.enrolment_link_issued", target=member)
    return enrolment_url(token)


def enrolment_device(*, member: Member) -> TOTPDevice:
    """The unconfirmed TOTP device shown as a QR code during enrolment (created once per enrolment)."""
    device = TOTPDevice.objects.filter(user=member, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=member, name="enrolment", confirmed=False)


@transaction.atomic
def enrolment_complete(*, token: EnrolmentToken, password: str, code: str) -> Member:
    """Set the password and confirm the TOTP device; the link is used up.

    Raises ValidationError (keyed by field) when the password is weak or the code does not match.
    """
    member = token.member
    try:
        validate_password(password, member)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    device = enrolment_device(member=member)
    if not device.verify_token(code.replace(" ", "")):
        raise ValidationError(
            {"code": _("That code did not match. Check the time on your phone and try again.")}
        )
    TOTPDevice.objects.filter(user=member).exclude(pk=device.pk).delete()
    device.confirmed, device.name = True, "authenticator app"
    device.save()
    member.set_password(password)
    member.save()
    token.used_at = clock.now()
    token.save(update_fields=["used_at"])
    audit_record(actor=member, action="member.enrolled", target=member)
    return member


@transaction.atomic
def member_disable(*, member: Member, actor: object | str | None) -> None:
    """Disable an account and end every one of its sessions at once.

    Side effects: is_active off; session_epoch bumped (every session's auth hash stops matching);
    the member's stored sessions deleted; TOTP devices removed; audit entry `member.disabled`.
    """
    member.is_active = False
    member.session_epoch += 1
    member.save(update_fields=["is_active", "session_epoch"])
    _end_sessions(member)
    TOTPDevice.objects.filter(user=member).delete()
    audit_record(actor=actor, action="member.disabled", target=member)


def _end_sessions(member: Member) -> None:
    # Sessions are few (a committee); decoding each keeps the session store Django's own.
    doomed = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=clock.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) == str(member.pk)
    ]
    Session.objects.filter(session_key__in=doomed).delete()


def totp_verify(*, member: Member, code: str) -> TOTPDevice | None:
    """The member's confirmed device that accepts `code` now, or None. A code works once (django-otp
    remembers the last one used) and failures are throttled per device."""
    code = code.replace(" ", "").strip()
    for device in TOTPDevice.objects.filter(user=member, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(code):
            return device
    return None


def member_login_recorded(*, member: Member) -> None:
    audit_record(actor=member, action="member.login", target=member)


def member_login_failed(*, member: Member | None) -> None:
    # An unknown address is not written down: it may be a member's mistyped personal address.
    audit_record(
        actor="public",
        action="member.login_failed",
        object_type="member",
        object_id=member.pk if member else "",
    )
