"""The case file's records (D4): timeline, evidence, messages with the reporter, immediate responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class TimelineKind(models.TextChoices):
    INTAKE = "intake", _("Report received")
    NOTE = "note", _("Note")
    STATE = "state", _("State changed")
    OWNERS = "owners", _("Owners")
    HANDOFF = "handoff", _("Handed to another member")
    IMMEDIATE = "immediate", _("Immediate response")
    ATTACHMENT = "attachment", _("Evidence added")
    MESSAGE_OUT = "message_out", _("Message to the reporter")
    MESSAGE_IN = "message_in", _("Message from the reporter")
    EMAIL_IN = "email_in", _("Email received")
    DECISION = "decision", _("Decision")
    CONVERSATION = "conversation", _("Conversation with the reported person")
    CONTEXT = "context", _("New context")
    LAW_ENFORCEMENT = "law", _("Law enforcement")
    FOLLOW_UP = "follow_up", _("Follow-up")
    SEARCH = "search", _("Search for the reported person")
    ESCROW = "escrow", _("Escrow")


class TimelineEntry(models.Model):
    """One timestamped, attributed line of the case's story."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=clock.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    text = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class AttachmentSource(models.TextChoices):
    REPORTER = "reporter", _("From the reporter")
    EMAIL = "email", _("From an email")
    COMMITTEE = "committee", _("Added by the committee")


class Attachment(models.Model):
    """Evidence. The file is encrypted in storage under a name the server chose."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    source = models.CharField(max_length=10, choices=AttachmentSource.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    original_name = EncryptedTextField(blank=True, default="")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    # Metadata removed (photos re-encoded, PDFs rewritten). False: stored exactly as received.
    cleaned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"attachment {self.pk} on case {self.case_id}"


class MessageDirection(models.TextChoices):
    TO_REPORTER = "to_reporter", _("To the reporter")
    FROM_REPORTER = "from_reporter", _("From the reporter")


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Automatic confirmation")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    UPDATE = "update", _("Update")
    DECISION = "decision", _("Decision and actions")
    DELAY = "delay", _("Delay notice")
    QUESTION = "question", _("Question")
    REPLY = "reply", _("Reply from the reporter")


# Messages that count as a member writing to the reporter personally (not the automatic ones): the
# acknowledgement the plan asks for within 24 hours (D5), and what the statistics measure.
PERSONAL_MESSAGE_KINDS = frozenset({MessageKind.ACKNOWLEDGEMENT, MessageKind.UPDATE, MessageKind.DECISION})


class ToldHow(models.TextChoices):
    """How a member told the reporter something outside cocdesk (D5: reporters without email)."""

    PHONE = "phone", _("by phone")
    IN_PERSON = "in_person", _("in person")
    DIRECT_MESSAGE = "direct_message", _("by direct message")
    OTHER = "other", _("another way")


class Message(models.Model):
    """A message between the committee and the reporter, by email and/or the receipt-code portal,
    or a record that a member told the reporter by phone or in person (`told` set: who is the
    author, when is `created_at`, what is the body; it is not shown in the portal)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=MessageDirection.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    body = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=clock.now)
    emailed = models.BooleanField(default=False)
    told = models.CharField(max_length=16, choices=ToldHow.choices, blank=True, default="")
    # An emailed message: who the sender could be checked to be (an address on this case or not,
    # verified by the receiving mail server or not) and its Authentication-Results, shown beside it.
    sender_check = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} message on case {self.case_id}"


class ImmediateAction(models.TextChoices):
    NONE_YET = "none_yet", _("Nothing yet: the committee is alerted")
    VENUE_SECURITY = "venue_security", _("Called venue security")
    CRISIS_LINE = "crisis_line", _("Called a crisis line or non-emergency number")
    REMOVAL = "removal", _("Removed the person from the space")
    LAW_ENFORCEMENT = "law_enforcement", _("Called law enforcement (the reporter asked)")
    OTHER = "other", _("Something else")


class ImmediateResponse(models.Model):
    """What a responder did at once in an unsafe situation, without convening the committee: the
    action, who recorded it, when it was done, and a note."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="immediate_responses")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=ImmediateAction.choices)
    note = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.action} on case {self.case_id}"
