"""Reports taken by members and event responders: in person, phone, DM, other (intake issue)."""

from datetime import date

import pytest
from django.test import TestCase

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, ConflictDeclaration, Handoff, ImmediateResponse, Kind, PartyRole
from cocdesk.errors import Refused
from cocdesk.intake.models import Event
from cocdesk.members.models import Role
from tests.factories import case_factory, event_factory, open_report, verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db


def in_person(**overrides):
    data = {
        "channel": "in_person",
        "kind": "named",
        "reporter_name": "Robin Reporter",
        "reporter_phone": "+1 555 0100",
        "preferred_contact": "phone",
        "wants_updates": "yes",
        "reporter_location": "Volunteer desk, hall A",
        "reporter_clothing": "green raincoat",
        "what_happened": "canary-inperson shouted at them during the talk",
        "reported_1_name": "Jamie Doe",
        "checklist": ["calm", "contact", "no_promises", "thanked"],
    }
    data.update(overrides)
    return data


def take(client, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/intake/new/", data)


def test_member_files_an_in_person_report_with_safety_fields(alice, bob):
    response = take(verified_client(alice), in_person())
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.received_by) == ("in_person", alice)
    assert case.intake_details["safety"] == {
        "location": "Volunteer desk, hall A",
        "clothing": "green raincoat",
    }
    assert case.intake_details["checklist"] == ["calm", "contact", "no_promises", "thanked"]
    reporter = case.parties.get(role=PartyRole.REPORTER)
    assert (reporter.name, reporter.phone) == ("Robin Reporter", "+1 555 0100")
    # the member who took it takes part; everyone else is asked
    assert ConflictDeclaration.objects.get(case=case, member=alice).has_conflict is False
    assert {m.to[0] for m in delivered()} == {alice.email, bob.email}


@pytest.mark.parametrize("channel", ["phone", "direct_message", "other"])
def test_members_record_phone_dm_and_other_reports_the_same_way(alice, channel):
    take(verified_client(alice), in_person(channel=channel))
    assert Case.objects.get().channel == channel


def test_intake_form_shows_the_hesitant_reporter_ladder_in_order(alice):
    text = verified_client(alice).get("/intake/new/").text.split("If the reporter seems hesitant")[1]
    steps = ["remain confidential", "another member", "anonymous report", "escrow"]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


def test_handing_off_for_a_conflict_records_it_and_the_taker_sees_nothing_after(alice, bob):
    client = verified_client(alice)
    take(client, in_person(handoff_to=str(bob.pk)))
    case = Case.objects.get()
    handoff = Handoff.objects.get(case=case)
    assert (handoff.from_member, handoff.to_member, case.received_by) == (alice, bob, bob)
    assert ConflictDeclaration.objects.get(case=case, member=alice).has_conflict
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert case.timeline.filter(kind="handoff").exists()


def test_anonymous_in_person_report_keeps_no_reporter_details_and_gives_a_receipt(alice):
    client = verified_client(alice)
    take(client, in_person(kind="anonymous"))
    case = Case.objects.get()
    assert case.kind == Kind.ANONYMOUS
    assert not case.parties.filter(role=PartyRole.REPORTER).exists()
    assert case.intake_details["safety"] == {}
    assert "receipt code" in client.get("/intake/filed/").text.lower()


def test_immediate_response_is_recorded_without_a_meeting(alice):
    take(
        verified_client(alice),
        in_person(
            immediate_danger="on",
            immediate_action="venue_security",
            immediate_note="Security walked them out",
        ),
    )
    case = Case.objects.get()
    assert case.urgent
    response = ImmediateResponse.objects.get(case=case)
    assert (response.action, response.note, response.recorded_by) == (
        "venue_security",
        "Security walked them out",
        alice,
    )


def test_law_enforcement_only_when_the_reporter_asked(alice):
    response = take(verified_client(alice), in_person(immediate_action="law_enforcement"))
    assert response.status_code == 200
    assert "only involved when the reporter asks" in response.text
    assert not Case.objects.exists()
    take(verified_client(alice), in_person(immediate_action="law_enforcement", law_enforcement="on"))
    assert ImmediateResponse.objects.get().action == "law_enforcement"


@pytest.fixture
def event(chair):
    return event_factory(starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3))


