"""Who a case is about (D3, issue 10): members taking part add and correct reported people and
witnesses on any case, emailed ones included; the prompt says only "NAME(S) has/have been reported
by CHANNEL"."""

import pytest

from cocdesk.cases.models import ConflictDeclaration, PartyRole
from cocdesk.cases.services import PartyInput, conflict_declare, owners_set
from cocdesk.escrow.models import EscrowMatch
from tests.factories import open_report, verified_client
from tests.intake.test_email_ingest import ingest, make_email
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

CANARY = "canary-people-8c1 what happened"


def person(name="", role=PartyRole.REPORTED, **fields) -> dict:
    return {"role": role, "name": name, **fields}


def test_a_party_added_after_intake_ends_access_for_the_member_it_names(alice, bob, carol):
    case = open_report(
        description=CANARY, parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Smith")]
    ).case
    for member in (alice, bob, carol):
        conflict_declare(case=case, member=member, has_conflict=False)
    owners_set(case=case, primary=carol, secondary=alice, by=alice)
    carol_client = verified_client(carol)
    assert CANARY in carol_client.get(f"/cases/{case.reference}/").text

    response = verified_client(alice).post(
        f"/cases/{case.reference}/people/", person("Hartmann Carol", role=PartyRole.WITNESS)
    )
    assert response.status_code == 302
    assert carol_client.get(f"/cases/{case.reference}/").status_code == 404
    assert case.reference not in carol_client.get("/dashboard/").text
    assert not case.owners.filter(member=carol).exists()
    assert ConflictDeclaration.objects.get(case=case, member=carol).source == "party"
    assert case.timeline.filter(kind="note", text__isnull=False).exists()


def test_correcting_a_name_re_checks_too(alice, carol):
    case = open_report(description=CANARY, parties=[PartyInput(role=PartyRole.REPORTED, name="C H")]).case
    conflict_declare(case=case, member=alice, has_conflict=False)
    party = case.parties.get(role="reported")
    client = verified_client(alice)
    assert "C H" in client.get(f"/cases/{case.reference}/people/{party.pk}/").text
    client.post(f"/cases/{case.reference}/people/{party.pk}/", person("Carol Hartmann", handle="@carolh"))
    party.refresh_from_db()
    assert (party.name, party.handle) == ("Carol Hartmann", "@carolh")
    assert verified_client(carol).get(f"/cases/{case.reference}/").status_code == 404


def test_only_members_taking_part_add_people_and_the_reporter_is_not_theirs_to_change(alice, bob):
    case = open_report(
        description=CANARY,
        parties=[PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email="robin@example.net")],
    ).case
    conflict_declare(case=case, member=alice, has_conflict=False)
    reporter = case.parties.get(role="reporter")
    assert verified_client(bob).post(f"/cases/{case.reference}/people/", person("X Y")).status_code == 404
    alice_client = verified_client(alice)
    assert alice_client.get(f"/cases/{case.reference}/people/{reporter.pk}/").status_code == 404
    refused = alice_client.post(f"/cases/{case.reference}/people/", person("Z", role=PartyRole.REPORTER))
    assert refused.status_code == 400
    assert case.parties.count() == 1


def test_an_emailed_report_shows_its_subject_until_someone_adds_the_reported_people(tmp_path, alice, bob):
    raw = make_email(subject="About the meetup on Friday", body=CANARY, sender="Robin R <robin@example.net>")
    _, (reference,), _ = ingest(tmp_path, raw)
    alice_client = verified_client(alice)
    prompt = alice_client.get(f"/cases/{reference}/").text
    assert "Someone has been reported by email." in prompt
    assert "About the meetup on Friday" in prompt
    assert "robin" not in prompt.lower() and CANARY not in prompt

    answered = alice_client.post(f"/cases/{reference}/declare/", {"answer": "no_conflict"})
    assert answered["Location"] == f"/cases/{reference}/people/"  # asked to add them first
    assert "add the reported person" in alice_client.get(answered["Location"]).text.lower()
    alice_client.post(f"/cases/{reference}/people/", person("Sam Smith", handle="@sams"))

    prompt = verified_client(bob).get(f"/cases/{reference}/").text
    assert "Sam Smith (@sams) has been reported by email." in prompt
    assert "About the meetup" not in prompt


def test_a_person_added_later_is_matched_against_escrowed_reports(tmp_path, alice):
    sealed = open_report(
        kind="escrowed",
        description="sealed words",
        parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Smith")],
    ).case
    _, (reference,), _ = ingest(tmp_path, make_email(body=CANARY))
    client = verified_client(alice)
    client.post(f"/cases/{reference}/declare/", {"answer": "no_conflict"})
    assert not EscrowMatch.objects.exists()
    client.post(f"/cases/{reference}/people/", person("sam SMITH"))
    match = EscrowMatch.objects.get()
    assert match.sealed_case == sealed and match.other_case.reference == reference


def test_the_prompt_names_only_the_reported_people_never_the_reporter_witnesses_or_addresses(alice):
    case = open_report(
        description=CANARY,
        parties=[
            PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email="robin@example.net"),
            PartyInput(role=PartyRole.REPORTED, email="only-an-address@example.com"),
            PartyInput(role=PartyRole.WITNESS, name="Wren Witness"),
        ],
    ).case
    prompt = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Someone has been reported by web form." in prompt
    for secret in ("Robin", "robin@", "only-an-address", "Wren", "Witness"):
        assert secret not in prompt


def test_two_reported_people_have_been_reported(alice):
    case = open_report(
        channel="in_person",
        description=CANARY,
        parties=[
            PartyInput(role=PartyRole.REPORTED, name="Sam Smith", handle="@sams"),
            PartyInput(role=PartyRole.REPORTED, handle="@kit"),
        ],
    ).case
    prompt = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Sam Smith (@sams) and @kit have been reported in person." in prompt
    assert not [m for m in delivered() if "@sams" in m.body]
