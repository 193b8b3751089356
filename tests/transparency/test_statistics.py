"""Committee statistics (/statistics/, issue 14): counts only over the cases the viewer may see, small
numbers protected, the plan's clocks, drawn as SVG with a table beside each chart."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from cocdesk import clock
from cocdesk.cases.models import Case, Message
from cocdesk.cases.services import conflict_declare
from cocdesk.transparency import selectors, services
from cocdesk.transparency.selectors.statistics import committee_statistics
from tests.factories import verified_client
from tests.transparency.conftest import AFTER, IN_2026, incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def page(member, year=2026):
    with clock.frozen(NOW):
        return verified_client(member).get(f"/statistics/?year={year}")


def to_reporter(case, kind, after):
    return Message.objects.create(
        case=case, direction="to_reporter", kind=kind, body="x", created_at=case.received_at + after
    )


def test_statistics_count_only_the_cases_the_viewer_may_see(alice, bob, chair, exact):
    incident(by=alice, category="harassment", channel="web")
    incident(by=alice, category="harassment", channel="web", at=IN_2026 + timedelta(days=40))
    hidden = incident(by=bob, category="physical_safety", channel="phone", participants=(bob,))
    conflict_declare(case=hidden, member=alice, has_conflict=True)
    to_reporter(hidden, "delay", timedelta(days=8))

    mine = page(alice)
    assert mine.status_code == 200
    assert "Physical safety" not in mine.text  # the hidden case's type is its canary
    assert hidden.reference not in mine.text
    stats = committee_statistics(user=alice_user(alice), year=2026, now=NOW)
    assert stats.reports.total.value == 2 and stats.delay_notices.total.value == 0
    assert [s.label for s in stats.by_type.series] == ["Harassment or unwelcome comments"]

    theirs = page(bob)
    assert "Physical safety" in theirs.text and "Harassment" not in theirs.text
    assert "Physical safety" not in page(chair).text  # not declared yet: not counted either


def alice_user(member):
    """The member as a request would carry it: verified (the statistics start from access)."""
    member.is_verified = lambda: True
    return member


def test_small_numbers_are_protected_on_the_statistics_page(alice):
    incident(by=alice, category="harassment")
    incident(by=alice, category="harassment")
    text = page(alice).text
    assert "fewer than 3" in text
    assert not re.search(r"<td[^>]*>\s*2\s*</td>", text)  # the exact count appears nowhere
    stats = committee_statistics(user=alice_user(alice), year=2026, now=NOW)
    assert stats.reports.total.small and stats.reports.total.text == "fewer than 3"


def test_times_against_the_plans_clocks(alice, exact):
    cases = [incident(by=alice, category="harassment", at=IN_2026 + timedelta(days=i)) for i in range(4)]
    for case, hours in zip(cases, (2, 10, 30, 50), strict=True):
        to_reporter(case, "acknowledgement", timedelta(hours=hours))
    to_reporter(cases[0], "decision", timedelta(days=3))
    to_reporter(cases[1], "decision", timedelta(days=9))
    to_reporter(cases[1], "delay", timedelta(days=7, hours=1))
    Case.objects.filter(pk=cases[2].pk).update(
        state="closed", resolution="no_violation", closed_at=cases[2].received_at + timedelta(days=5)
    )

    stats = committee_statistics(user=alice_user(alice), year=2026, now=NOW)

    ack, decision, close = stats.clocks
    assert (ack.median_hours, ack.p90_hours, ack.within.value, ack.measured.value) == (20, 50, 2, 4)
    assert ack.clock_hours == 24
    # Decided: the decision message, or closing (a reporter who wanted no updates gets no message).
    assert (decision.measured.value, decision.within.value, decision.clock_hours) == (3, 2, 168)
    assert (decision.median_hours, decision.p90_hours) == (120, 216)
    assert (close.measured.value, close.median_hours, close.clock_hours) == (1, 120, None)
    assert stats.delay_notices.total.value == 1
    text = page(alice).text
    assert "2 of 4 within 24 hours" in text and "2 of 3 within a week" in text


def test_too_few_times_show_no_median(alice):
    case = incident(by=alice, category="harassment")
    to_reporter(case, "acknowledgement", timedelta(hours=5))
    stats = committee_statistics(user=alice_user(alice), year=2026, now=NOW)
    assert stats.clocks[0].median_hours is None and stats.clocks[0].measured.small
    assert "Too few reports to show" in page(alice).text


def test_open_cases_by_age(alice, exact):
    for age in (timedelta(hours=3), timedelta(days=3), timedelta(days=3, hours=5), timedelta(days=200)):
        incident(by=alice, at=NOW - age, state="triage")
    incident(by=alice, at=NOW - timedelta(days=2), state="closed")
    stats = committee_statistics(user=alice_user(alice), year=2026, now=NOW)
    values = [bar.value for bar in stats.open_by_age.series[0].values]
    assert values == [1, 2, 0, 0, 1]
    assert stats.open_by_age.full_labels[0] == "Under a day"


def test_each_chart_is_an_svg_with_a_table_beside_it_and_nothing_from_elsewhere(alice, exact):
    incident(by=alice, category="harassment")
    text = page(alice).text
    charts = re.findall(r"<svg\b[^>]*>", text)
    assert len(charts) >= 5
    assert all('role="img"' in tag and "aria-labelledby" in tag for tag in charts)
    assert text.count("<table") >= len(charts)
    assert "<script" not in text and "http://" not in text.split("<main")[1]
    assert "style=" not in text  # the CSP allows no inline style


def test_statistics_are_for_committee_members_only(alice, responder, community_manager):
    incident(by=alice, category="harassment")
    response = Client().get("/statistics/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for outside in (responder, community_manager):
        assert verified_client(outside).get("/statistics/").status_code == 404
    # One place for transparency (issue 17): the menu leads there, and it leads to the statistics.
    assert 'href="/transparency/"' in verified_client(alice).get("/dashboard/").text
    assert 'href="/statistics/"' in verified_client(alice).get("/transparency/").text


def test_a_year_out_of_range_is_the_current_year(alice):
    with clock.frozen(NOW):
        assert verified_client(alice).get("/statistics/?year=banana").status_code == 200
        assert verified_client(alice).get("/statistics/?year=99999999999999999999").status_code == 200


def test_the_chair_adds_the_years_charts_to_the_public_report(alice, chair, exact):
    for i in range(3):
        case = incident(
            by=alice,
            category="harassment",
            state="closed",
            summary="A remark.",
            participants=(alice, chair),
            at=IN_2026 + timedelta(days=31 * i),
        )
        to_reporter(case, "acknowledgement", timedelta(hours=5))
    with clock.frozen(AFTER):
        report = services.report_draft_create(year=2026, by=chair)
        assert "## In numbers" not in report.body
        report = services.report_edit(report=report, by=chair, promotion="", include_statistics=True)
    assert "## In numbers" in report.body
    assert "- First personal answer to the reporter: median 5 hours" in report.body
    with clock.frozen(AFTER):
        outcome = services.report_publish(report=report, by=chair, read=selectors.text_digest(report.body))
    assert outcome.published
    public = Client().get("/transparency/2026/").text
    assert len(re.findall(r"<svg\b", public)) >= 2 and public.count("<table") >= 2
    assert "style=" not in public
