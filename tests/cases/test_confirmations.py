"""Confirmation before irreversible steps (issue 12): each step's page says what will happen and
who will be told; a GET does nothing, and a POST without the ticked box does nothing either."""

import pytest

from cocdesk import access
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.cases.services import case_transition
from tests.factories import CASE_CANARY, case_factory, verified_client

pytestmark = pytest.mark.django_db


def closed_case(*members):
    case = case_factory(participants=members)
    case_transition(case=case, to="closed", by=members[0], resolution="withdrawn")
    return case


def test_stepping_away_shows_what_happens_and_does_nothing_until_confirmed(alice, bob):
    case = case_factory(participants=(alice, bob))
    client = verified_client(alice)
    page = client.get(f"/cases/{case.reference}/recuse/")
    assert page.status_code == 200
    assert "What will happen" in page.text and "Who will be told" in page.text
    assert "Nobody is told why" in page.text
    assert access.case_participants(case).filter(pk=alice.pk).exists()  # the GET did nothing
    refused = client.post(f"/cases/{case.reference}/recuse/", {"confirm": ""})
    assert refused.status_code == 400 and "Please tick the box to confirm" in refused.text
    assert access.case_participants(case).filter(pk=alice.pk).exists()
    done = client.post(f"/cases/{case.reference}/recuse/", {"confirm": "on"})
    assert done.status_code == 302
    assert not access.case_participants(case).filter(pk=alice.pk).exists()


def test_the_case_page_links_to_the_confirmation_instead_of_stepping_away_at_once(alice):
    case = case_factory(participants=(alice,))
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert f'href="/cases/{case.reference}/recuse/"' in page
    assert f'action="/cases/{case.reference}/recuse/"' not in page


def test_deleting_a_closed_case_needs_its_confirmation(chair, alice):
    case = closed_case(chair, alice)
    client = verified_client(chair)
    page = client.get(f"/cases/{case.reference}/delete/")
    assert page.status_code == 200 and "Delete it for good" in page.text
    assert "Nobody is emailed" in page.text
    assert client.post(f"/cases/{case.reference}/delete/").status_code == 400
    assert Case.objects.get(pk=case.pk).expunged_at is None
    assert client.post(f"/cases/{case.reference}/delete/", {"confirm": "on"}).status_code == 302
    gone = Case.objects.get(pk=case.pk)
    assert gone.expunged_at is not None and CASE_CANARY not in gone.description
    assert AuditEntry.objects.filter(action="case.expunged", actor=f"member:{chair.pk}").exists()


def test_an_open_case_cannot_be_deleted_early(chair, alice):
    case = case_factory(participants=(chair, alice))
    response = verified_client(chair).post(f"/cases/{case.reference}/delete/", {"confirm": "on"})
    assert response.status_code == 400 and "Only a closed case" in response.text
    assert Case.objects.get(pk=case.pk).expunged_at is None


def test_a_member_who_is_not_the_chair_cannot_delete_while_a_chair_takes_part(chair, alice):
    case = closed_case(chair, alice)
    response = verified_client(alice).post(f"/cases/{case.reference}/delete/", {"confirm": "on"})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).expunged_at is None
