"""Outgoing mail (D2, D5, D12): written in the same transaction as what caused it, sent only by
the outbox worker (`cocdesk tick`, `cocdesk send-mail`) with retries and backoff, never silently
dropped. Each row has its own Message-ID, so a copy sent again after a crash is recognisable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Could not be sent")
    WITHHELD = "withheld", _("Withheld: the recipient may no longer see the case")


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=40)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A member is addressed by account (access is re-checked when sending); anyone else by address.
    recipient_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient_address = EncryptedTextField(blank=True, default="")
    # The member a confidential process is about (a removal discussion, an off-boarding): whatever
    # becomes of this message, they never see it listed (outbox.selectors.outbox_dead_for).
    about_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = EncryptedTextField()
    body = EncryptedTextField()
    headers = models.JSONField(default=dict, blank=True)  # headers that say nothing about anyone
    # Reply-To (with the case's reply token), In-Reply-To and References (which may name the
    # reporter's own Message-IDs): encrypted, added to `headers` when the message is sent.
    private_headers = EncryptedJSONField(default=dict, blank=True)
    # Chosen when queued and sent with every attempt: a resend after a crash carries the same one.
    message_id = models.CharField(max_length=255, blank=True, default="")
    # The same key is never queued twice: what makes `tick` and intake idempotent.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"
