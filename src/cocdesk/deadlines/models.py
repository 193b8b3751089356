"""Deadlines app tables (D5): what `tick` did, reporter message templates, member check-ins,
calendar-feed tokens, how each member hears from cocdesk (the daily digest), and the committee's
retention settings and extensions.

Deadlines themselves are not stored: they are computed from the case (rules.py) every time.
What is stored is what was *done* about them, so that nothing is done twice.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class Rule(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge the report within 24 hours")
    DECIDE = "decide", _("Tell the reporter the decision and actions within 7 days")
    DELAY_NOTICE = "delay_notice", _("Tell the reporter the decision will take longer")
    SEARCH_UPDATE = "search_update", _("Daily update while the reported person is searched for")
    DECLARE = "declare", _("Answer the conflict-of-interest question on a new report")
    CHECK_IN = "check_in", _("Six-monthly check-in: does the member continue?")
    TRANSPARENCY = "transparency", _("Yearly transparency report")
    RETENTION = "retention", _("Delete the case content at the end of its retention period")
    AUDIT_ANCHOR = "audit_anchor", _("Anchor the audit log's head outside the database")
    RETENTION_NOTICE = "retention_notice", _("Tell the chair 30 days before a case's content is deleted")
    DIGEST = "digest", _("One email a day listing what waits for the member")


class DeadlineAction(models.Model):
    """One thing `tick` did (a reminder round, a delay notice, a check-in request…), by a unique key.

    Inserting the key is the claim: a second run, or a concurrent one, fails on the unique key and
    does nothing. The key names the case, rule and period only; never any content.
    """

    key = models.CharField(max_length=200, unique=True)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="deadline_actions"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.key


class TemplateKind(models.TextChoices):
    """The messages to reporters that have a template (the kinds of cases.Message they become)."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    UPDATE = "update", _("Update")
    DECISION = "decision", _("Decision and actions")
    DELAY = "delay", _("Delay notice")


class ReporterTemplate(models.Model):
    """An editable starting point for a message to a reporter. Plain text; `{reference}` is filled in."""

    kind = models.CharField(max_length=16, choices=TemplateKind.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.kind


class CheckInAnswer(models.TextChoices):
    CONTINUE = "continue", _("I would like to continue")
    STEP_DOWN = "step_down", _("I would like to step down")


class CheckIn(models.Model):
    """The six-monthly question to a member (D8): "Would you like to continue?"."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins")
    due_at = models.DateTimeField()  # six months after joining or after the last answer
    asked_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=10, choices=CheckInAnswer.choices, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "due_at"], name="one_check_in_per_period")]

    def __str__(self) -> str:
        return f"check-in of member {self.member_id} due {self.due_at:%Y-%m-%d}"


class CalendarToken(models.Model):
    """The secret in a member's calendar-feed address. Only its keyed hash is stored."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar token of member {self.member_id}"


DIGEST_AT_DEFAULT = time(9, 0)


def site_time_zone() -> str:
    """A member's time zone until they choose one: the site's (`TIME_ZONE`)."""
    return settings.TIME_ZONE


class NoticePreference(models.Model):
    """How a committee member hears from cocdesk (D5): one digest email a day, at `digest_at` in
    their `time_zone`, listing what waits for them; new discussion posts and proposals waiting for
    their vote are also emailed at once if they chose so. A new report and immediate danger are
    always emailed at once. No row: the defaults (09:00 in the site's time zone, digest only)."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference"
    )
    time_zone = models.CharField(max_length=64, default=site_time_zone)
    digest_at = models.TimeField(default=DIGEST_AT_DEFAULT)
    posts_at_once = models.BooleanField(default=False)
    votes_at_once = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"notice preferences of member {self.member_id}"


def _months(default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=default, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )


class RetentionPolicy(models.Model):
    """How long the committee keeps closed cases (D5): one row, edited by the chair, audited. Until
    the chair first saves it there is no row and the defaults apply (6/12/24/24 months)."""

    SINGLETON = 1

    minor_months = _months(6)
    moderate_months = _months(12)
    severe_months = _months(24)
    unassessed_months = _months(24)
    never_delete = models.BooleanField(default=False)
    extend_months = _months(6)  # how much longer "keep it longer" keeps one case
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_retention_policy")]

    def __str__(self) -> str:
        return "retention policy"


class RetentionExtension(models.Model):
    """A closed case kept longer than the committee's periods (D5): at least until `until`. The
    reason is encrypted; the row goes when the case's content is deleted."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="retention_extensions")
    until = models.DateTimeField()
    reason = EncryptedTextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"retention extension {self.pk} of case {self.case_id}"
