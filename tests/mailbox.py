"""What reached the mail server: requests and services only queue mail (docs/architecture.md,
"Mail"); the outbox worker sends it. Tests drain the outbox the way `cocdesk send-mail` does."""

from __future__ import annotations

from django.core import mail

from cocdesk.outbox.services import outbox_send


def delivered() -> list:
    """Send what is due now, then return every email sent so far (django.core.mail.outbox)."""
    outbox_send()
    return mail.outbox


def forget_delivered() -> None:
    """Send what is due now and forget it: a test looks only at the mail caused after this."""
    outbox_send()
    mail.outbox.clear()


def intake_mail(case, *, reporter: str, members) -> list:
    """What intake sent for `case`, checked: a confirmation to `reporter` and a notice to each of
    `members` (and nobody else), each naming the case by reference, the notices linking to it."""
    by_recipient = {m.to[0]: m for m in delivered()}
    assert set(by_recipient) == {reporter, *(member.email for member in members)}
    assert case.reference in by_recipient[reporter].subject
    for member in members:
        notice = by_recipient[member.email]
        assert case.reference in notice.subject
        assert f"/cases/{case.reference}/" in notice.body
    return list(by_recipient.values())