def test_chair_creates_an_event_and_names_a_responder(chair):
    client = verified_client(chair)
    response = client.post(
        "/events/", {"name": "DevDay", "starts_on": "2026-12-01", "ends_on": "2026-12-02", "place": "Lisbon"}
    )
    event = Event.objects.get(name="DevDay")
    assert response["Location"] == f"/events/{event.pk}/"
    page = client.post(f"/events/{event.pk}/", {"name": "Oli Organizer", "email": "oli@example.org"})
    responder = event.responders.get()
    assert responder.role == Role.EVENT_RESPONDER
    assert "/enrol/" in page.text


def test_the_chair_sets_who_to_call_at_an_event_when_someone_is_in_danger(chair, alice):
    event = Event.objects.create(name="DevDay", starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 2))
    data = {
        "emergency_number": "112",
        "venue_security": "+351 555 0100",
        "safety_contact": "Ana, +351 555 0101",
    }
    assert verified_client(alice).post(f"/events/{event.pk}/safety/", data).status_code == 404
    assert verified_client(chair).post(f"/events/{event.pk}/safety/", data).status_code == 302
    event.refresh_from_db()
    assert (event.emergency_number, event.venue_security, event.safety_contact) == tuple(data.values())
    assert "Ana, +351 555 0101" in verified_client(chair).get(f"/events/{event.pk}/").text


def test_members_other_than_the_chair_cannot_manage_events(alice):
    assert verified_client(alice).get("/events/").status_code == 404


def test_event_responder_files_for_their_event_and_afterwards_sees_nothing(event, alice, responder):
    event.responders.add(responder)
    client = verified_client(responder)
    response = take(client, in_person(event=str(event.pk)))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.event == event and case.received_by is None
    assert case.intake_details["taken_by"] == responder.pk
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert client.get("/cases/").status_code == 404
    assert AuditEntry.objects.filter(action="case.created", actor=f"member:{responder.pk}").exists()


def test_event_responder_cannot_file_for_another_event(event, responder):
    other = Event.objects.create(name="Other", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2))
    event.responders.add(responder)
    response = take(verified_client(responder), in_person(event=str(other.pk)))
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_community_manager_cannot_take_reports(community_manager):
    assert verified_client(community_manager).get("/intake/new/").status_code == 404


def test_any_report_can_be_tied_to_an_event(event, alice):
    take(verified_client(alice), in_person(event=str(event.pk)))
    assert Case.objects.get().event == event
    assert case_factory(event=event).event == event


def test_an_escrowed_report_of_immediate_danger_is_refused_so_someone_is_alerted(alice):
    response = take(verified_client(alice), in_person(kind="escrowed", immediate_danger="on"))
    assert response.status_code == 200 and "cannot be held in escrow" in response.text
    assert not Case.objects.exists()
    with pytest.raises(Refused, match="cannot be held in escrow"):
        open_report(description="x", kind="escrowed", urgent=True)


def test_the_intake_form_speaks_in_the_takers_voice(alice):
    page = verified_client(alice).get("/intake/new/").text
    assert "They would like the committee to involve law enforcement" in page
    assert "I would like the committee" not in page
    assert "Nothing yet" not in page  # the choices of the intake form: none, or what was done


def test_an_event_responders_form_starts_with_their_event(event, responder):
    event.responders.add(responder)
    page = verified_client(responder).get("/intake/new/").text
    assert f'<option value="{event.pk}" selected>' in page


def test_a_taker_with_a_conflict_hands_off_with_contact_details_only(alice, bob):
    client = verified_client(alice)
    data = {
        "channel": "in_person",
        "kind": "named",
        "reporter_name": "Robin Reporter",
        "reporter_phone": "+1 555 0100",
        "wants_updates": "yes",
        "handoff_to": str(bob.pk),
    }
    response = take(client, data)
    assert response.status_code == 302, response.text
    case = Case.objects.get()
    assert case.description == "" and case.received_by == bob
    assert Handoff.objects.get(case=case).to_member == bob
    refused = take(client, {**data, "handoff_to": ""})  # without a hand-off, what happened is needed
    assert refused.status_code == 200 and Case.objects.count() == 1


def test_the_filed_page_links_to_the_new_case_for_a_member_who_may_read_it(alice):
    client = verified_client(alice)
    take(client, in_person())
    case = Case.objects.get()
    assert f'href="/cases/{case.reference}/"' in client.get("/intake/filed/").text
