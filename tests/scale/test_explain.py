"""The hot queries use indexes (issue 15): PostgreSQL's plan for each names no sequential scan of a
large table. Skipped on SQLite; CI runs it against PostgreSQL (DATABASE_URL).

Honest plans need honest statistics: the test writes enough rows (3,000 cases, 9 members'
declarations on each, parties, owners, timeline entries, 6,000 mails) and runs ANALYZE, so the
planner chooses as it would in production, and `enable_seqscan` stays on. A missing index shows as
a "Seq Scan on <table>"; a small table (members) may be scanned.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from cocdesk import access, clock
from cocdesk.cases import selectors
from cocdesk.cases.models import Case, ConflictDeclaration, IncidentOwner, Party, TimelineEntry
from cocdesk.crypto import blind_index
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.outbox.models import OutboxMessage, Status
from cocdesk.outbox.services import _due
from tests.factories import member_factory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LARGE = (
    "cases_case",
    "cases_party",
    "cases_conflictdeclaration",
    "cases_incidentowner",
    "cases_timelineentry",
    "outbox_outboxmessage",
)
CASES = 3_000


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL (CI sets DATABASE_URL)")


@pytest.fixture
def large(postgres):
    members = [member_factory() for _ in range(9)]
    now = clock.now()
    cases = Case.objects.bulk_create(
        Case(
            reference=f"CoC-2024-{i:05d}",
            channel="web",
            state="triage" if i % 50 == 0 else "closed",
            received_at=now - timedelta(hours=3 * i),
            closed_at=None if i % 50 == 0 else now - timedelta(hours=3 * i - 48),
            sealed=i % 40 == 0,
        )
        for i in range(CASES)
    )
    ConflictDeclaration.objects.bulk_create(
        ConflictDeclaration(case=case, member=member, has_conflict=(case.pk + member.pk) % 30 == 0)
        for case in cases
        for member in members
        if not case.sealed
    )
    Party.objects.bulk_create(
        Party(
            case=case,
            role="reported",
            name_index=blind_index(f"Person {case.pk % 997}", kind="name"),
            email_index=blind_index(f"p{case.pk}@example.org", kind="email"),
            handle_index=blind_index(f"@p{case.pk}", kind="handle"),
        )
        for case in cases
    )
    IncidentOwner.objects.bulk_create(
        IncidentOwner(case=case, member=members[case.pk % 9], role="primary") for case in cases
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(case=case, kind="note", at=case.received_at) for case in cases for _ in range(3)
    )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(kind="reminder", status=Status.PENDING if i % 100 == 0 else Status.SENT, subject="s")
        for i in range(2 * CASES)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return members, cases


def _seq_scans(queryset) -> list[str]:
    plan = queryset.explain()
    return [table for table in LARGE if f"Seq Scan on {table}" in plan]


def test_the_hot_queries_scan_no_large_table(large):
    members, cases = large
    member = members[0]
    case = next(c for c in cases if not c.sealed and c.state != "closed")
    hot = {
        "case list, first page": selectors.cases_list(user=member).order_by(*selectors.SORTS["newest"])[:51],
        "case list, open only": selectors.cases_list(user=member, listing=selectors.CaseListing(open=True))
        .only(*selectors.LIST_COLUMNS)
        .order_by("-received_at", "-pk")[:51],
        "case list, search by a name": selectors.cases_list(
            user=member, listing=selectors.CaseListing(q="Person 5")
        ).order_by("-received_at", "-pk")[:51],
        "awaiting declaration": selectors.cases_awaiting_list(user=member).order_by("-received_at")[:51],
        "dashboard deadlines (open cases)": access.cases_visible_to(member).exclude(state="closed"),
        "tick: open cases": deadline_selectors.open_cases_for_rules(),
        "escrow: the same person": selectors.same_person_parties(case=case),
        "timeline": selectors.case_timeline(case=case),
        "undeclared on the dashboard's cases": ConflictDeclaration.objects.filter(
            case__in=[c.pk for c in cases[:50]]
        ),
        "outbox: due mail": OutboxMessage.objects.filter(_due(clock.now())).order_by("created_at", "pk"),
    }
    scanned = {name: tables for name, query in hot.items() if (tables := _seq_scans(query))}
    assert scanned == {}
