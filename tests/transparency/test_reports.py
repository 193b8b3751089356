"""The yearly transparency report (D6): what it counts, what it describes, what it never
shows, and the identifier check that blocks publication."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, PartyRole
from cocdesk.cases.services import PartyInput, case_expunge, conflict_declare
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.transparency import selectors, services
from cocdesk.transparency.models import IncidentSummary, ReportStatus
from cocdesk.transparency.render import markdown_to_html
from cocdesk.transparency.selectors import IdentifierKind
from tests.factories import CASE_CANARY, open_report
from tests.transparency.conftest import AFTER, IN_2025, draft, incident

pytestmark = pytest.mark.django_db


def publish(report, chair, moment=AFTER):
    with clock.frozen(moment):
        return services.report_publish(report=report, by=chair)


def test_totals_and_types_are_counted_for_the_period_only(alice, chair):
    incident(by=alice, category="harassment", state="closed", resolution="resolved_with_action")
    incident(by=alice, category="harassment", state="closed", resolution="no_violation")
    incident(by=alice, category="discrimination", state="deliberation")
    incident(by=alice, category="")
    incident(by=alice, category="physical_safety", at=IN_2025)  # before the period

    body = draft(chair).body

    assert "We received 4 reports." in body
    assert "- Harassment or unwelcome comments: 2\n" in body
    assert "- Discriminatory language: 1\n" in body
    assert "- Not categorized yet: 1\n" in body
    assert "Physical safety" not in body
    assert (
        "covers the reports the Code of Conduct committee received from 1 January 2026 to 31 December 2026"
        in body
    )


def test_unresolved_and_ongoing_cases_are_in_the_resolutions(alice, chair):
    incident(
        by=alice, category="harassment", state="closed", resolution="unresolved", summary="Rude remarks."
    )
    incident(
        by=alice, category="harassment", state="response", summary="Repeated interruptions in a meeting."
    )
    incident(by=alice, category="other", state="closed", resolution="resolved_with_action", summary="Spam.")

    body = draft(chair).body

    resolutions = body.split("## Resolutions")[1].split("## The incidents")[0]
    assert "- Unresolved: 1\n" in resolutions
    assert "- Still being handled: 1\n" in resolutions
    assert "- Resolved with action: 1\n" in resolutions
    incidents = body.split("## The incidents")[1]
    assert (
        "### Incident 1\n\n- Type: Harassment or unwelcome comments\n- Outcome: Unresolved\n\nRude remarks."
        in incidents
    )
    assert "- Outcome: Still being handled\n\nRepeated interruptions in a meeting." in incidents
    assert "- Type: Other\n- Outcome: Resolved with action\n\nSpam." in incidents


def test_an_incident_that_cannot_be_anonymized_appears_only_as_a_report_was_made(alice, chair):
    incident(
        by=alice,
        category="unwanted_contact",
        state="closed",
        resolution="resolved_with_action",
        summary="canary-5c1e only one person at that sprint could have done this",
        anonymizable=False,
    )
    incident(by=alice, category="harassment")  # no summary written: also only "a report was made"

    body = draft(chair).body

    incidents = body.split("## The incidents")[1]
    assert incidents == "\n\n### Incident 1\n\nA report was made.\n\n### Incident 2\n\nA report was made.\n"
    assert "canary-5c1e" not in body
    assert CASE_CANARY not in body  # the reporter's own words never appear
    assert "- Unwanted contact or attention: 1" in body  # still counted


def test_sealed_and_expunged_cases_are_counted_only(alice, chair):
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

    assert "We received 3 reports." in body
    assert "1 report was kept sealed (escrow), as the person who made it asked; it is counted only." in body
    assert "- Harassment or unwelcome comments: 2\n" in body  # the expunged case kept its type
    assert "- No violation: 2\n" in body
    assert (
        "1 further report is counted above only: its record was deleted under our retention policy." in body
    )
    assert body.count("### Incident") == 1
    for secret in ("canary-sealed-77", "canary-expunged-31", sealed.reference, gone.reference):
        assert secret not in body


def test_the_text_never_names_references_or_parties_and_publishes_when_clean(alice, chair):
    case = incident(
        by=alice, category="harassment", state="closed", resolution="no_violation", summary="A remark."
    )
    report = draft(chair)
    with clock.frozen(AFTER):
        services.report_promotion_update(report=report, by=chair, promotion="Linked from every event page.")

    outcome = publish(report, chair)

    assert outcome.published and not outcome.hits
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED and report.published_at == AFTER
    assert report.published_by == chair
    assert case.reference not in report.body and "Linked from every event page." in report.body
    assert AuditEntry.objects.filter(action="transparency.published", object_id=str(report.pk)).exists()


# --- the identifier check ---------------------------------------------------------------------------


def other_case(*, by):
    """A case of another year whose reported person has distinct identifiers: every party of every
    case is checked, not only those of the period."""
    with clock.frozen(IN_2025):
        opened = open_report(
            channel="email",
            description="whatever",
            parties=[
                PartyInput(
                    role=PartyRole.REPORTED,
                    name="Quinn Avery",
                    email="qa.writes@example.com",
                    handle="@sparrow42",
                ),
                PartyInput(role=PartyRole.WITNESS, name="Mo", handle="owl@social.example"),
            ],
        )
    conflict_declare(case=opened.case, member=by, has_conflict=False)
    return opened.case


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("A conversation with QUINN AVERY followed.", IdentifierKind.NAME),
        ("A conversation with quinn\n avery followed.", IdentifierKind.NAME),
        ("They wrote as Qa.Writes@Example.COM in the forum.", IdentifierKind.EMAIL),
        ("They wrote as QA.WRITES in the forum.", IdentifierKind.EMAIL_LOCAL),
        ("Posts by @Sparrow42 were hidden.", IdentifierKind.HANDLE),
        ("Posts by SPARROW42 were hidden.", IdentifierKind.HANDLE),
        ("Posts by Owl were hidden.", IdentifierKind.HANDLE),
        ("Avery apologized.", IdentifierKind.NAME_PART),
    ],
)
def test_an_identifier_of_any_party_in_the_text_blocks_publication(alice, chair, text, kind):
    named = other_case(by=alice)
    incident(by=alice, category="harassment", state="closed", resolution="no_violation", summary=text)
    report = draft(chair)

    outcome = publish(report, chair)

    assert not outcome.published
    assert (named.reference, kind) in {(hit.reference, hit.kind) for hit in outcome.hits}
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.published_at is None
    blocked = AuditEntry.objects.get(action="transparency.publish_blocked")
    assert blocked.object_id == str(report.pk)
    logged = " ".join(f"{e.actor} {e.action} {e.object_type} {e.object_id}" for e in AuditEntry.objects.all())
    assert "quinn" not in logged.lower() and "sparrow" not in logged.lower()


def test_an_identifier_in_the_promotion_text_blocks_publication_too(alice, chair):
    incident(by=alice, category="harassment", summary="A remark.")
    report = draft(chair)
    with clock.frozen(AFTER):
        report = services.report_promotion_update(
            report=report, by=chair, promotion="Thanks to jamie@EXAMPLE.com!"
        )

    outcome = publish(report, chair)

    assert not outcome.published
    assert IdentifierKind.EMAIL in {hit.kind for hit in outcome.hits}


def test_words_that_only_contain_an_identifier_do_not_block(alice, chair):
    other_case(by=alice)
    incident(by=alice, category="harassment", summary="The Quinnipiac sparrow420 averyday owls talk.")
    assert selectors.identifier_hits(text=draft(chair).body) == []


def test_a_summary_changed_after_the_chair_read_the_text_is_not_published_unread(alice, chair):
    case = incident(by=alice, category="harassment", summary="First words.")
    report = draft(chair)
    services.case_public_summary_set(
        case=case, by=alice, category="harassment", text="Other words.", anonymizable=True
    )

    outcome = publish(report, chair)

    assert outcome.changed and not outcome.published
    report.refresh_from_db()
    assert "Other words." in report.body and report.status == ReportStatus.DRAFT
    assert publish(report, chair).published


def test_the_next_draft_starts_after_the_last_published_period(alice, chair):
    publish(
        draft(
            chair,
            year=2026,
            period_start=datetime(2026, 1, 1).date(),
            period_end=datetime(2026, 9, 30).date(),
        ),
        chair,
    )
    nxt = draft(chair, year=2027)
    assert (nxt.period_start.isoformat(), nxt.period_end.isoformat()) == ("2026-10-01", "2027-12-31")


# --- the yearly reminder (deadlines) ------------------------------------------------------------------


def test_publishing_records_the_publication_and_the_yearly_reminder_stops(alice, chair, mailoutbox):
    incident(by=alice, category="harassment", summary="A remark.")
    due = deadlines_due()
    assert due == datetime(2027, 1, 5, tzinfo=UTC)  # a year after the chair joined
    reminders = lambda: [m for m in mailoutbox if "transparency" in m.subject]  # noqa: E731

    tick(due + timedelta(hours=1))
    assert len(reminders()) == 1
    assert publish(draft(chair), chair, moment=due + timedelta(days=2)).published

    tick(due + timedelta(days=9))  # a week later: without the publication, a second reminder
    assert len(reminders()) == 1
    assert deadlines_due() == due + timedelta(days=2) + (datetime(2028, 1, 5, tzinfo=UTC) - due)


def deadlines_due():

    return deadline_selectors.transparency_due_at()


def tick(moment):
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("tick", now=moment.isoformat(), stdout=StringIO())


# --- the command and the HTML ---------------------------------------------------------------------------


def test_the_command_prints_markdown_and_html(alice, chair):
    incident(by=alice, category="harassment", summary="Someone wrote <script>alert(1)</script> & left.")
    report = draft(chair)

    md, html, err = StringIO(), StringIO(), StringIO()
    call_command("transparency_report", year=2026, stdout=md, stderr=err)
    call_command("transparency_report", year=2026, format="html", stdout=html, stderr=StringIO())

    assert md.getvalue() == report.body
    assert md.getvalue().startswith("# Code of Conduct transparency report 2026\n")
    assert "draft" in err.getvalue()
    page = html.getvalue()
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Code of Conduct transparency report 2026</h1>" in page
    assert "<h2>Resolutions</h2>" in page and "<li>Harassment or unwelcome comments: 1</li>" in page
    assert "Someone wrote &lt;script&gt;alert(1)&lt;/script&gt; &amp; left." in page
    assert "<script>" not in page


def test_the_command_refuses_a_year_without_a_report(db):

    with pytest.raises(CommandError, match="no transparency report for 2031"):
        call_command("transparency_report", year=2031, stdout=StringIO())


def test_the_html_has_headings_lists_and_paragraphs_only():
    html = markdown_to_html("# T\n\nline one\nline <two>\n\n- a\n- b & c\n\n### h\n")
    assert html == (
        "<h1>T</h1>\n<p>line one<br>\nline &lt;two&gt;</p>\n"
        "<ul>\n<li>a</li>\n<li>b &amp; c</li>\n</ul>\n<h3>h</h3>\n"
    )
