"""Writes for transparency reports (D6): the type and public summary of an incident, the chair's
report from draft to publication, and the case teams' check of its text. Callers check permissions
through `access` first.

No identifier, summary or note ever goes into the audit log: entries name the report or the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.services import case_category_set
from cocdesk.errors import Refused
from cocdesk.transparency import selectors
from cocdesk.transparency.models import (
    CaseCheck,
    CheckOutcome,
    IncidentSummary,
    ReportStatus,
    TransparencyReport,
)

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


@transaction.atomic
def case_public_summary_set(
    *, case: Case, by: Member, category: str, text: str, anonymizable: bool
) -> IncidentSummary:
    """Set the type of incident and its generalized public description. A summary is published only
    when there is one and the members marked it as identifying nobody.

    Side effects: Case.category, the case's IncidentSummary (created or updated), audit
    `case.category_set` and `case.public_summary_set` (no text in the log).
    """
    case_category_set(case=case, by=by, category=category)
    summary, _created = IncidentSummary.objects.get_or_create(case=case)
    summary.text = text.strip()
    summary.anonymizable = anonymizable and bool(summary.text)
    summary.updated_at, summary.updated_by = clock.now(), by
    summary.full_clean()
    summary.save()
    audit_record(actor=by, action="case.public_summary_set", target=case)
    return summary


def _regenerate(report: TransparencyReport) -> bool:
    """Generate the text and charts again; True if they changed (then they are saved)."""
    fresh = selectors.report_generate(report=report, now=clock.now())
    if fresh.body == report.body and fresh.statistics == report.statistics:
        return False
    report.body, report.statistics = fresh.body, fresh.statistics
    report.save(update_fields=["body", "statistics"])
    return True


@transaction.atomic
def report_draft_create(*, year: int, by: Member) -> TransparencyReport:
    """Start the report for `year`: the calendar year, its text generated from the cases received or
    resolved in it.

    Side effects: a draft TransparencyReport, audit `transparency.drafted`.
    """
    if TransparencyReport.objects.filter(year=year).exists():
        raise Refused(_("There is already a report for %(year)s.") % {"year": year})
    report = TransparencyReport(
        year=year, period_start=date(year, 1, 1), period_end=date(year, 12, 31), created_by=by
    )
    fresh = selectors.report_generate(report=report, now=clock.now())
    report.body, report.statistics = fresh.body, fresh.statistics
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
def report_edit(
    *, report: TransparencyReport, by: Member, promotion: str, include_statistics: bool
) -> TransparencyReport:
    """Describe how the Code of Conduct was promoted, and add or leave out the year's charts; the
    text is generated again (the case teams then check the new text).

    Side effects: TransparencyReport.promotion, .include_statistics, .body and .statistics, audit
    `transparency.edited`.
    """
    report = _draft(report)
    report.promotion, report.include_statistics = promotion.strip(), include_statistics
    report.save(update_fields=["promotion", "include_statistics"])
    _regenerate(report)
    audit_record(actor=by, action="transparency.edited", target=report)
    return report


@transaction.atomic
def report_refresh(*, report: TransparencyReport, by: Member) -> TransparencyReport:
    """Generate the text again from the cases and summaries as they are now.

    Side effects: TransparencyReport.body and .statistics, audit `transparency.refreshed`.
    """
    report = _draft(report)
    _regenerate(report)
    audit_record(actor=by, action="transparency.refreshed", target=report)
    return report


@transaction.atomic
def report_checks_request(*, report: TransparencyReport, by: Member) -> list[int]:
    """Ask the team of every case the chair may not read to check the current text. Returns the
    members asked (the chair is not told who: the view only says the teams were asked).

    Side effects: TransparencyReport.checks_requested_at; one email per member taking part in such a
    case (`notices.transparency_check_asked`, once per text); audit `transparency.checks_requested`.
    """
    report = _draft(report)
    if report.checks_requested_at is None:
        report.checks_requested_at = clock.now()
        report.save(update_fields=["checks_requested_at"])
    digest = selectors.text_digest(report.body)
    asked = []
    for case, members in selectors.members_to_ask(report=report):
        asked += notices.transparency_check_asked(report=report, case=case, members=members, digest=digest)
    audit_record(actor=by, action="transparency.checks_requested", target=report)
    return asked


@transaction.atomic
def report_case_check(
    *, report: TransparencyReport, case: Case, by: Member, read: str, looks_fine: bool, note: str = ""
) -> CaseCheck:
    """A member of a case's team answers for their case: nothing in the text tells who was involved
    (`looks_fine`), or a change is needed, with an optional note to the chair. Refused when the text
    changed since they read it, and "looks fine" while the check finds their people in it.

    Side effects: the case's CaseCheck for this report (created or replaced); on a change asked, an
    email to the chair(s) naming no case (`notices.transparency_change_asked`); audit
    `transparency.case_checked` (no note in the log).
    """
    report = _draft(report)
    digest = selectors.text_digest(report.body)
    if read != digest:
        raise Refused(_("The text changed while you were reading it. Please read it again."))
    if looks_fine and selectors.hits_for_case(report=report, case=case):
        raise Refused(
            _(
                "Words that name someone in this case are in the text. Please ask the chair for a change "
                "instead, and say what should change."
            )
        )
    check, _created = CaseCheck.objects.update_or_create(
        report=report,
        case=case,
        defaults={
            "digest": digest,
            "outcome": CheckOutcome.LOOKS_FINE if looks_fine else CheckOutcome.CHANGE_ASKED,
            "note": "" if looks_fine else note.strip(),
            "by": by,
            "at": clock.now(),
        },
    )
    if not looks_fine:
        notices.transparency_change_asked(report=report, digest=digest)
    audit_record(actor=by, action="transparency.case_checked", target=case)
    return check


@dataclass
class Publication:
    """What an attempt to publish came to. `published` is False when anything stood in the way: a
    text that changed since the chair read it (`changed`), identifiers found in the text for cases
    the chair may read (`hits`), or case teams that have not yet found this text fine
    (`waiting_for_teams`: the same whether or not their check found anything)."""

    report: TransparencyReport
    published: bool = False
    changed: bool = False
    hits: list[selectors.IdentifierHit] = field(default_factory=list)
    waiting_for_teams: bool = False


@transaction.atomic
def report_publish(*, report: TransparencyReport, by: Member, read: str) -> Publication:
    """Publish the report the chair read (`read`: the digest of the text she confirmed), once its
    year is over, its text names nobody of the cases she may read, and the teams of the other cases
    found it fine.

    The text is generated again first; if it differs from what she read, the new text is saved and
    nothing is published (she reads it again).
    Side effects: on success status, published_at and published_by (the public page serves it and
    the yearly reminder counts from it) and audit `transparency.published`; when blocked, audit
    `transparency.publish_blocked` (no identifier in the log); when the text changed, the new body.
    """
    report = _draft(report)
    now = clock.now()
    if not selectors.year_is_over(report.year, now=now):
        raise Refused(
            _("%(year)s is not over yet. Its report can be published from 1 January %(next)s.")
            % {"year": report.year, "next": report.year + 1}
        )
    if _regenerate(report) or read != selectors.text_digest(report.body):
        return Publication(report=report, changed=True)
    outcome = Publication(
        report=report,
        hits=selectors.hits_for_chair(report=report, user=by),
        waiting_for_teams=not selectors.team_checks(report=report).done,
    )
    if outcome.hits or outcome.waiting_for_teams:
        audit_record(actor=by, action="transparency.publish_blocked", target=report)
        return outcome
    report.status, report.published_at, report.published_by = ReportStatus.PUBLISHED, now, by
    report.save(update_fields=["status", "published_at", "published_by"])
    audit_record(actor=by, action="transparency.published", target=report)
    outcome.published = True
    return outcome


@transaction.atomic
def report_published_elsewhere_record(*, year: int, by: Member) -> TransparencyReport:
    """The chair records a report for `year` that was published outside cocdesk (before it was
    used, say), so the yearly reminder counts from it. Side effects: a published TransparencyReport
    without text (nothing is served for it), audit `transparency.published`."""
    if TransparencyReport.objects.filter(year=year).exists():
        raise Refused(_("There is already a report for %(year)s.") % {"year": year})
    now = clock.now()
    report = TransparencyReport(
        year=year,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        status=ReportStatus.PUBLISHED,
        outside=True,
        created_by=by,
        published_at=now,
        published_by=by,
    )
    report.full_clean()
    report.save()
    audit_record(actor=by, action="transparency.published", target=report)
    return report
