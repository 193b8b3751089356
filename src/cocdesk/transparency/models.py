"""Yearly transparency reports (D6) and the public summary of each incident.

A report is drafted by the chair for a period, generated from the cases received in it, checked for
every identifier of every party, and only then published. The summaries are written by the members
taking part in a case, in general words; they are encrypted at rest like everything else about a
case until the report that uses them is published.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class IncidentSummary(models.Model):
    """How an incident may be described in public: no names, no details that identify anyone.

    `anonymizable` is the members' judgement that the text identifies nobody; when it is False
    (the default) the report says only "a report was made".
    """

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="public_summary")
    text = EncryptedTextField(blank=True, default="")
    anonymizable = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "incident summaries"

    def __str__(self) -> str:
        return f"public summary of case {self.case_id}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class TransparencyReport(models.Model):
    """One report per year, covering the cases received from `period_start` to `period_end`
    (both included). `body` is the generated Markdown; once published it never changes."""

    year = models.PositiveIntegerField(unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    promotion = EncryptedTextField(blank=True, default="")  # how the Code of Conduct was promoted
    body = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"transparency report {self.year}"

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED
