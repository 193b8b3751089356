"""The case (D2, D4): one per report, with the reporter's words encrypted at rest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    EMAIL = "email", _("email")
    IN_PERSON = "in_person", _("in person")
    PHONE = "phone", _("phone")
    DIRECT_MESSAGE = "direct_message", _("direct message")
    OTHER = "other", _("other")


CHANNEL_PHRASES = {
    Channel.WEB: _("by web form"),
    Channel.EMAIL: _("by email"),
    Channel.IN_PERSON: _("in person"),
    Channel.PHONE: _("by phone"),
    Channel.DIRECT_MESSAGE: _("by direct message"),
    Channel.OTHER: _("through another channel"),
}


class Kind(models.TextChoices):
    NAMED = "named", _("Named")
    ANONYMOUS = "anonymous", _("Anonymous")
    ESCROWED = "escrowed", _("Escrowed")


class State(models.TextChoices):
    NEW = "new", _("New")
    TRIAGE = "triage", _("Triage")
    DELIBERATION = "deliberation", _("Deliberation")
    RESPONSE = "response", _("Response")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class Resolution(models.TextChoices):
    NONE = "", _("Not resolved yet")
    NO_VIOLATION = "no_violation", _("No violation")
    RESOLVED_WITH_ACTION = "resolved_with_action", _("Resolved with action")
    UNRESOLVED = "unresolved", _("Unresolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Category(models.TextChoices):
    """The type of incident, for the transparency report's "totals and types" (D6)."""

    UNSET = "", _("Not categorized yet")
    HARASSMENT = "harassment", _("Harassment or unwelcome comments")
    DISCRIMINATION = "discrimination", _("Discriminatory language")
    UNWANTED_CONTACT = "unwanted_contact", _("Unwanted contact or attention")
    PHYSICAL_SAFETY = "physical_safety", _("Physical safety")
    PRIVATE_INFORMATION = "private_information", _("Sharing private information")
    DISRUPTION = "disruption", _("Disruptive behavior")
    OTHER = "other", _("Other")


class ContactPreference(models.TextChoices):
    """How a reporter who wants to hear from us would like to be reached. Whether they want to hear
    from us at all is `Case.wants_updates`, the one "no further involvement" (D5)."""

    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Another way I describe")


class Severity(models.TextChoices):
    UNSET = "", _("Not assessed")
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Case(models.Model):
    # CoC-YYYY-7KQ3: a random code that reveals no count (cases.services.opening); older cases keep
    # their numeric CoC-YYYY-NNNN.
    reference = models.CharField(max_length=20, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NAMED)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW, db_index=True)
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True, default="")
    severity = models.CharField(max_length=12, choices=Severity.choices, blank=True, default="")
    category = models.CharField(max_length=24, choices=Category.choices, blank=True, default="")
    sealed = models.BooleanField(default=False)  # escrowed and not yet unsealed (D7)
    urgent = models.BooleanField(default=False)  # immediate danger was reported
    ongoing = models.BooleanField(default=False)
    law_enforcement_requested = models.BooleanField(default=False)
    wants_updates = models.BooleanField(default=True)  # False: "no further involvement" (the one field)
    preferred_contact = models.CharField(
        max_length=8, choices=ContactPreference.choices, blank=True, default=""
    )
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who took the report in person, by phone or DM (a member or an event responder). They may raise
    # "someone may be in danger" on it for a while after, without seeing anything of the case (D2).
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "intake.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    # What happened, in the reporter's words (encrypted).
    description = EncryptedTextField(blank=True, default="")
    occurred_when = EncryptedTextField(blank=True, default="")
    occurred_where = EncryptedTextField(blank=True, default="")
    # The rest of the intake record: safety notes, the responder's checklist, anything else asked.
    intake_details = EncryptedJSONField(default=dict, blank=True)
    # Anonymous reporters may leave an address only for "you have a new message"; never shown.
    notify_email = EncryptedTextField(blank=True, default="")
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # A web submission's own id, chosen before it is stored: a report kept in the spool during a
    # database outage (or whose commit was in doubt) is imported once, whoever imports it (D2).
    spool_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    # Mail to the reporter says "Reply-To: conduct+TOKEN@…" (docs/architecture.md, "Mail"): a reply
    # to that address is threaded onto this case. Random, never the reference; kept encrypted (to
    # write it into the next email) and found by its keyed hash (`receipts.reply_token_key`).
    reply_token = EncryptedTextField(blank=True, default="")
    reply_token_key = models.CharField(max_length=64, blank=True, default="", db_index=True)

    search_started_at = models.DateTimeField(null=True, blank=True)  # looking for the reported person
    search_ended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expunge_at = models.DateTimeField(null=True, blank=True)
    expunged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def channel_phrase(self) -> str:
        """How it reached us, in a sentence: "reported in person", "received by web form"."""
        return CHANNEL_PHRASES.get(self.channel, self.get_channel_display())
