"""The case list, the dashboard and the CSV export make as many queries with 200 cases as with 10
(D3: every list goes through the access policy, in one query, not one per case; issue 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cocdesk import clock
from cocdesk.cases import services as deliberation
from cocdesk.cases.models import (
    Case,
    ConflictDeclaration,
    DiscussionPost,
    IncidentOwner,
    Message,
    Party,
    TimelineEntry,
)
from cocdesk.cases.services import conflict_declare
from cocdesk.crypto import blind_index
from cocdesk.members.selectors import totp_current_code
from tests.factories import case_factory, device_of, member_factory, verified_client

pytestmark = pytest.mark.django_db

PAGES = (
    "/cases/",
    "/cases/?open=1&sort=oldest",
    "/cases/?sort=state&needs_owners=1",
    "/cases/?q=Jamie Doe",
    "/dashboard/",
    "/cases/export.csv",
    "/declarations/",
    "/escrow/",
    "/statistics/",
)
ABSOLUTE_BOUND = 30  # queries per page, whatever the number of cases
GROWTH_ALLOWED = 2


def _queries(client, path: str) -> int:
    client.get(path)  # warm up: session, user, device, content types
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def _bulk_cases(n: int, *, reader, other, conflicted_every: int = 5, awaiting_every: int = 4) -> None:
    """`n` more cases shaped like the factory's (parties, declarations, owners, timeline, opening post,
    confirmation message), written in bulk so the test stays fast."""
    now = clock.now()
    cases = Case.objects.bulk_create(
        Case(
            reference=f"CoC-2025-{i:04d}",
            channel="web",
            state="triage" if i % 3 else "deliberation",
            urgent=i % 7 == 0,
            description=f"bulk report {i}",
            received_at=now - timedelta(hours=i + 1),
        )
        for i in range(1, n + 1)
    )
    parties, declarations, owners, timeline, posts, messages = [], [], [], [], [], []
    for i, case in enumerate(cases):
        parties += [
            Party(
                case=case,
                role="reported",
                name="Jamie Doe",
                email="jamie@example.com",
                name_index=blind_index("Jamie Doe", kind="name"),
                email_index=blind_index("jamie@example.com", kind="email"),
            ),
            Party(
                case=case,
                role="reporter",
                name="Robin Reporter",
                email="robin@example.net",
                email_index=blind_index("robin@example.net", kind="email"),
            ),
        ]
        if i % conflicted_every == 0:
            declarations.append(ConflictDeclaration(case=case, member=reader, has_conflict=True))
        elif i % awaiting_every != 0:
            declarations.append(ConflictDeclaration(case=case, member=reader, has_conflict=False))
            if i % 2:
                owners += [
                    IncidentOwner(case=case, member=reader, role="primary"),
                    IncidentOwner(case=case, member=other, role="secondary"),
                ]
        declarations.append(ConflictDeclaration(case=case, member=other, has_conflict=False))
        timeline.append(TimelineEntry(case=case, kind="intake", text="Report received by web form."))
        posts.append(DiscussionPost(case=case, body="Jamie Doe has been reported by web form."))
        messages.append(
            Message(case=case, direction="to_reporter", kind="confirmation", body="Thank you.", emailed=True)
        )
    Party.objects.bulk_create(parties)
    ConflictDeclaration.objects.bulk_create(declarations)
    IncidentOwner.objects.bulk_create(owners)
    TimelineEntry.objects.bulk_create(timeline)
    DiscussionPost.objects.bulk_create(posts)
    Message.objects.bulk_create(messages)


@pytest.mark.slow
def test_case_list_and_dashboard_queries_do_not_grow_with_the_number_of_cases(alice, bob):
    # 10 cases through the services: taking part (some owned), awaiting a declaration, conflicted.
    for i in range(10):
        if i < 6:
            case = case_factory(participants=(alice, bob), urgent=i == 0)
            if i % 2:
                deliberation.owners_set(case=case, primary=alice, secondary=bob, by=alice)
        elif i < 8:
            case_factory(participants=(bob,))
        else:
            case = case_factory(participants=(bob,))
            conflict_declare(case=case, member=alice, has_conflict=True)
    assert Case.objects.count() == 10
    client = verified_client(alice)
    client.post("/cases/export.csv", {"code": totp_current_code(device_of(alice))})  # step-up for the CSV

    with_10 = {path: _queries(client, path) for path in PAGES}
    _bulk_cases(190, reader=alice, other=bob)
    assert Case.objects.count() == 200
    with_200 = {path: _queries(client, path) for path in PAGES}

    listed = client.get("/cases/").text
    assert listed.count('<tr><td><a href="/cases/CoC-') == 50  # the bulk cases really are listed, a page
    assert "Next 50" in listed
    print("queries with 10 cases", with_10, "with 200", with_200)
    for path in PAGES:
        assert with_10[path] <= ABSOLUTE_BOUND, (path, with_10[path])
        assert with_200[path] <= with_10[path] + GROWTH_ALLOWED, (path, with_10[path], with_200[path])


def test_cases_a_member_may_not_see_cost_no_queries(alice):
    """The policy filters in the database: 200 cases the member declared a conflict on cost nothing."""
    client = verified_client(alice)
    empty = {path: _queries(client, path) for path in PAGES[:4]}
    _bulk_cases(200, reader=alice, other=member_factory(), conflicted_every=1)
    assert "CoC-2025-" not in client.get("/dashboard/").text
    for path in PAGES[:4]:
        assert _queries(client, path) <= empty[path] + GROWTH_ALLOWED, path
