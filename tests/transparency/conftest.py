"""Transparency tests: cases received in 2026 (and one in 2025, outside the period), a chair who
drafts and publishes, alice taking part in the cases, bob a committee member taking part in none."""

from datetime import UTC, datetime

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.models import Case
from cocdesk.members.models import Role
from cocdesk.transparency import services
from tests.factories import case_factory, member_factory

IN_2026 = datetime(2026, 4, 2, 10, tzinfo=UTC)
IN_2025 = datetime(2025, 11, 2, 10, tzinfo=UTC)
AFTER = datetime(2027, 1, 10, 9, tzinfo=UTC)  # when the chair drafts and publishes


@pytest.fixture
def chair(db):
    return member_factory(
        name="Carla Chair",
        email="carla@example.org",
        role=Role.CHAIR,
        joined_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def incident(
    *,
    by,
    at=IN_2026,
    category="",
    state="new",
    resolution="",
    summary="",
    anonymizable=True,
    **kwargs,
) -> Case:
    """A web report received at `at`, moved to `state`, with its type and public summary set by `by`."""
    kwargs.setdefault("participants", (by,))
    with clock.frozen(at), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(**kwargs)
    Case.objects.filter(pk=case.pk).update(state=state, resolution=resolution)
    case.refresh_from_db()
    if category or summary:
        services.case_public_summary_set(
            case=case, by=by, category=category, text=summary, anonymizable=anonymizable
        )
    return case


def draft(chair, year=2026, **kwargs):
    with clock.frozen(AFTER):
        return services.report_draft_create(year=year, by=chair, **kwargs)
