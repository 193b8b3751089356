"""Queueing and sending mail (docs/architecture.md, "Mail").

Mail is queued inside the transaction that caused it (`outbox_enqueue`, called only by
`cocdesk.notices`) and sent only by the outbox worker: `cocdesk tick`, `cocdesk send-mail` and
`cocdesk send-mail --loop` call `outbox_send`. A request never talks to an SMTP server.

Each message is claimed on its own, just before it is sent, with a lease of `outbox_lease()` from
that moment, and marked "sending" in the same update; it is marked "sent" after the SMTP server
accepted it. Several workers can drain the outbox at once without sending anything twice while
they live. A worker killed after the server accepted a message and before the row was marked
leaves it "sending": when its lease has run out it is sent again, with the same Message-ID (mail
clients show the two copies as one message), and the interruption counts as an attempt, so a
message that kills its worker every time ends DEAD instead of looping. A message that keeps
failing becomes DEAD and shows on the dashboard; nothing is dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from cocdesk import access, clock
from cocdesk.outbox.models import OutboxMessage, Status

log = logging.getLogger("cocdesk.outbox")

MAX_ATTEMPTS = 8
MIN_LEASE = timedelta(minutes=5)
# One SMTP conversation is a handful of exchanges (greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT,
# DATA, the message, QUIT), each allowed EMAIL_TIMEOUT seconds: a lease of ten of them outlasts it.
LEASE_TIMEOUTS = 10
INTERRUPTED = "interrupted"  # last_error of a message whose worker died while sending it


def outbox_lease() -> timedelta:
    """How long a claimed message is left to its worker: longer than the slowest SMTP conversation."""
    return max(MIN_LEASE, timedelta(seconds=LEASE_TIMEOUTS * settings.EMAIL_TIMEOUT))


def outbox_connection():
    """A mail connection whose every network wait is bounded by EMAIL_TIMEOUT seconds."""
    return get_connection(timeout=settings.EMAIL_TIMEOUT)


def _message_id_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    if len(address) == 2 and address[1].strip(" >"):
        return address[1].strip(" >")
    return urlparse(settings.BASE_URL).hostname or "cocdesk.invalid"


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
    private_headers: dict | None = None,
) -> OutboxMessage | None:
    """Queue one email to a member (by account) or to an address; the outbox worker sends it.

    Side effects: one OutboxMessage (pending, with its own Message-ID) in the caller's transaction.
    Returns None if `dedupe_key` was already queued, which is what makes repeated runs send
    nothing twice. `about`: the member a confidential process is about (removal, off-boarding), who
    never sees the message listed. `private_headers` (Reply-To, In-Reply-To, References of mail to a
    reporter) are stored encrypted."""
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
        private_headers=private_headers or {},
        message_id=make_msgid(idstring="cocdesk", domain=_message_id_domain()),
        next_attempt_at=clock.now(),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    return message


def _due(now) -> Q:
    """Pending and due, or left "sending" by a worker whose lease ran out."""
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    pending = Q(status=Status.PENDING, next_attempt_at__lte=now) & unclaimed
    return pending | Q(status=Status.SENDING, claimed_until__lt=now)


def _claim(message_id: int) -> bool:
    """Take one message for this worker: "sending", leased from now. False if another has it."""
    now = clock.now()
    lease = {"status": Status.SENDING, "claimed_until": now + outbox_lease()}
    mine = OutboxMessage.objects.filter(pk=message_id)
    # A worker died while sending it: the interruption counts as an attempt.
    if mine.filter(status=Status.SENDING, claimed_until__lt=now).update(
        **lease, attempts=F("attempts") + 1, last_error=INTERRUPTED
    ):
        return True
    return bool(mine.filter(_due(now), status=Status.PENDING).update(**lease))


def outbox_send(
    *, ids: list[int] | None = None, limit: int = 200, stop: Callable[[], bool] | None = None
) -> dict[str, int]:
    """Send the due messages (or just `ids`), each claimed on its own just before it is sent.

    Side effects: each message is marked sending, then sent, failed (retried later), dead or
    withheld; SMTP connections, each wait bounded by EMAIL_TIMEOUT. `stop` is asked between
    messages (a worker told to stop finishes the message in hand). Returns counts by outcome."""
    due = OutboxMessage.objects.filter(_due(clock.now()))
    if ids is not None:
        due = due.filter(pk__in=ids)
    counts = {"sent": 0, "failed": 0, "dead": 0, "withheld": 0}
    for message_id in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        if stop is not None and stop():
            break
        if _claim(message_id):
            message = OutboxMessage.objects.select_related("recipient_member", "case").get(pk=message_id)
            counts[_deliver(message)] += 1
    return counts


def outbox_summary(counts: dict[str, int]) -> str:
    """The line `tick` and `send-mail` print: "outbox: 4 sent, 0 failed, 0 dead, 0 withheld"."""
    return "outbox: " + ", ".join(f"{v} {k}" for k, v in counts.items())


def _deliver(message: OutboxMessage) -> str:
    if message.attempts >= MAX_ATTEMPTS:  # interrupted once too often
        return _dead(message)
    member = message.recipient_member
    if member is not None and message.case_id and not access.may_be_notified(member, message.case):
        _finish(message, status=Status.WITHHELD)
        return "withheld"
    if member is not None and not member.is_active:
        _finish(message, status=Status.WITHHELD)
        return "withheld"
    address = member.email if member is not None else message.recipient_address
    private = dict(message.private_headers or {})
    reply_to = private.pop("Reply-To", "")
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            reply_to=[reply_to] if reply_to else None,
            headers={**message.headers, **private, "Message-ID": message.message_id},
            connection=outbox_connection(),
        ).send()
    except Exception as exc:
        return _failed(message, exc)
    _finish(message, status=Status.SENT, sent_at=clock.now())
    return "sent"


def _failed(message: OutboxMessage, exc: Exception) -> str:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}"[:200]
    message.claimed_until = None
    if message.attempts >= MAX_ATTEMPTS:
        return _dead(message)
    message.status = Status.PENDING
    message.next_attempt_at = clock.now() + timedelta(minutes=2**message.attempts)
    message.save(update_fields=["attempts", "last_error", "claimed_until", "status", "next_attempt_at"])
    return "failed"


def _dead(message: OutboxMessage) -> str:
    message.status, message.claimed_until = Status.DEAD, None
    message.save(update_fields=["attempts", "last_error", "claimed_until", "status"])
    log.error(
        "outbox message %s is dead after %s attempts (%s)", message.pk, message.attempts, message.last_error
    )
    return "dead"


def _finish(message: OutboxMessage, *, status: str, sent_at=None) -> None:
    message.status, message.sent_at, message.claimed_until = status, sent_at, None
    message.save(update_fields=["status", "sent_at", "claimed_until"])


def outbox_retry(*, message: OutboxMessage) -> None:
    """Give a dead message another round of attempts (from the dashboard)."""
    message.status, message.attempts, message.next_attempt_at = Status.PENDING, 0, clock.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
