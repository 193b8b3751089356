"""The yearly transparency report (D6): which cases a year covers, what it counts and describes,
what it never shows, small-number protection, and the command that prints it."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.cases.services import case_expunge
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.errors import Refused
from cocdesk.transparency import selectors, services
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport
from cocdesk.transparency.render import markdown_to_html
from tests.factories import CASE_CANARY
from tests.mailbox import delivered
from tests.transparency.conftest import AFTER, IN_2025, draft, incident

pytestmark = pytest.mark.django_db


def section(body: str, title: str) -> str:
    """The text under `## title`, up to the next `## ` heading."""
    return body.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def publish(report, chair, moment=AFTER):
    """The case teams find the text fine (see test_identifier_check.py), then the chair publishes."""
    with clock.frozen(moment):
        report.refresh_from_db()
        if not report.is_published and selectors.year_is_over(report.year, now=moment):
            services.report_refresh(report=report, by=chair)
            report.refresh_from_db()
            for case, members in selectors.members_to_ask(report=report):
                services.report_case_check(
                    report=report,
                    case=case,
                    by=members.first(),
                    read=selectors.text_digest(report.body),
                    looks_fine=True,
                )
        return services.report_publish(report=report, by=chair, read=selectors.text_digest(report.body))


# --- which cases a year covers ----------------------------------------------------------------------


def test_a_case_received_in_one_year_and_resolved_in_the_next_appears_in_both(alice, chair, exact):
    incident(
        by=alice,
        at=datetime(2026, 12, 20, 18, tzinfo=UTC),
        state="closed",
        closed_at=datetime(2027, 1, 8, 12, tzinfo=UTC),
        resolution="resolved_with_action",
        category="harassment",
        summary="Unwelcome remarks in a chat channel; the person was warned.",
    )
    incident(by=alice, category="other", state="closed", summary="Spam in a forum; removed.")

    first = draft(chair, year=2026).body  # drafted on 10 January 2027: the case closed two days before

    assert "We received 2 reports in 2026." in first
    assert "- Still open at the end of 2026: 1\n" in section(first, "Reports")
    assert "- Still open at the end of 2026: 1\n" in section(first, "Resolutions")
    assert "Unwelcome remarks" not in first  # described once it is resolved, in that year's report
    assert "Harassment" not in first  # open cases are counted without their type
    assert "- Other: 1\n" in section(first, "Types of incidents")

    second = draft(chair, year=2027, at=datetime(2028, 1, 6, 9, tzinfo=UTC)).body

    assert "We received no reports in 2027." in second
    assert "We also resolved 1 report received in earlier years." in second
    assert "- Harassment or unwelcome comments: 1\n" in section(second, "Types of incidents")
    assert "- Resolved with action: 1\n" in section(second, "Resolutions")
    incidents = section(second, "The incidents")
    assert (
        "### Incident 1\n\n- Outcome: Resolved with action\n- Received in 2026, resolved in 2027.\n\n"
        "Unwelcome remarks in a chat channel; the person was warned." in incidents
    )
    assert "Spam in a forum" not in second  # resolved in 2026: described in 2026's report only


def test_a_case_of_an_earlier_year_still_open_is_not_in_the_year(alice, chair, exact):
    incident(by=alice, at=IN_2025, category="harassment", summary="Old and open.", state="deliberation")
    body = draft(chair).body
    assert "We received no reports in 2026." in body and "Old and open." not in body
    assert "We also resolved" not in body


def test_a_draft_covers_a_whole_calendar_year(alice, chair, exact):
    incident(by=alice, at=datetime(2026, 1, 1, 0, 5, tzinfo=UTC), state="closed", summary="First.")
    incident(by=alice, at=datetime(2026, 12, 31, 23, 55, tzinfo=UTC), state="closed", summary="Last.")
    incident(by=alice, at=datetime(2027, 1, 1, 0, 5, tzinfo=UTC), state="closed", summary="Next year.")
    report = draft(chair)
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == ("2026-01-01", "2026-12-31")
    assert "First." in report.body and "Last." in report.body and "Next year." not in report.body
    assert "received in 2026, and the reports from earlier years that it resolved in 2026" in report.body


# --- what is counted ------------------------------------------------------------------------------------


def test_totals_types_and_resolutions_count_the_described_incidents(alice, chair, exact):
    incident(by=alice, category="harassment", state="closed", resolution="resolved_with_action", summary="A.")
    incident(by=alice, category="harassment", state="closed", resolution="no_violation", summary="B.")
    incident(by=alice, category="discrimination", state="closed", resolution="unresolved", summary="C.")
    incident(by=alice, category="other", state="deliberation", summary="Still being decided.")
    incident(by=alice, category="physical_safety", at=IN_2025, state="closed", summary="Last year.")

    body = draft(chair).body

    assert "We received 4 reports in 2026." in body
    types = section(body, "Types of incidents")
    assert "- Harassment or unwelcome comments: 2\n" in types and "- Discriminatory language: 1\n" in types
    assert "Other" not in types and "Physical safety" not in body
    resolutions = section(body, "Resolutions")
    for line in (
        "Resolved with action: 1",
        "No violation: 1",
        "Unresolved: 1",
        "Still open at the end of 2026: 1",
    ):
        assert f"- {line}\n" in resolutions
    assert "Still being decided." not in body and "Last year." not in body
    assert body.count("### Incident") == 3
    assert "- Type:" not in body  # types are only counted, so small totals stay protected


def test_a_report_was_made_incident_changes_no_total_but_the_count(alice, chair, exact):
    incident(by=alice, category="harassment", state="closed", resolution="no_violation", summary="A remark.")
    before = draft(chair).body
    TransparencyReport.objects.all().delete()
    incident(
        by=alice,
        category="physical_safety",
        state="closed",
        resolution="resolved_with_action",
        summary="canary-5c1e only one person at that sprint could have done this",
        anonymizable=False,
    )

    after = draft(chair).body

    assert "We received 1 report in 2026." in before and "We received 2 reports in 2026." in after
    for title in ("Types of incidents", "Resolutions"):
        assert section(before, title) == section(after, title)
    assert "Physical safety" not in after and "Resolved with action" not in after
    assert "canary-5c1e" not in after and CASE_CANARY not in after
    assert after.count("### Incident") == 1
    assert (
        "1 further report resolved in 2026 is not described: describing it would tell who was involved, "
        "so we note only that it was made." in after
    )


def test_small_totals_are_shown_as_fewer_than_three(alice, chair):
    for _ in range(3):
        incident(by=alice, category="harassment", state="closed", resolution="no_violation", summary="A.")
    incident(by=alice, category="discrimination", state="closed", resolution="unresolved", summary="B.")
    incident(by=alice, category="unwanted_contact", state="closed", resolution="no_violation", summary="C.")
    incident(by=alice, state="triage")

    body = draft(chair).body

    assert "every number under 3 is shown as “fewer than 3”" in body
    assert "We received 6 reports in 2026." in body
    types = section(body, "Types of incidents")
    assert "- Harassment or unwelcome comments: 3\n" in types
    assert "- Other types, together: fewer than 3\n" in types
    assert "Discriminatory" not in body and "Unwanted contact" not in body
    resolutions = section(body, "Resolutions")
    assert "- No violation: 4\n" in resolutions
    assert "- Unresolved: fewer than 3\n" in resolutions
    assert "- Still open at the end of 2026: fewer than 3\n" in resolutions


def test_the_threshold_is_a_setting(alice, chair, settings):
    settings.SMALL_NUMBER_THRESHOLD = 5
    for _ in range(4):
        incident(by=alice, category="harassment", state="closed", summary="A.")
    body = draft(chair).body
    assert "We received fewer than 5 reports in 2026." in body
    assert "- Other types, together: fewer than 5\n" in section(body, "Types of incidents")


def test_sealed_and_expunged_cases_are_counted_only(alice, chair, exact):
    sealed = incident(by=alice, kind="escrowed", participants=())
    IncidentSummary.objects.create(case=sealed, text="canary-sealed-77 summary", anonymizable=True)
    gone = incident(
        by=alice,
        category="harassment",
        state="closed",
        resolution="no_violation",
        summary="canary-expunged-31 summary",
    )
    with clock.frozen(AFTER - timedelta(days=1)):
        assert case_expunge(case=gone)
    incident(by=alice, category="harassment", state="closed", resolution="no_violation", summary="A remark.")
    assert Case.objects.get(pk=sealed.pk).sealed

    body = draft(chair).body

    assert "We received 3 reports in 2026." in body
    assert "- Kept sealed (escrow), as the people who made them asked: 1\n" in section(body, "Reports")
    assert "- Harassment or unwelcome comments: 1\n" in body  # the expunged case adds to no type
    assert "- No violation: 1\n" in body
    assert "1 further report is counted only: its record was deleted under our retention policy." in body
    assert body.count("### Incident") == 1
    for secret in ("canary-sealed-77", "canary-expunged-31", sealed.reference, gone.reference):
        assert secret not in body


def test_the_text_never_names_references_and_publishes_when_clean(alice, chair):
    case = incident(
        by=alice, category="harassment", state="closed", resolution="no_violation", summary="A remark."
    )
    report = draft(chair)
    with clock.frozen(AFTER):
        report = services.report_edit(
            report=report, by=chair, promotion="Linked from every event page.", include_statistics=False
        )

    outcome = publish(report, chair)

    assert outcome.published and not outcome.hits
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED and report.published_at == AFTER
    assert report.published_by == chair
    assert case.reference not in report.body and "Linked from every event page." in report.body
    assert AuditEntry.objects.filter(action="transparency.published", object_id=str(report.pk)).exists()


def test_a_year_is_published_only_after_it_ends(alice, chair):
    incident(by=alice, category="harassment", state="closed", summary="A remark.")
    november = datetime(2026, 11, 20, 10, tzinfo=UTC)
    report = draft(chair, at=november)
    with pytest.raises(Refused, match="2026 is not over yet"):
        publish(report, chair, moment=november)
    assert TransparencyReport.objects.get().status == ReportStatus.DRAFT
    assert publish(report, chair).published


def test_a_summary_changed_after_the_chair_read_the_text_is_not_published_unread(alice, chair):
    case = incident(by=alice, category="harassment", state="closed", summary="First words.")
    report = draft(chair)
    read = selectors.text_digest(report.body)
    services.case_public_summary_set(
        case=case, by=alice, category="harassment", text="Other words.", anonymizable=True
    )

    with clock.frozen(AFTER):
        outcome = services.report_publish(report=report, by=chair, read=read)

    assert outcome.changed and not outcome.published
    report.refresh_from_db()
    assert "Other words." in report.body and report.status == ReportStatus.DRAFT
    assert publish(report, chair).published


def test_a_published_report_never_changes(alice, chair):
    case = incident(by=alice, category="harassment", state="closed", summary="First words.")
    report = draft(chair)
    assert publish(report, chair).published
    services.case_public_summary_set(case=case, by=alice, category="other", text="Later.", anonymizable=True)
    with pytest.raises(Refused):
        services.report_refresh(report=report, by=chair)
    report.refresh_from_db()
    assert "First words." in report.body and "Later." not in report.body


# --- the yearly reminder (deadlines) ------------------------------------------------------------------


def test_publishing_records_the_publication_and_the_yearly_reminder_stops(alice, chair):
    incident(by=alice, category="harassment", state="closed", summary="A remark.")
    due = deadline_selectors.transparency_due_at()
    assert due == datetime(2027, 1, 5, tzinfo=UTC)  # a year after the chair joined
    # The chair reads it in her daily email (09:00), the day it falls due and once a week after.
    reminders = lambda: [m for m in delivered() if "transparency report is due" in m.body]  # noqa: E731

    tick(due + timedelta(hours=10))
    assert [m.to for m in reminders()] == [[chair.email]]
    assert publish(draft(chair), chair, moment=due + timedelta(days=2)).published

    tick(due + timedelta(days=7, hours=10))  # a week later: without the publication, a second reminder
    assert len(reminders()) == 1
    assert deadline_selectors.transparency_due_at() == due + timedelta(days=2) + (
        datetime(2028, 1, 5, tzinfo=UTC) - due
    )


def tick(moment):
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("tick", now=moment.isoformat(), stdout=StringIO())


# --- the command and the HTML ---------------------------------------------------------------------------


def test_the_command_prints_the_published_report(alice, chair):
    incident(
        by=alice, category="harassment", state="closed", summary="Someone wrote <script>x</script> & left."
    )
    report = draft(chair)
    assert publish(report, chair).published
    report.refresh_from_db()

    md, html, err = StringIO(), StringIO(), StringIO()
    call_command("transparency_report", year=2026, stdout=md, stderr=err)
    call_command("transparency_report", year=2026, format="html", stdout=html, stderr=StringIO())

    assert md.getvalue() == report.body and not err.getvalue()
    assert md.getvalue().startswith("# Code of Conduct transparency report 2026\n")
    page = html.getvalue()
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Code of Conduct transparency report 2026</h1>" in page
    assert "<h2>Resolutions</h2>" in page
    assert "Someone wrote &lt;script&gt;x&lt;/script&gt; &amp; left." in page
    assert "<script>" not in page


def test_the_command_prints_the_draft_the_years_data_gives_now(alice, chair):
    incident(by=alice, category="harassment", state="closed", summary="A remark in a meeting.")

    md, err = StringIO(), StringIO()
    with clock.frozen(AFTER):
        call_command("transparency_report", year=2026, stdout=md, stderr=err)

    text = md.getvalue()
    assert text.startswith("DRAFT: this report is not published.")
    assert "# Code of Conduct transparency report 2026" in text and "A remark in a meeting." in text
    assert "DRAFT" in err.getvalue()
    assert not TransparencyReport.objects.exists()  # printing stores nothing

    html = StringIO()
    with clock.frozen(AFTER):
        call_command("transparency_report", year=2026, format="html", stdout=html, stderr=StringIO())
    assert "<p>DRAFT: this report is not published." in html.getvalue()


def test_the_command_prints_a_drafts_current_text(alice, chair):
    case = incident(by=alice, category="harassment", state="closed", summary="First words.")
    draft(chair)
    services.case_public_summary_set(case=case, by=alice, category="other", text="Newer.", anonymizable=True)
    md = StringIO()
    with clock.frozen(AFTER):
        call_command("transparency_report", year=2026, stdout=md, stderr=StringIO())
    assert md.getvalue().startswith("DRAFT") and "Newer." in md.getvalue()


def test_the_html_has_headings_lists_and_paragraphs_only():
    html = markdown_to_html("# T\n\nline one\nline <two>\n\n- a\n- b & c\n\n### h\n")
    assert html == (
        "<h1>T</h1>\n<p>line one<br>\nline &lt;two&gt;</p>\n"
        "<ul>\n<li>a</li>\n<li>b &amp; c</li>\n</ul>\n<h3>h</h3>\n"
    )
