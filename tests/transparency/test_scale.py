"""The transparency report and its check, and the statistics, take the same number of queries for a
year of 20 cases as for a year of 2,000 (issue 15): set operations over blind indexes and aggregate
queries, never a query or a regular expression per case or party. Timings belong to `make bench`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cocdesk import clock
from cocdesk.cases.models import Case
from cocdesk.transparency import selectors, services
from cocdesk.transparency.models import TransparencyReport
from tests.factories import verified_client
from tests.transparency.bulk import bulk_year
from tests.transparency.conftest import AFTER

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _queries(action) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured), result


def _year_of(count: int, chair, alice) -> dict[str, int]:
    TransparencyReport.objects.all().delete()
    Case.objects.all().delete()
    bulk_year(year=2026, count=count, taking_part=[chair, alice])
    counts = {}
    with clock.frozen(AFTER):
        head, member = verified_client(chair), verified_client(alice)
        counts["draft"], report = _queries(lambda: services.report_draft_create(year=2026, by=chair))
        counts["charts"], report = _queries(
            lambda: services.report_edit(
                report=report, by=chair, promotion="Linked.", include_statistics=True
            )
        )
        counts["check"], _hits = _queries(lambda: selectors.hits_for_chair(report=report, user=chair))
        counts["draft page"], page = _queries(lambda: head.get("/transparency/drafts/2026/"))
        assert page.status_code == 200
        counts["confirmation page"], page = _queries(lambda: head.get("/transparency/drafts/2026/publish/"))
        assert page.status_code == 200
        read = selectors.text_digest(TransparencyReport.objects.get().body)
        counts["publish"], attempt = _queries(
            lambda: head.post("/transparency/drafts/2026/publish/", {"confirm": "on", "read": read})
        )
        assert attempt.status_code == 400 and "Waiting for the case teams’ check." in attempt.text
        counts["statistics"], page = _queries(lambda: member.get("/statistics/?year=2026"))
        assert page.status_code == 200
    return counts


def test_the_report_its_check_and_the_statistics_take_as_many_queries_for_2000_cases_as_for_20(alice, chair):
    _year_of(5, chair, alice)  # what happens once (the audit chain's first entry, …) is not counted
    small = _year_of(20, chair, alice)
    large = _year_of(2_000, chair, alice)
    assert large == small, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    report = TransparencyReport.objects.get()
    assert report.body.count("### Incident") > 900  # a real year: most cases described
    assert "## In numbers" in report.body
