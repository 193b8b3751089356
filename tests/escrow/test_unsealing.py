"""Unsealing an escrowed report (D7, issue 10): two members free of conflict on both reports, never
a member the reports are about, never one member alone through a report of their own."""

import pytest

from cocdesk.cases.models import PartyRole
from cocdesk.cases.services import Incident, PartyInput, ReportInput, conflict_declare
from cocdesk.errors import Refused
from cocdesk.escrow.models import EscrowMatch
from cocdesk.escrow.services import escrow_unseal
from cocdesk.intake.services import case_person_add, committee_report_take
from tests.factories import open_report, verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

SEALED = "canary-sealed-55e what they did"


def sealed_about(name: str):
    return open_report(
        kind="escrowed",
        description=SEALED,
        parties=[PartyInput(role=PartyRole.REPORTED, name=name)],
        with_receipt=True,
    ).case


def named_about(name: str, **fields):
    return open_report(
        description="another report", parties=[PartyInput(role=PartyRole.REPORTED, name=name)], **fields
    ).case


def test_a_member_cannot_unseal_or_even_see_a_match_about_themself(
    alice, bob, django_capture_on_commit_callbacks, carol
):
    """The attack: Carol unsealed and read an escrowed report about herself."""
    sealed = sealed_about("Carol Hartmann")
    with django_capture_on_commit_callbacks(execute=True):
        named_about("carol hartmann")
    match = EscrowMatch.objects.get()
    client = verified_client(carol)
    assert "An escrowed report matches" not in client.get("/escrow/").text
    assert client.post(f"/escrow/{match.pk}/unseal/", {"confirm": "on"}).status_code == 404
    with pytest.raises(Refused):
        escrow_unseal(match=match, by=carol)
    assert not [m for m in delivered() if carol.email in m.to]
    assert sorted(m.to[0] for m in delivered() if "escrow" in m.subject) == [alice.email, bob.email]
    sealed.refresh_from_db()
    assert sealed.sealed


def test_a_partly_named_member_is_held_on_the_sealed_report_too(alice, bob, carol):
    sealed_about("C. Hartmann")
    named_about("C. Hartmann")
    match = EscrowMatch.objects.get()
    assert verified_client(carol).post(f"/escrow/{match.pk}/unseal/", {"confirm": "on"}).status_code == 404


def test_one_member_alone_cannot_unseal(alice, bob):
    sealed = sealed_about("Sam Smith")
    named_about("Sam Smith")
    match = EscrowMatch.objects.get()
    assert escrow_unseal(match=match, by=alice) is None
    assert escrow_unseal(match=match, by=alice) is None  # agreeing twice is still one member
    sealed.refresh_from_db()
    assert sealed.sealed
    assert "Alice Member" in verified_client(bob).get("/escrow/").text  # who agreed, shown to the others
    assert escrow_unseal(match=match, by=bob) == sealed
    sealed.refresh_from_db()
    assert not sealed.sealed
    assert sealed.timeline.filter(kind="escrow").exists()


def test_an_agreement_stops_counting_when_the_member_becomes_conflicted(alice, bob, carol):
    sealed = sealed_about("Sam Smith")
    other = named_about("Sam Smith")
    match = EscrowMatch.objects.get()
    escrow_unseal(match=match, by=alice)
    conflict_declare(case=other, member=alice, has_conflict=True)
    assert escrow_unseal(match=match, by=bob) is None
    assert escrow_unseal(match=match, by=carol) == sealed


def test_a_member_cannot_trigger_a_match_with_a_report_and_unseal_alone(alice, bob, carol):
    """The attack: a member takes a report naming someone, triggers the match, and unseals it."""
    sealed = sealed_about("Sam Smith")
    opened = committee_report_take(
        taker=alice,
        report=ReportInput(
            channel="phone",
            incident=Incident(description="Sam Smith did it again."),
            parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Smith")],
        ),
    )
    match = EscrowMatch.objects.get(other_case=opened.case)
    assert match.triggered_by == alice
    with pytest.raises(Refused):
        escrow_unseal(match=match, by=alice)
    page = verified_client(bob).get("/escrow/").text
    assert "came from Alice Member" in page
    assert escrow_unseal(match=match, by=bob) is None
    assert escrow_unseal(match=match, by=carol) == sealed


def test_adding_a_person_to_a_case_records_who_triggered_the_match(alice, bob):
    sealed_about("Sam Smith")
    case = named_about("Someone Else")
    conflict_declare(case=case, member=alice, has_conflict=False)
    case_person_add(case=case, by=alice, person=PartyInput(role=PartyRole.REPORTED, name="Sam Smith"))
    match = EscrowMatch.objects.get()
    assert match.triggered_by == alice
    with pytest.raises(Refused):
        escrow_unseal(match=match, by=alice)
