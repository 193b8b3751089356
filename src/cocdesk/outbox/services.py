"""Queueing and sending mail. Queue inside the transaction that caused the mail; send after commit.

A message is claimed atomically before sending, so several web processes and `tick` runners can
drain the outbox at once without sending anything twice. A message that keeps failing becomes
DEAD and shows on the dashboard; nothing is dropped silently.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q

from cocdesk import access, clock
from cocdesk.outbox.models import OutboxMessage, Status

log = logging.getLogger("cocdesk.outbox")

MAX_ATTEMPTS = 8
CLAIM_FOR = timedelta(minutes=5)


def outbox_enqueue(
    *,
    kind: str,
    subject: str,
    body: str,
    case: object | None = None,
    member: object | None = None,
    address: str = "",
    about: object | None = None,
    dedupe_key: str | None = None,
    headers: dict | None = None,
    send_now: bool = True,
) -> OutboxMessage | None:
    """Queue one email to a member (by account) or to an address. Returns None if `dedupe_key` was
    already queued, which is what makes repeated runs send nothing twice. `about`: the member a
    confidential process is about (removal, off-boarding), who never sees the message listed."""
    if (member is None) == (not address):
        raise ValueError("An outbox message needs exactly one of member or address.")
    message = OutboxMessage(
        kind=kind,
        case=case,
        recipient_member=member,
        recipient_address=address,
        about_member=about,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
        headers=headers or {},
        next_attempt_at=clock.now(),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if send_now:
        transaction.on_commit(lambda: outbox_send(ids=[message.pk]))
    return message


def _claim(message_id: int, now) -> bool:
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return bool(
        OutboxMessage.objects.filter(
            claimable, pk=message_id, status=Status.PENDING, next_attempt_at__lte=now
        ).update(claimed_until=now + CLAIM_FOR)
    )


def outbox_send(*, ids: list[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Send the due messages (or just `ids`). Returns counts by outcome."""
    now = clock.now()
    due = OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    counts = {"sent": 0, "failed": 0, "dead": 0, "withheld": 0}
    for message_id in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        if _claim(message_id, now):
            counts[_deliver(OutboxMessage.objects.get(pk=message_id), now)] += 1
    return counts


def _deliver(message: OutboxMessage, now) -> str:
    member = message.recipient_member
    if member is not None and message.case_id and not access.may_be_notified(member, message.case):
        _finish(message, status=Status.WITHHELD)
        return "withheld"
    address = member.email if member is not None else message.recipient_address
    if member is not None and not member.is_active:
        _finish(message, status=Status.WITHHELD)
        return "withheld"
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers=message.headers,
        ).send()
    except Exception as exc:
        return _failed(message, now, exc)
    _finish(message, status=Status.SENT, sent_at=now)
    return "sent"


def _failed(message: OutboxMessage, now, exc: Exception) -> str:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}"[:200]
    message.claimed_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.status = Status.DEAD
        log.error(
            "outbox message %s is dead after %s attempts (%s)",
            message.pk,
            message.attempts,
            message.last_error,
        )
    else:
        message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
    message.save(update_fields=["attempts", "last_error", "claimed_until", "status", "next_attempt_at"])
    return "dead" if message.status == Status.DEAD else "failed"


def _finish(message: OutboxMessage, *, status: str, sent_at=None) -> None:
    message.status, message.sent_at, message.claimed_until = status, sent_at, None
    message.save(update_fields=["status", "sent_at", "claimed_until"])


def outbox_retry(*, message: OutboxMessage) -> None:
    """Give a dead message another round of attempts (from the dashboard)."""
    message.status, message.attempts, message.next_attempt_at = Status.PENDING, 0, clock.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
