"""Escrow matching costs the same statements whatever the number of matches (issue 15): earlier
reports found in one query over the blind indexes, the new pairs inserted at once, one audit append,
one alert per member free on both cases of some match."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cocdesk.audit.models import AuditEntry
from cocdesk.audit.selectors import audit_verify
from cocdesk.cases.models import PartyRole
from cocdesk.cases.services import Incident, PartyInput, ReportInput, case_open
from cocdesk.escrow.models import EscrowMatch
from cocdesk.escrow.services import escrow_match
from cocdesk.outbox.models import OutboxMessage
from tests.factories import case_factory

pytestmark = pytest.mark.django_db


def _new_report_naming(name: str):
    report = ReportInput(
        channel="web",
        incident=Incident(description="They did it again."),
        kind="anonymous",
        parties=[PartyInput(role=PartyRole.REPORTED, name=name)],
        with_receipt=True,
    )
    return case_open(report=report, actor="public").case


def _match_counted(name: str) -> tuple[int, int]:
    case = _new_report_naming(name)
    with CaptureQueriesContext(connection) as captured:
        matches = escrow_match(case=case)
    return len(matches), len(captured)


def test_matching_one_or_twelve_sealed_reports_costs_the_same_statements(alice, bob):
    case_factory(kind="escrowed", reported="Pat Once")
    for _ in range(12):
        case_factory(kind="escrowed", reported="Pat Often")
    once, few = _match_counted("Pat Once")
    often, many = _match_counted("Pat Often")
    assert (once, often) == (1, 12)
    assert many == few, (few, many)
    assert audit_verify().intact
    assert AuditEntry.objects.filter(action="escrow.matched").count() == EscrowMatch.objects.count()
    # one alert per member for the twelve new matches of the last report
    last = OutboxMessage.objects.filter(kind="escrow_match").order_by("-pk")[:2]
    assert {m.recipient_member_id for m in last} == {alice.pk, bob.pk}


def test_matching_again_stores_and_tells_nothing_new(alice):
    case_factory(kind="escrowed", reported="Pat Often")
    case = _new_report_naming("Pat Often")
    assert len(escrow_match(case=case)) == 1
    mails = OutboxMessage.objects.count()
    assert escrow_match(case=case) == []
    assert OutboxMessage.objects.count() == mails
