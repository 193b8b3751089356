"""Roles change only through audited paths, and never make the site operator a committee member
(D1, D8, issue 16).

The attack: the operator, logged in to the Django admin, sets their own role to chair and reads
every case, leaving no audit entry; or sets a member's role to "community manager", which removes
them from the committee without the vote D8 asks for.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.errors import Refused
from cocdesk.members.models import Member, Removal, Role
from cocdesk.members.services import member_add, member_role_set, removal_open, removal_vote
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db


def _admin_change(client, member, **changes):
    data = {"email": member.email, "name": member.name, "role": member.role, "is_active": "on", **changes}
    return client.post(f"/admin/members/member/{member.pk}/change/", data)


def _role_changes():
    return list(AuditEntry.objects.filter(action__startswith="member.role_changed").order_by("seq"))


# --- the Django admin ------------------------------------------------------------------------------


def test_the_operator_cannot_make_themself_chair_in_the_admin(operator):
    case = case_factory()
    client = verified_client(operator)
    form = client.get(f"/admin/members/member/{operator.pk}/change/")
    assert form.status_code == 200 and 'name="role"' not in form.text
    _admin_change(client, operator, role=Role.CHAIR)
    operator.refresh_from_db()
    assert operator.role == Role.OPERATOR
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert _role_changes() == []


def test_the_operator_cannot_remove_a_member_or_take_over_their_address_in_the_admin(operator, alice):
    client = verified_client(operator)
    _admin_change(client, alice, role=Role.COMMUNITY_MANAGER, email="op+alice@example.org", is_active="")
    alice.refresh_from_db()
    assert (alice.role, alice.email, alice.is_active) == (Role.MEMBER, "alice@example.org", True)


def test_a_name_changed_in_the_admin_is_audited(operator, alice):
    _admin_change(verified_client(operator), alice, name="Alice M. Member")
    alice.refresh_from_db()
    assert alice.name == "Alice M. Member"
    entry = AuditEntry.objects.get(action="member.renamed")
    assert (entry.actor, entry.object_id) == (f"member:{operator.pk}", str(alice.pk))
    assert "Alice" not in str(entry.__dict__)


def test_accounts_are_not_added_in_the_admin(operator):
    client = verified_client(operator)
    assert client.get("/admin/members/member/add/").status_code == 403
    before = Member.objects.count()
    client.post("/admin/members/member/add/", {"email": "new@example.org", "name": "New", "role": "chair"})
    assert Member.objects.count() == before


# --- never an operator and a committee member at once --------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.CHAIR, Role.COMMUNITY_MANAGER, Role.EVENT_RESPONDER])
@pytest.mark.parametrize("rights", [{"is_superuser": True}, {"is_staff": True}])
def test_an_account_with_admin_rights_never_holds_another_role(role, rights):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create_user("both@example.org", None, name="Both", role=role, **rights)


def test_a_committee_member_cannot_be_given_admin_rights_in_the_database(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=alice.pk).update(is_superuser=True)


def test_the_operator_cannot_be_given_a_committee_role_in_the_database(operator):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=operator.pk).update(role=Role.CHAIR)


def test_createsuperuser_makes_an_operator_only(operator):
    assert (operator.role, operator.is_superuser, operator.is_staff) == (Role.OPERATOR, True, True)


def test_adding_a_member_with_admin_rights_is_refused_with_a_message():
    member = Member(email="x@example.org", name="X", role=Role.CHAIR, is_staff=True)
    with pytest.raises(Exception, match="site operator"):
        member.full_clean()


# --- `cocdesk set-role EMAIL ROLE` ---------------------------------------------------------------


def set_role(email: str, role: str) -> str:
    out = StringIO()
    call_command("set_role", email, role, stdout=out)
    return out.getvalue()


def test_set_role_makes_a_member_chair_and_is_audited(alice, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "deploy")
    assert "Alice Member <alice@example.org> is now Chair" in set_role("alice@example.org", "chair")
    alice.refresh_from_db()
    assert alice.role == Role.CHAIR
    [entry] = _role_changes()
    assert (entry.action, entry.actor) == ("member.role_changed.member.chair", "command-line:deploy")
    assert entry.object_id == str(alice.pk)


def test_set_role_takes_hyphenated_roles_and_moves_between_the_other_roles(alice, community_manager):
    set_role(community_manager.email, "event-responder")
    community_manager.refresh_from_db()
    assert community_manager.role == Role.EVENT_RESPONDER


@pytest.mark.parametrize("role", ["operator"])
def test_set_role_refuses_to_make_anyone_operator(alice, role):
    with pytest.raises(CommandError, match="createsuperuser"):
        set_role(alice.email, role)
    assert _role_changes() == []


def test_set_role_refuses_to_give_the_operator_another_role(operator):
    with pytest.raises(CommandError, match="site operator"):
        set_role(operator.email, "chair")
    operator.refresh_from_db()
    assert operator.role == Role.OPERATOR


def test_set_role_does_not_remove_a_member_from_the_committee(alice):
    with pytest.raises(CommandError, match="vote"):
        set_role(alice.email, "community-manager")
    alice.refresh_from_db()
    assert alice.role == Role.MEMBER


def test_set_role_keeps_a_chair(chair, alice):
    with pytest.raises(CommandError, match="chair"):
        set_role(chair.email, "member")
    set_role(alice.email, "chair")
    set_role(chair.email, "member")  # another chair now: stepping down as chair is fine
    chair.refresh_from_db()
    assert chair.role == Role.MEMBER


def test_set_role_names_an_unknown_address():
    with pytest.raises(CommandError, match="No account"):
        set_role("nobody@example.org", "chair")


def test_set_role_refuses_a_disabled_account(alice):
    Member.objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(CommandError, match="disabled"):
        set_role(alice.email, "chair")


# --- the chair, on the roster page -----------------------------------------------------------------


def test_the_chair_makes_a_member_chair_on_the_roster_page(chair, alice):
    client = verified_client(chair)
    page = client.get("/roster/")
    assert f"/roster/{alice.pk}/role/" in page.text
    response = client.post(f"/roster/{alice.pk}/role/", {"role": "chair"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.CHAIR
    [entry] = _role_changes()
    assert (entry.action, entry.actor) == ("member.role_changed.member.chair", f"member:{chair.pk}")


def test_the_chair_cannot_remove_a_member_from_the_committee_by_their_role(chair, alice):
    client = verified_client(chair)
    response = client.post(f"/roster/{alice.pk}/role/", {"role": "community_manager"})
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.role == Role.MEMBER and _role_changes() == []


def test_the_chair_moves_people_between_the_roles_outside_the_committee_and_onto_it(chair, responder):
    client = verified_client(chair)
    client.post(f"/roster/{responder.pk}/role/", {"role": "community_manager"})
    responder.refresh_from_db()
    assert responder.role == Role.COMMUNITY_MANAGER
    client.post(f"/roster/{responder.pk}/role/", {"role": "member"})
    responder.refresh_from_db()
    assert responder.role == Role.MEMBER


@pytest.mark.parametrize("role", ["operator", "member", "chair"])
def test_the_chair_cannot_change_their_own_role_or_the_operators(chair, operator, role):
    client = verified_client(chair)
    assert client.post(f"/roster/{chair.pk}/role/", {"role": role}).status_code == 404
    assert client.post(f"/roster/{operator.pk}/role/", {"role": role}).status_code == 404
    chair.refresh_from_db()
    operator.refresh_from_db()
    assert (chair.role, operator.role) == (Role.CHAIR, Role.OPERATOR)


def test_a_member_cannot_change_roles(alice, bob):
    client = verified_client(alice)
    assert client.post(f"/roster/{bob.pk}/role/", {"role": "chair"}).status_code == 404
    assert client.post(f"/roster/{alice.pk}/role/", {"role": "chair"}).status_code == 404
    alice.refresh_from_db()
    assert alice.role == Role.MEMBER


def test_the_service_refuses_a_chair_acting_on_themself_and_anyone_not_chair(chair, alice):
    with pytest.raises(Refused):
        member_role_set(member=chair, role=Role.MEMBER, actor=chair)
    with pytest.raises(Refused):
        member_role_set(member=chair, role=Role.MEMBER, actor=alice)


def test_joining_the_committee_makes_a_voter_in_an_open_removal_vote(
    chair, alice, bob, carol, community_manager
):
    """Four members: removing Carol takes three yes votes (more than half of all four). A fifth member
    joins: still three, and the community_manager's counts."""
    removal = removal_open(member=carol, by=alice)
    removal_vote(removal=removal, member=alice, remove=True)
    member_role_set(member=community_manager, role=Role.MEMBER, actor=chair)
    removal_vote(removal=removal, member=community_manager, remove=True)
    assert Removal.objects.get(pk=removal.pk).status == "open"  # 2 of 5
    removal_vote(removal=removal, member=bob, remove=True)
    assert Removal.objects.get(pk=removal.pk).status == "passed"  # 3 of 5


