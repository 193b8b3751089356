"""Finding a case by part of a name or handle (issue 17): "Kevin", "Kevin D" and "kdev" find
"Kevin D." (@kdev_42) through blind indexes, the results say how they matched, and a case the member
may not see (conflicted, sealed in escrow, not declared) is never found."""

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cocdesk import identity
from cocdesk.cases.models import Party, PartyRole
from cocdesk.cases.services import PartyInput, conflict_declare
from cocdesk.crypto import search_index_hash, search_indexes
from tests.factories import open_report, verified_client

pytestmark = pytest.mark.django_db

KEVIN = PartyInput(role=PartyRole.REPORTED, name="Kevin D.", handle="@kdev_42")


def kevin_case(*, participants=(), kind="named"):
    case = open_report(kind=kind, description="At the sprint", parties=[KEVIN]).case
    for member in participants:
        conflict_declare(case=case, member=member, has_conflict=False)
    return case


def found(client, words: str) -> str:
    return client.get("/cases/", {"q": words}).text


@pytest.mark.parametrize(
    "words", ["Kevin", "kevin d", "Kevin D.", "KEV", "kdev", "@kdev", "kdev4", "@kdev_42", "Kev d"]
)
def test_partial_names_and_handles_find_the_case(alice, words):
    case = kevin_case(participants=(alice,))
    assert case.reference in found(verified_client(alice), words)


@pytest.mark.parametrize("words", ["Ke", "Kevin X", "Kevin Do", "devin", "42", "Kevin Dunne"])
def test_words_that_are_not_the_start_of_the_name_or_handle_find_nothing(alice, words):
    case = kevin_case(participants=(alice,))
    page = found(verified_client(alice), words)
    assert case.reference not in page
    assert "No case matches these words." in page and "Try a shorter search" in page


def test_the_results_say_how_the_case_matched(alice):
    kevin_case(participants=(alice,))
    client = verified_client(alice)
    assert "Reported person: name starts with “kev”, name has the word “d”" in found(client, "Kev D")
    assert "Reported person: name starts with “kevin”" in found(client, "kevin")
    assert "Reported person: handle starts with “kdev”" in found(client, "kdev")
    assert "Reported person: full name" in found(client, "Kevin D")


def test_partial_search_never_finds_a_case_the_member_may_not_see(alice, bob):
    conflicted = kevin_case(participants=(bob,))
    conflict_declare(case=conflicted, member=alice, has_conflict=True)
    undeclared = kevin_case(participants=(bob,))
    sealed = kevin_case(kind="escrowed")
    client = verified_client(alice)
    for words in ("Kevin", "Kevin D", "kdev", "kev"):
        page = found(client, words).split("Cases you take part in", 1)[1]  # the results
        for hidden in (conflicted, undeclared, sealed):
            assert hidden.reference not in page
        assert "No case matches these words." in page
    # The case waiting for her declaration is listed above the search, as always, with no name.
    assert "Kevin" not in found(client, "x")


def test_no_name_or_handle_is_stored_in_the_clear_only_keyed_hashes():
    case = kevin_case()
    stored = Party.objects.get(case=case).search_indexes
    assert "kev" not in stored.lower() and "kdev" not in stored.lower()
    assert search_index_hash("name-prefix:kevin") in stored.split()
    assert all(re.fullmatch(r"[0-9a-f]{64}", token) for token in stored.split())
    assert stored == search_indexes(name="Kevin D.", handle="@kdev_42")


def test_prefixes_start_at_three_letters():
    keys = identity.search_keys(name="Kevin D.", handle="@kdev_42")
    assert "name-prefix:ke" not in keys and "name-prefix:kev" in keys and "name-word:d" in keys
    assert "handle-prefix:kd" not in keys and "handle-prefix:kdev" in keys


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_parties_stored_before_it(alice):
    case = kevin_case(participants=(alice,))
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0016_case_taken_by_and_no_action_yet")])  # the column is gone
    try:
        assert "search_indexes" not in {
            column.name
            for column in connection.introspection.get_table_description(connection.cursor(), "cases_party")
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Party.objects.get(case=case).search_indexes == search_indexes(name="Kevin D.", handle="@kdev_42")
    assert case.reference in found(verified_client(alice), "kdev")
