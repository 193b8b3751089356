"""Transparency tests: cases received in 2026 (and some in 2025 or 2027); of the cast (tests/conftest.py),
the chair drafts and publishes, alice takes part in the cases, bob in none."""

from datetime import UTC, datetime

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.models import Case
from cocdesk.transparency import services
from tests.factories import case_factory

IN_2026 = datetime(2026, 4, 2, 10, tzinfo=UTC)
IN_2025 = datetime(2025, 11, 2, 10, tzinfo=UTC)
AFTER = datetime(2027, 1, 10, 9, tzinfo=UTC)  # when the chair drafts and publishes the 2026 report


@pytest.fixture
def cast_joined_at():
    """The cast (tests/conftest.py) joined the committee early in the reported year."""
    return datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def exact(settings):
    """Every number shown as it is (no small-number protection), to test what is counted."""
    settings.SMALL_NUMBER_THRESHOLD = 1


def incident(
    *,
    by,
    at=IN_2026,
    category="",
    state="new",
    resolution="",
    closed_at=None,
    summary="",
    anonymizable=True,
    **kwargs,
) -> Case:
    """A web report received at `at`, moved to `state` (closed at `closed_at`, by default the day it
    was received), with its type and public summary set by `by`."""
    kwargs.setdefault("participants", (by,))
    with clock.frozen(at), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(**kwargs)
    if state == "closed":
        closed_at = closed_at or at
        resolution = resolution or "resolved_with_action"
    Case.objects.filter(pk=case.pk).update(state=state, resolution=resolution, closed_at=closed_at)
    case.refresh_from_db()
    if category or summary:
        services.case_public_summary_set(
            case=case, by=by, category=category, text=summary, anonymizable=anonymizable
        )
    return case


def draft(chair, year=2026, at=AFTER):
    with clock.frozen(at):
        return services.report_draft_create(year=year, by=chair)
