"""Writes for transparency reports (D6): the type and public summary of an incident, and the
chair's report from draft to publication. Callers check permissions through `access` first.

No identifier or summary text ever goes into the audit log: entries name the report or the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.cases.services import case_category_set
from cocdesk.errors import Refused
from cocdesk.transparency import selectors
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


@transaction.atomic
def case_public_summary_set(
    *, case: Case, by: Member, category: str, text: str, anonymizable: bool
) -> IncidentSummary:
    """Set the type of incident and its generalized public description.

    Side effects: Case.category, the case's IncidentSummary (created or updated), audit
    `case.category_set` and `case.public_summary_set` (no text in the log).
    """
    case_category_set(case=case, by=by, category=category)
    summary, _created = IncidentSummary.objects.get_or_create(case=case)
    summary.text, summary.anonymizable = text.strip(), anonymizable
    summary.updated_at, summary.updated_by = clock.now(), by
    summary.full_clean()
    summary.save()
    audit_record(actor=by, action="case.public_summary_set", target=case)
    return summary


def default_period(*, year: int) -> tuple[date, date]:
    """From the day after the last published report's period (or 1 January) to 31 December."""
    last = selectors.last_published_report()
    start = date(year, 1, 1)
    if last is not None and last.period_end < date(year, 12, 31):
        start = last.period_end + timedelta(days=1)
    return start, date(year, 12, 31)


@transaction.atomic
def report_draft_create(
    *, year: int, by: Member, period_start: date | None = None, period_end: date | None = None
) -> TransparencyReport:
    """Start the report for `year`, its text generated from the cases received in the period.

    Side effects: a draft TransparencyReport, audit `transparency.drafted`.
    """
    if TransparencyReport.objects.filter(year=year).exists():
        raise Refused(_("There is already a report for %(year)s.") % {"year": year})
    default_start, default_end = default_period(year=year)
    start, end = period_start or default_start, period_end or default_end
    if start > end:
        raise Refused(_("The period has to start before it ends."))
    report = TransparencyReport(year=year, period_start=start, period_end=end, created_by=by)
    report.body = selectors.report_generate(report=report)
    report.full_clean()
    report.save()
    audit_record(actor=by, action="transparency.drafted", target=report)
    return report


def _draft(report: TransparencyReport) -> TransparencyReport:
    locked = TransparencyReport.objects.select_for_update().get(pk=report.pk)
    if locked.status != ReportStatus.DRAFT:
        raise Refused(_("This report is already published and cannot change."))
    return locked


@transaction.atomic
def report_promotion_update(*, report: TransparencyReport, by: Member, promotion: str) -> TransparencyReport:
    """Describe how the Code of Conduct was promoted; the text is generated again.

    Side effects: TransparencyReport.promotion and .body, audit `transparency.edited`.
    """
    report = _draft(report)
    report.promotion = promotion.strip()
    report.body = selectors.report_generate(report=report)
    report.save(update_fields=["promotion", "body"])
    audit_record(actor=by, action="transparency.edited", target=report)
    return report


@transaction.atomic
def report_refresh(*, report: TransparencyReport, by: Member) -> TransparencyReport:
    """Generate the text again from the cases and summaries as they are now.

    Side effects: TransparencyReport.body, audit `transparency.refreshed`.
    """
    report = _draft(report)
    report.body = selectors.report_generate(report=report)
    report.save(update_fields=["body"])
    audit_record(actor=by, action="transparency.refreshed", target=report)
    return report


@dataclass
class Publication:
    """What an attempt to publish came to. `published` is False when anything stood in the way:
    identifiers found in the text (`hits`), or a text that changed since the chair last read it."""

    report: TransparencyReport
    published: bool = False
    changed: bool = False
    hits: list[selectors.IdentifierHit] = field(default_factory=list)


@transaction.atomic
def report_publish(*, report: TransparencyReport, by: Member) -> Publication:
    """Publish the report, once its text holds no identifier of any party of any case.

    The text is generated again first; if that differs from the text the chair read, the new text
    is saved and nothing is published (they read it again). Then every name, email address and
    handle of every party is looked for; any hit blocks publication.
    Side effects: on success status, published_at and published_by (the yearly reminder counts
    from it) and audit `transparency.published`;
    when blocked, audit `transparency.publish_blocked` (no identifier in the log); when the text
    changed, the new body.
    """
    report = _draft(report)
    fresh = selectors.report_generate(report=report)
    if fresh != report.body:
        report.body = fresh
        report.save(update_fields=["body"])
        return Publication(report=report, changed=True)
    hits = selectors.identifier_hits(text=report.body)
    if hits:
        audit_record(actor=by, action="transparency.publish_blocked", target=report)
        return Publication(report=report, hits=hits)
    report.status, report.published_at, report.published_by = ReportStatus.PUBLISHED, clock.now(), by
    report.save(update_fields=["status", "published_at", "published_by"])
    audit_record(actor=by, action="transparency.published", target=report)
    return Publication(report=report, published=True)


@transaction.atomic
def report_published_elsewhere_record(*, year: int, by: Member) -> TransparencyReport:
    """The chair records a report for `year` that was published outside cocdesk (before it was
    used, say), so the yearly reminder counts from it. Side effects: a published TransparencyReport
    without text, audit `transparency.published`."""
    if TransparencyReport.objects.filter(year=year).exists():
        raise Refused(_("There is already a report for %(year)s.") % {"year": year})
    now = clock.now()
    report = TransparencyReport(
        year=year,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        status=ReportStatus.PUBLISHED,
        created_by=by,
        published_at=now,
        published_by=by,
    )
    report.full_clean()
    report.save()
    audit_record(actor=by, action="transparency.published", target=report)
    return report
