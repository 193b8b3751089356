"""Responding (D4): conversations with the reported person, law enforcement, follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class Conversation(models.Model):
    """Talking to the reported person: at least two members; behavior, context, impact, call-in, plan."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="conversations")
    held_on = models.DateField()
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    behavior = EncryptedTextField()
    context = EncryptedTextField(blank=True, default="")
    impact = EncryptedTextField()
    call_in = EncryptedTextField(blank=True, default="")
    plan = EncryptedTextField()
    response = EncryptedTextField(blank=True, default="")
    plan_accepted = models.BooleanField(null=True)
    apology_offered = models.BooleanField(default=False)
    apology_relayed = models.BooleanField(null=True)
    apology_reason = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"conversation on case {self.case_id}"


class LawEnforcementRecord(models.Model):
    """What was given to law enforcement (only at the reporter's request). The community manager
    is told and may see exactly this record, nothing else of the case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="law_enforcement_records")
    shared = EncryptedTextField()
    shared_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"law enforcement record {self.pk}"


class FollowUp(models.Model):
    """Following up with the reporter after the response: what they were told, what comes next."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"follow-up on case {self.case_id}"
