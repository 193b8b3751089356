"""Members keep the names, addresses and handles they are known by (D3, issue 10): editable by the
member and the chair, audited, stored encrypted with a blind index; the account's own name and
address always count."""

import pytest
from django.core.management import call_command
from django.db import connection

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import ConflictDeclaration, PartyRole
from cocdesk.cases.services import PartyInput
from cocdesk.crypto import blind_index, identity_row_key
from cocdesk.errors import Refused
from cocdesk.members.models import Member, MemberIdentity
from cocdesk.members.services import identity_add, identity_remove
from tests.factories import open_report, verified_client

pytestmark = pytest.mark.django_db


def test_a_member_adds_and_removes_their_own_identities(alice):
    client = verified_client(alice)
    page = client.get("/identities/")
    assert page.status_code == 200 and "alice@example.org" in page.text and "Alice Member" in page.text
    response = client.post("/identities/", {"kind": "handle", "value": "@ali_m"})
    assert response.status_code == 302
    row = MemberIdentity.objects.get(member=alice)
    assert (row.kind, row.value, row.index) == ("handle", "@ali_m", identity_row_key("alim", kind="handle"))
    assert row.index != blind_index("alim", kind="handle")  # never joinable with a party's index
    assert "@ali_m" in client.get("/identities/").text
    client.post(f"/identities/{row.pk}/remove/")
    assert not MemberIdentity.objects.filter(member=alice).exists()
    actions = list(AuditEntry.objects.filter(object_id=str(alice.pk)).values_list("action", flat=True))
    assert "member.identity_added" in actions and "member.identity_removed" in actions


def test_the_value_is_stored_encrypted(alice):
    identity_add(member=alice, kind="name", value="Ally Secretname", by=alice)
    with connection.cursor() as cursor:
        cursor.execute('SELECT value, "index" FROM members_memberidentity')
        stored, index = cursor.fetchone()
    assert "Secretname" not in stored and "secretname" not in index.lower()


def test_nonsense_and_duplicates_are_refused_kindly(alice):
    client = verified_client(alice)
    bad = client.post("/identities/", {"kind": "email", "value": "not an address"})
    assert bad.status_code == 400 and "does not look like an email address" in bad.text
    own = client.post("/identities/", {"kind": "email", "value": "Alice@Example.org"})
    assert "always counts" in own.text
    identity_add(member=alice, kind="name", value="Ally M", by=alice)
    with pytest.raises(Refused):
        identity_add(member=alice, kind="name", value="  ally   m ", by=alice)


def test_the_chair_keeps_anyones_list_and_reading_it_is_audited(alice, chair, community_manager):
    client = verified_client(chair)
    roster = client.get("/roster/").text
    assert (
        f"/roster/{alice.pk}/identities/" in roster
        and f"/roster/{community_manager.pk}/identities/" in roster
    )
    assert client.get(f"/roster/{community_manager.pk}/identities/").status_code == 200
    client.post(f"/roster/{community_manager.pk}/identities/", {"kind": "name", "value": "Dani M."})
    row = MemberIdentity.objects.get(member=community_manager)
    assert row.added_by == chair
    assert AuditEntry.objects.filter(
        action="member.identities_viewed", object_id=str(community_manager.pk), actor=f"member:{chair.pk}"
    ).exists()
    client.post(f"/identities/{row.pk}/remove/")
    assert not MemberIdentity.objects.filter(member=community_manager).exists()


def test_another_member_can_neither_read_nor_change_your_list(alice, bob):
    row = identity_add(member=alice, kind="handle", value="alicehandle", by=alice)
    client = verified_client(bob)
    assert client.get(f"/roster/{alice.pk}/identities/").status_code == 404
    assert client.post(f"/roster/{alice.pk}/identities/", {"kind": "name", "value": "x y"}).status_code == 404
    assert client.post(f"/identities/{row.pk}/remove/").status_code == 404
    assert "alicehandle" not in client.get("/identities/").text
    with pytest.raises(Refused):
        identity_add(member=alice, kind="name", value="Bob Made This Up", by=bob)
    with pytest.raises(Refused):
        identity_remove(row=row, by=bob)


def test_event_responders_and_the_operator_keep_no_list(alice, responder):
    assert verified_client(responder).get("/identities/").status_code == 404


def test_the_account_address_always_counts_even_with_no_list(alice, bob):
    case = open_report(
        description="canary-acct",
        parties=[PartyInput(role=PartyRole.REPORTED, name="Somebody", email=" ALICE@example.org ")],
    ).case
    declaration = ConflictDeclaration.objects.get(case=case, member=alice)
    assert declaration.has_conflict and declaration.source == "party"


def test_a_member_added_with_the_command_after_a_report_about_them_never_sees_it(alice, capsys):
    """The attack: frank@example.org was reported, then joined the committee and read it."""
    case = open_report(
        description="canary-later",
        parties=[PartyInput(role=PartyRole.REPORTED, name="F. Later", email="frank+conduct@example.org")],
    ).case
    call_command("add_member", "frank@example.org", "--name", "Frank Later")
    frank = Member.objects.get(email="frank@example.org")
    declaration = ConflictDeclaration.objects.get(case=case, member=frank)
    assert declaration.has_conflict and declaration.source == "party"
    assert case.reference not in capsys.readouterr().out
