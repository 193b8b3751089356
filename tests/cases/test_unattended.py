"""Unattended cases (issue 12): stepping down, removal, off-boarding or stepping away that leaves a
case with nobody taking part, or an immediate-danger case with fewer than two, warns the person
before they confirm (naming the references) and, once confirmed, tells the chair and the remaining
members at once. A conflicted member is never told."""

import pytest
from django.test import TestCase

from cocdesk import access
from cocdesk.cases import selectors
from cocdesk.cases.services import case_transition, conflict_declare, conflict_set
from cocdesk.members import services as member_services
from cocdesk.members.models import Offboarding
from tests.factories import case_factory, member_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def dan(db):
    return member_factory(name="Dan Departing", email="dan@example.org")


@pytest.fixture
def erin(db):
    """A member with a conflict on the cases below: she must never hear of them."""
    return member_factory(name="Erin Conflicted", email="erin@example.org")


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def unattended_mail(address: str) -> list:
    return [m for m in delivered() if address in m.to and "looking after" in m.subject + m.body]


def danger_mail(address: str) -> list:
    return [m for m in delivered() if address in m.to and "only one member is left" in m.subject]


def test_a_case_only_the_leaving_member_takes_part_in_is_left_unattended(dan, alice):
    alone = case_factory(participants=(dan,))
    shared = case_factory(participants=(dan, alice))
    assert selectors.cases_left_unattended(leaving=dan) == [alone]
    assert shared not in selectors.cases_left_unattended(leaving=dan)


def test_an_immediate_danger_case_needs_two_members_left(dan, alice, bob):
    urgent = case_factory(participants=(dan, alice), urgent=True)
    assert selectors.cases_left_unattended(leaving=dan) == [urgent]
    conflict_declare(case=urgent, member=bob, has_conflict=False)
    assert selectors.cases_left_unattended(leaving=dan) == []


def test_a_closed_case_is_never_unattended(dan, alice):
    case = case_factory(participants=(dan,))
    case_transition(case=case, to="closed", by=dan, resolution="withdrawn")
    assert selectors.cases_left_unattended(leaving=dan) == []


def test_a_voter_is_shown_only_the_cases_they_take_part_in(dan, alice, bob):
    urgent = case_factory(participants=(dan, alice), urgent=True)
    case_factory(participants=(dan,))  # bob does not take part: he is never shown it
    assert selectors.cases_left_unattended(leaving=dan, seen_by=alice) == [urgent]
    assert selectors.cases_left_unattended(leaving=dan, seen_by=bob) == []


def test_stepping_down_warns_with_the_references_before_confirming(dan, alice, chair):
    urgent = case_factory(participants=(dan, alice), urgent=True)
    quiet = case_factory(participants=(dan, alice))
    page = verified_client(dan).get("/resign/")
    assert page.status_code == 200
    assert urgent.reference in page.text and "someone may be in danger" in page.text
    assert quiet.reference not in page.text  # alice still looks after it
    at_check_in = verified_client(dan).post("/check-in/", {"answer": "step_down"})
    assert urgent.reference in at_check_in.text
    assert not Offboarding.objects.filter(member=dan).exists()


def test_stepping_down_tells_the_chair_and_the_remaining_members_at_once(dan, alice, chair, erin):
    urgent = case_factory(participants=(dan, alice), urgent=True)
    conflict_declare(case=urgent, member=erin, has_conflict=True)
    forget_delivered()
    with committed():
        response = verified_client(dan).post("/resign/", {"confirm": "on"})
    assert response.status_code == 200
    [to_alice] = danger_mail(alice.email)
    [to_chair] = danger_mail(chair.email)
    assert urgent.reference in to_alice.subject and urgent.reference in to_chair.body
    assert "jamie" not in to_alice.body.lower()  # no case details in a member's email
    assert [m for m in delivered() if erin.email in m.to and urgent.reference in m.subject] == []
    assert [m for m in delivered() if dan.email in m.to] == []


def test_stepping_away_from_the_last_members_case_warns_then_tells(dan, chair, erin):
    case = case_factory(participants=(dan,))
    conflict_declare(case=case, member=erin, has_conflict=True)
    client = verified_client(dan)
    page = client.get(f"/cases/{case.reference}/recuse/")
    assert page.status_code == 200 and "nobody else is taking part" in page.text
    assert "told at once" in page.text
    assert client.post(f"/cases/{case.reference}/recuse/").status_code == 400  # not confirmed
    assert access.case_participants(case).filter(pk=dan.pk).exists()  # still taking part
    forget_delivered()
    with committed():
        client.post(f"/cases/{case.reference}/recuse/", {"confirm": "on"})
    [told] = unattended_mail(chair.email)
    assert case.reference in told.subject and "Nobody is looking after" in told.subject
    assert unattended_mail(erin.email) == [] and unattended_mail(dan.email) == []


def test_stepping_away_while_others_remain_tells_nobody(dan, alice, chair):
    case = case_factory(participants=(dan, alice))
    page = verified_client(dan).get(f"/cases/{case.reference}/recuse/")
    assert "nobody else is taking part" not in page.text
    forget_delivered()
    with committed():
        conflict_set(case=case, member=dan)
    assert unattended_mail(chair.email) == [] and unattended_mail(alice.email) == []


def test_a_removal_that_leaves_a_case_unattended_tells_the_others(dan, alice, bob, chair):
    urgent = case_factory(participants=(dan, alice), urgent=True)
    removal = member_services.removal_open(member=dan, by=alice)
    page = verified_client(alice).get(f"/removals/{removal.pk}/")
    assert urgent.reference in page.text  # the voter is warned of the case she takes part in
    assert urgent.reference not in verified_client(bob).get(f"/removals/{removal.pk}/").text
    forget_delivered()
    with committed():
        for voter in (alice, bob, chair):
            member_services.removal_vote(removal=removal, member=voter, remove=True)
    assert Offboarding.objects.filter(member=dan).exists()
    assert len(danger_mail(alice.email)) == 1 and len(danger_mail(chair.email)) == 1
