"""Intake-owned tables: events and their responders, and every email received (D2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cocdesk import clock
from cocdesk.crypto import EncryptedJSONField


class Event(models.Model):
    """A community event whose organizers take reports in person."""

    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    place = models.CharField(max_length=200, blank=True)
    # What a reporter or responder in danger needs at once (D2): shown after an urgent report and
    # on the safety page of every case at this event. Blank: the site-wide default is shown.
    emergency_number = models.CharField(max_length=100, blank=True)
    venue_security = models.CharField(max_length=200, blank=True)
    safety_contact = models.CharField(max_length=200, blank=True)
    responders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="responder_events")

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.name


class InboundEmail(models.Model):
    """Every message `ingest-email` or `fetch-mail` stored, so a repeated Message-ID is recognised.

    The raw message is kept encrypted in file storage. `message_key` is a keyed hash of its
    Message-ID and its content (of its bytes when it has no Message-ID): the same message delivered
    again is recognised, a different one reusing the Message-ID is not. `message_id_key` is a keyed
    hash of the Message-ID alone, for threading replies (and, on rows stored before content hashes,
    equal to `message_key`).
    """

    message_key = models.CharField(max_length=64, unique=True)
    message_id_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    received_at = models.DateTimeField(default=clock.now)
    raw_storage_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Header references (hashed Message-IDs this message replies to) and what could not be read.
    details = EncryptedJSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"email {self.pk}"
