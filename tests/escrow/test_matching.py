"""Escrowed reports stay sealed until the same person is reported again (D7)."""

import pytest
from django.test import TestCase

from cocdesk.cases.services import conflict_declare
from cocdesk.escrow.models import EscrowMatch
from tests.factories import case_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


def escrowed(reported="Jamie Doe"):
    return case_factory(kind="escrowed", reported=reported, description="canary-escrow sealed words")


def test_escrowed_report_is_invisible_until_matched(alice):
    sealed = escrowed()
    client = verified_client(alice)
    assert client.get(f"/cases/{sealed.reference}/").status_code == 404
    assert sealed.reference not in client.get("/cases/").text
    assert not EscrowMatch.objects.exists()


def test_a_new_report_on_the_same_person_matches_and_alerts_members_free_on_both(alice, bob):
    sealed = escrowed()
    conflict_declare(case=sealed, member=bob, has_conflict=True)
    forget_delivered()
    with TestCase.captureOnCommitCallbacks(execute=True):
        newer = case_factory(reported="  JAMIE doe ")
    match = EscrowMatch.objects.get()
    assert (match.sealed_case, match.other_case) == (sealed, newer)
    alerts = [m for m in delivered() if "escrow" in m.subject]
    assert [m.to for m in alerts] == [[alice.email]]
    assert all("canary" not in m.body and "Jamie" not in m.body for m in delivered())
    assert (
        verified_client(bob).get("/escrow/").text.count("matches") == 0
        or "No matches" in verified_client(bob).get("/escrow/").text
    )


def test_a_different_person_does_not_match(alice):
    escrowed()
    case_factory(reported="Someone Else")
    assert not EscrowMatch.objects.exists()


def test_unsealing_makes_it_an_ordinary_case_that_asks_for_declarations(alice, bob):
    sealed = escrowed()
    case_factory(reported="Jamie Doe")
    match = EscrowMatch.objects.get()
    client = verified_client(alice)
    assert "An escrowed report matches" in client.get("/escrow/").text
    first = verified_client(bob).post(
        f"/escrow/{match.pk}/unseal/", {"confirm": "on"}
    )  # one member is not enough
    assert first["Location"] == "/escrow/"
    response = client.post(f"/escrow/{match.pk}/unseal/", {"confirm": "on"})
    assert response["Location"] == f"/cases/{sealed.reference}/"
    sealed.refresh_from_db()
    assert not sealed.sealed
    assert "do you have a conflict of interest?" in client.get(f"/cases/{sealed.reference}/").text
    assert sealed.timeline.filter(kind="escrow").exists()


def test_a_member_conflicted_on_either_report_cannot_unseal(alice):
    sealed = escrowed()
    newer = case_factory(reported="Jamie Doe")
    conflict_declare(case=newer, member=alice, has_conflict=True)
    match = EscrowMatch.objects.get()
    assert verified_client(alice).post(f"/escrow/{match.pk}/unseal/", {"confirm": "on"}).status_code == 404
    sealed.refresh_from_db()
    assert sealed.sealed


def test_the_unseal_confirmation_page_does_nothing_until_confirmed(alice, bob):
    sealed = escrowed()
    case_factory(reported="Jamie Doe")
    match = EscrowMatch.objects.get()
    verified_client(bob).post(f"/escrow/{match.pk}/unseal/", {"confirm": "on"})
    client = verified_client(alice)
    page = client.get(f"/escrow/{match.pk}/unseal/")
    assert page.status_code == 200
    assert "Yours is the second agreement: the escrowed report is unsealed now." in page.text
    assert "Who will be told" in page.text and 'name="confirm"' in page.text
    refused = client.post(f"/escrow/{match.pk}/unseal/")  # the box not ticked
    assert refused.status_code == 400 and "Nothing has been done yet" in refused.text
    sealed.refresh_from_db()
    assert sealed.sealed and match.agreements.filter(member=alice).count() == 0
