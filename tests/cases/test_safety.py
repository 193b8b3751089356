"""The safety path (D2; issue 13): "Someone may be in danger" on any case, at any time, by any
member taking part or the person who took the report. It records the immediate response (action,
who, when, note), alerts every member free of conflict at once, and shows the plan's guidance with
who to call. Law enforcement, at any point, is a record the community manager is told about."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.models import Case, ImmediateResponse, LawEnforcementRecord, TimelineKind
from cocdesk.cases.services import conflict_declare
from cocdesk.members.models import Role
from tests.factories import (
    CASE_CANARY,
    SAFETY_NUMBERS,
    case_factory,
    event_factory,
    member_factory,
    verified_client,
)
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    return event_factory(**SAFETY_NUMBERS)


def danger_url(case):
    return f"/cases/{case.reference}/danger/"


def post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def test_a_member_taking_part_raises_danger_on_any_case_and_every_member_free_of_conflict_is_alerted(
    alice, bob, chair, event, carol
):
    case = case_factory(participants=(alice,), event=event)
    conflict_declare(case=case, member=bob, has_conflict=True)
    forget_delivered()
    client = verified_client(alice)

    page = client.get(f"/cases/{case.reference}/").text
    assert "Someone may be in danger" in page and danger_url(case) in page
    guidance = client.get(danger_url(case)).text
    for words in (
        "a physical fight",
        "sexual assault or groping",
        "publishing personal contact information",
        "without convening",
        "Only call law enforcement if the reporter asks",
        "112",
        "Front desk, +351 555 0100",
        "Ana Safety, +351 555 0101",
    ):
        assert words in guidance, words

    when = clock.now() - timedelta(minutes=10)
    data = {
        "action": "venue_security",
        "at": when.strftime("%Y-%m-%dT%H:%M"),
        "note": "Security is with them",
    }
    assert post(client, danger_url(case), data).status_code == 302
    case.refresh_from_db()
    response = ImmediateResponse.objects.get(case=case)
    assert (response.action, response.recorded_by, response.note) == ("venue_security", alice, data["note"])
    assert response.at.strftime("%Y-%m-%dT%H:%M") == data["at"]
    assert case.urgent and case.timeline.filter(kind=TimelineKind.IMMEDIATE).exists()
    alerted = {m.to[0] for m in delivered()}
    assert alerted == {chair.email, carol.email}  # not bob (conflict), not alice (she raised it)
    for message in delivered():
        assert "URGENT" in message.subject and case.reference in message.subject
        assert CASE_CANARY not in message.body and "Security is with them" not in message.body


def test_the_member_who_took_the_report_can_raise_danger_and_sees_nothing_else_of_the_case(
    event, alice, responder
):
    event.responders.add(responder)
    other = member_factory(name="Pat Organizer", role=Role.EVENT_RESPONDER)
    event.responders.add(other)
    data = {"channel": "in_person", "kind": "named", "reporter_name": "Robin", "what_happened": CASE_CANARY}
    taker = verified_client(responder)
    with TestCase.captureOnCommitCallbacks(execute=True):
        taker.post("/intake/new/", {**data, "event": str(event.pk), "wants_updates": "yes"})
    case = Case.objects.get()
    filed = taker.get("/intake/filed/").text
    assert danger_url(case) in filed
    dashboard = taker.get("/dashboard/").text  # taken on this device: reached without the reference
    assert "/taken/0/danger/" in dashboard and case.reference not in dashboard
    assert "a physical fight" in taker.get("/taken/0/danger/").text
    assert verified_client(responder).get("/taken/0/danger/").status_code == 404  # another session

    page = verified_client(responder).get(danger_url(case)).text
    assert "a physical fight" in page and CASE_CANARY not in page and "Robin" not in page
    assert verified_client(responder).get(f"/cases/{case.reference}/").status_code == 404
    forget_delivered()
    raised = post(
        verified_client(responder), danger_url(case), {"action": "removal", "note": "Asked them to leave"}
    )
    assert raised.status_code == 302
    assert ImmediateResponse.objects.get(case=case).recorded_by == responder
    assert {m.to[0] for m in delivered()} == {alice.email}

    assert verified_client(other).get(danger_url(case)).status_code == 404
    assert post(verified_client(other), danger_url(case), {"action": "other"}).status_code == 404
    with clock.frozen(datetime(2027, 3, 7, tzinfo=UTC)):  # days after the report and the event: no more
        assert verified_client(responder).get(danger_url(case)).status_code == 404


def test_a_member_with_a_conflict_cannot_raise_danger_or_see_the_page(alice, bob):
    case = case_factory(participants=(alice,))
    conflict_declare(case=case, member=bob, has_conflict=True)
    assert verified_client(bob).get(danger_url(case)).status_code == 404
    assert post(verified_client(bob), danger_url(case), {"action": "other"}).status_code == 404
    assert not ImmediateResponse.objects.exists()


def test_law_enforcement_called_at_intake_is_a_record_and_the_community_manager_is_told(
    alice, community_manager
):
    data = {
        "channel": "in_person",
        "kind": "named",
        "reporter_name": "Robin",
        "what_happened": "canary-law they were attacked",
        "wants_updates": "yes",
        "immediate_danger": "on",
        "law_enforcement": "on",
        "immediate_action": "law_enforcement",
        "immediate_note": "Police called at 14:05; gave them the description of the person.",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert verified_client(alice).post("/intake/new/", data).status_code == 302
    record = LawEnforcementRecord.objects.get()
    assert record.shared == data["immediate_note"] and record.recorded_by == alice
    [told] = [m for m in delivered() if m.to == [community_manager.email]]
    assert "/shared/" in told.body and "canary" not in told.body


def test_law_enforcement_on_the_safety_page_only_when_the_reporter_asked(alice, community_manager):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    data = {"action": "law_enforcement", "note": "Called the police."}
    refused = post(client, danger_url(case), data)
    assert refused.status_code == 400 and "only involved when the reporter asks" in refused.text
    assert not ImmediateResponse.objects.exists() and not LawEnforcementRecord.objects.exists()
    forget_delivered()
    assert post(client, danger_url(case), {**data, "reporter_asked": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.law_enforcement_requested
    assert LawEnforcementRecord.objects.get(case=case).shared == "Called the police."
    assert community_manager.email in {m.to[0] for m in delivered()}
