"""Reads outside a case's own pages are audited too: the case list, calendar-feed fetches and the
reporter's portal (D9, issue 16). Ids and action names only, never what was searched for or shown."""

import pytest
from django.test import Client

from cocdesk.audit.models import AuditEntry
from cocdesk.deadlines.services import calendar_token_new
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db


def _entry_text(entry: AuditEntry) -> str:
    return " ".join(str(v) for v in (entry.actor, entry.action, entry.object_type, entry.object_id))


def test_the_case_list_is_audited_without_what_was_searched_for(alice):
    case_factory(participants=(alice,))
    response = verified_client(alice).get("/cases/", {"q": "Jamie secret-search-words", "state": "triage"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="cases.listed")
    assert entry.actor == f"member:{alice.pk}" and (entry.object_type, entry.object_id) == ("case", "list")
    assert not any("secret-search-words" in _entry_text(e) for e in AuditEntry.objects.all())


def test_a_calendar_feed_fetch_is_audited_as_the_member_it_belongs_to(alice):
    case = case_factory(participants=(alice,))
    token = calendar_token_new(member=alice)
    before = AuditEntry.objects.count()
    response = Client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and case.reference in response.text
    entry = AuditEntry.objects.get(action="calendar.fetched")
    assert entry.seq > before
    assert entry.actor == f"member:{alice.pk}" and (entry.object_type, entry.object_id) == (
        "member",
        str(alice.pk),
    )


def test_an_unknown_calendar_token_is_not_found_and_not_audited(alice):
    assert Client().get("/calendar/not-a-token.ics").status_code == 404
    assert not AuditEntry.objects.filter(action="calendar.fetched").exists()


def test_every_portal_view_is_audited_as_public_with_the_case_id(alice):
    case = case_factory(kind="anonymous", participants=(alice,))
    client = Client()
    assert client.post("/report/status/", {"code": case.receipt_code}).status_code == 302
    for _ in range(2):
        assert client.get("/report/status/case/").status_code == 200
    views = AuditEntry.objects.filter(action="case.portal_viewed")
    assert views.count() == 2
    assert {(e.actor, e.object_type, e.object_id) for e in views} == {("public", "case", str(case.pk))}
