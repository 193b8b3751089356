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
