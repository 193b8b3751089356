"""Yearly transparency reports (D6) and the public summary of each incident.

A report covers a calendar year: the cases received in it and the cases resolved in it. The chair
drafts it; its text is checked for the identifiers of the year's parties (the chair sees what
concerns the cases she may read, the team of each other case checks it for their people: a
`CaseCheck`), and only then published, at a public address. The summaries are written by the
members taking part in a case, in general words; they are encrypted at rest like everything else
about a case until the report that uses them is published.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


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
    """One report per calendar year (`period_start` 1 January, `period_end` 31 December). `body` is
    the generated Markdown and `statistics` the numbers its charts are drawn from (small numbers
    already protected); once published neither changes."""

    year = models.PositiveIntegerField(unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    promotion = EncryptedTextField(blank=True, default="")  # how the Code of Conduct was promoted
    body = EncryptedTextField(blank=True, default="")
    include_statistics = models.BooleanField(default=False)  # the chair adds the year's charts
    statistics = EncryptedJSONField(default=dict, blank=True)
    checks_requested_at = models.DateTimeField(null=True, blank=True)  # the case teams were asked
    # Published outside cocdesk and recorded for the yearly reminder: no text here, no public page.
    outside = models.BooleanField(default=False)
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


class CheckOutcome(models.TextChoices):
    LOOKS_FINE = "looks_fine", _("Nothing in the text tells who was involved")
    CHANGE_ASKED = "change_asked", _("A change was asked for")


class CaseCheck(models.Model):
    """A case team's check of one text of a report, for the people of their case (D6).

    It holds for the text it was made on (`digest`, a SHA-256 of the body): any change of the text
    asks every team again. A team that asks for a change may leave the chair a note.
    """

    report = models.ForeignKey(TransparencyReport, on_delete=models.CASCADE, related_name="case_checks")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="transparency_checks")
    digest = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=CheckOutcome.choices)
    note = EncryptedTextField(blank=True, default="")  # to the chair; written to be read by her
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "case"], name="one_check_per_case_and_report")
        ]

    def __str__(self) -> str:
        return f"check of report {self.report_id} by the team of case {self.case_id}"
