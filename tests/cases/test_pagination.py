"""The case list in pages of 50 (issue 15): every case the member may read appears exactly once across
the pages, in the order asked for, with the filters and the blind-index search exact; list pages read
no encrypted column, so nothing a reporter wrote is decrypted to draw a list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cocdesk import clock, keyset
from cocdesk.cases.models import Case, ConflictDeclaration, Party
from cocdesk.crypto import blind_index
from tests.factories import verified_client

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr><td><a href="/cases/(CoC-[^/"]+)/">')
NEXT = re.compile(r'href="\?([^"]*after=[^"]+)">Next 50')


def _cases(n: int, *, reader, same_time_every: int = 0) -> list[Case]:
    """`n` cases the reader takes part in; every third names "Jamie Doe"; some share a received time
    (so the primary key must break the tie)."""
    now = clock.now()
    cases = Case.objects.bulk_create(
        Case(
            reference=f"CoC-2025-{i:04d}",
            channel="web",
            state="closed" if i % 4 == 0 else "triage",
            description=f"the words of report {i}",
            received_at=now - timedelta(hours=(i // 3) if same_time_every else i),
        )
        for i in range(1, n + 1)
    )
    ConflictDeclaration.objects.bulk_create(
        ConflictDeclaration(case=case, member=reader, has_conflict=False) for case in cases
    )
    Party.objects.bulk_create(
        Party(case=case, role="reported", name="Jamie Doe", name_index=blind_index("Jamie Doe", kind="name"))
        for i, case in enumerate(cases)
        if i % 3 == 0
    )
    return cases


def _walk(client, query: str) -> list[str]:
    """The references on every page, following "Next 50" links until there are none."""
    seen, url = [], f"/cases/?{query}"
    for _ in range(20):
        page = client.get(url).text
        rows = ROW.findall(page)
        assert len(rows) <= keyset.PAGE_SIZE
        seen += rows
        found = NEXT.search(page)
        if not found:
            return seen
        url = "/cases/?" + found.group(1).replace("&amp;", "&")
    raise AssertionError("more pages than there are cases")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=newest", lambda cs: sorted(cs, key=lambda c: (c.received_at, c.pk), reverse=True)),
        ("sort=oldest", lambda cs: sorted(cs, key=lambda c: (c.received_at, c.pk))),
        ("sort=reference", lambda cs: sorted(cs, key=lambda c: c.reference)),
        (
            "sort=state",
            lambda cs: sorted(
                sorted(cs, key=lambda c: (c.received_at, c.pk), reverse=True), key=lambda c: c.state
            ),
        ),
    ],
)
def test_every_case_appears_once_across_the_pages_in_the_order_asked(alice, query, expected):
    cases = _cases(130, reader=alice, same_time_every=3)
    client = verified_client(alice)
    assert _walk(client, query) == [c.reference for c in expected(cases)]


def test_filters_and_the_name_search_stay_exact_across_pages(alice):
    cases = _cases(160, reader=alice)
    client = verified_client(alice)
    newest_first = sorted(cases, key=lambda c: c.received_at, reverse=True)
    open_ones = [c.reference for c in newest_first if c.state != "closed"]
    assert _walk(client, "open=1") == open_ones
    named = [c.reference for i, c in enumerate(sorted(cases, key=lambda c: c.pk)) if i % 3 == 0]
    assert sorted(_walk(client, "q=Jamie+Doe")) == sorted(named)
    assert _walk(client, "q=jamie doe&state=closed") == [
        r for r in _walk(client, "q=Jamie+Doe") if Case.objects.get(reference=r).state == "closed"
    ]


def test_a_forged_page_token_shows_the_first_page(alice):
    _cases(60, reader=alice)
    client = verified_client(alice)
    first = ROW.findall(client.get("/cases/").text)
    for token in ("nonsense", "W10", "WyJhIl0", "eyJ0IjoxfQ"):
        assert ROW.findall(client.get(f"/cases/?after={token}").text) == first


@pytest.mark.parametrize("path", ["/cases/", "/cases/?open=1&q=Jamie+Doe", "/dashboard/"])
def test_list_pages_read_no_encrypted_column(alice, path):
    _cases(60, reader=alice)
    client = verified_client(alice)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    for query in captured:
        sql = query["sql"]
        for column in ("description", "occurred_when", "occurred_where", "intake_details", "notify_email"):
            assert f'"{column}"' not in sql, (path, sql)
