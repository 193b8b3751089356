"""Who is a party is not readable in the database (issue 16): a copy of the database says neither
which member a report names nor why a member has a conflict, and a member's identities cannot be
joined with the parties of a report. Matching (D3) keeps working through the keys."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import ConflictDeclaration, ConflictSource, Party, PartyRole
from cocdesk.cases.selectors import case_made_by_member, party_member
from cocdesk.cases.services import PartyInput
from cocdesk.crypto import blind_index, identity_row_key
from cocdesk.members.models import MemberIdentity
from cocdesk.members.services import identity_add
from tests.factories import open_report

pytestmark = pytest.mark.django_db


def rows(table: str, where: str = "", params=()) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} {where}", params)
        return [c[0] for c in cursor.description], cursor.fetchall()


def test_who_is_a_party_is_not_readable_in_the_database(carol, alice):
    identity_add(member=carol, kind="handle", value="@carolh@social.example", by=carol)
    case = open_report(
        channel="web",
        description="what happened",
        parties=[
            PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email="robin@example.net"),
            PartyInput(role=PartyRole.REPORTED, name="Carol Hartmann", handle="@carolh@social.example"),
        ],
        excluded_members=[alice],
    ).case
    reported = case.parties.get(role=PartyRole.REPORTED)
    assert party_member(party=reported) == carol  # the link is kept, encrypted
    columns, party_rows = rows("cases_party", "WHERE case_id = %s", [case.pk])
    assert "member_id" not in columns
    for row in party_rows:
        assert "Carol" not in repr(row) and "carolh" not in repr(row)
        link = row[columns.index("member_ref")]
        assert link == "" or not link.isdigit()  # encrypted, never the account's id
    # Why a member has a conflict (a party, excluded by the reporter, possibly involved) is encrypted.
    declared = {d.member_id: d.source for d in ConflictDeclaration.objects.filter(case=case)}
    assert declared == {carol.pk: ConflictSource.PARTY, alice.pk: ConflictSource.EXCLUDED}
    _columns, declaration_rows = rows("cases_conflictdeclaration", "WHERE case_id = %s", [case.pk])
    for row in declaration_rows:
        assert "party" not in repr(row) and "excluded" not in repr(row)
    assert not AuditEntry.objects.filter(action__contains="party").exists()
    assert not AuditEntry.objects.filter(action__contains="possible").exists()
    # A member's identities cannot be joined with the parties' indexes.
    _c, identities = rows("members_memberidentity")
    _c, indexes = rows("cases_party", "WHERE case_id = %s", [case.pk])
    stored = {value for row in indexes for value in row if isinstance(value, str) and len(value) == 64}
    assert not {value for row in identities for value in row} & stored


def test_the_member_who_made_a_report_is_still_found(carol):
    case = open_report(
        channel="web",
        description="what happened to me",
        parties=[PartyInput(role=PartyRole.REPORTER, name="Carol Hartmann", email="carol@example.org")],
    ).case
    assert case_made_by_member(case=case) == carol


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_migrating_encrypts_existing_party_links_conflict_sources_and_rekeys_identities(carol):
    case = open_report(channel="web", description="before the change").case
    before = [("cases", "0017_reply_token"), ("members", "0006_chair_elections_and_offboarding_steps")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        party = old.get_model("cases", "Party").objects.create(
            case_id=case.pk, role="reported", name="Carol Hartmann", member_id=carol.pk
        )
        declaration = old.get_model("cases", "ConflictDeclaration").objects.create(
            case_id=case.pk, member_id=carol.pk, has_conflict=True, source="party"
        )
        identity = old.get_model("members", "MemberIdentity").objects.create(
            member_id=carol.pk, kind="handle", value="@carolh", index=blind_index("@carolh", kind="handle")
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert party_member(party=Party.objects.get(pk=party.pk)) == carol
    assert ConflictDeclaration.objects.get(pk=declaration.pk).source == ConflictSource.PARTY
    _columns, declaration_rows = rows("cases_conflictdeclaration", "WHERE id = %s", [declaration.pk])
    assert "party" not in repr(declaration_rows)
    assert MemberIdentity.objects.get(pk=identity.pk).index == identity_row_key("@carolh", kind="handle")
