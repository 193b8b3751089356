"""A consequence's duration is case content: encrypted at rest like the rest (issue 16)."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from cocdesk.cases.models import ProposalConsequence
from cocdesk.cases.selectors import case_consequences_in_force
from cocdesk.crypto import decrypt
from tests.factories import case_factory, passed_consequence

pytestmark = pytest.mark.django_db

DURATION_CANARY = "canary-8c41 until the Berlin meetup in June"


def _raw_durations() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, duration FROM cases_proposalconsequence")
        return dict(cursor.fetchall())


def test_the_duration_is_stored_encrypted(alice):
    consequence = passed_consequence(
        case_factory(participants=(alice,)), alice, custom="No DMs", duration=DURATION_CANARY
    )
    raw = _raw_durations()[consequence.pk]
    assert "canary" not in raw and raw.startswith("gAAAA")
    assert ProposalConsequence.objects.get(pk=consequence.pk).duration == DURATION_CANARY


def test_a_duration_without_an_end_date_keeps_the_consequence_in_force(alice):
    case = case_factory(participants=(alice,))
    now = datetime(2027, 1, 1, tzinfo=UTC)
    passed_consequence(case, alice, custom="No DMs", duration="")
    assert case_consequences_in_force(case=case, today=now.date()) is False  # a one-off, over once given
    case = case_factory(participants=(alice,))  # one answer per question: another case
    passed_consequence(case, alice, custom="Not at events", duration="indefinitely")
    assert case_consequences_in_force(case=case, today=now.date()) is True
    case = case_factory(participants=(alice,))
    passed_consequence(case, alice, custom="No DMs", duration="until 2026", until=date(2026, 12, 31))
    assert case_consequences_in_force(case=case, today=now.date()) is False


def test_durations_stored_before_are_encrypted_by_the_migration(alice):
    consequence = passed_consequence(
        case_factory(participants=(alice,)), alice, custom="No DMs", duration="x"
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_proposalconsequence SET duration = %s", [DURATION_CANARY])
    migration = __import__(
        "cocdesk.cases.migrations.0009_consequence_duration_encrypted", fromlist=["encrypt_durations"]
    )
    migration.encrypt_durations(apps, SimpleNamespace(connection=connection))
    migration.encrypt_durations(apps, SimpleNamespace(connection=connection))  # twice: still once
    raw = _raw_durations()[consequence.pk]
    assert "canary" not in raw and decrypt(raw) == DURATION_CANARY