def test_member_add_cannot_make_an_operator_account():
    with pytest.raises(Refused, match="createsuperuser"):
        member_add(email="op2@example.org", name="Op", role=Role.OPERATOR)
    assert not Case.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_migrating_takes_admin_rights_from_an_account_that_also_has_another_role(capsys):
    before = [("members", "0003_totp_secrets_encrypted")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        Old = executor.loader.project_state(before).apps.get_model("members", "Member")
        both = Old.objects.create(email="both@example.org", name="Both", role="chair", is_superuser=True)
        operator = Old.objects.create(
            email="op@example.org", name="Op", role="operator", is_staff=True, is_superuser=True
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("members"))
    both, operator = Member.objects.get(pk=both.pk), Member.objects.get(pk=operator.pk)
    assert (both.role, both.is_staff, both.is_superuser) == (Role.CHAIR, False, False)
    assert (operator.is_staff, operator.is_superuser) == (True, True)
    assert f"Admin rights removed from account(s) {both.pk}" in capsys.readouterr().out


def test_an_organizer_named_in_a_report_who_joins_the_committee_never_sees_it(alice, chair, responder):
    case = case_factory(reported=responder.name, participants=(alice,))
    member_role_set(member=responder, role=Role.MEMBER, actor=chair)
    client = verified_client(responder)
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert case.reference not in client.get("/dashboard/").text
