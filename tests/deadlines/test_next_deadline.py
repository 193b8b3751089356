"""The case list's "Next deadline" column (issue 12): filled from the deadline rules, sortable by
it (soonest, most overdue first; cases with none last)."""

import re
from datetime import timedelta

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.services import case_transition
from cocdesk.deadlines import selectors, services
from tests.factories import case_factory, verified_client
from tests.mailbox import forget_delivered

pytestmark = pytest.mark.django_db

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def case_received(ago, alice, **kwargs):
    with clock.frozen(clock.now() - ago), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(participants=(alice,), **kwargs)
    forget_delivered()
    return case


@pytest.fixture
def cases(alice):
    """Received at different times, with different promises still open."""
    late = case_received(30 * HOUR, alice, reported="Ada Late")  # acknowledgement overdue by 6 hours
    fresh = case_received(2 * HOUR, alice, reported="Bo Fresh")  # acknowledgement due in 22 hours
    acknowledged = case_received(3 * DAY, alice, reported="Cy Told")  # decision due in 4 days
    with clock.frozen(clock.now() - 2 * DAY):
        services.reporter_message_send(
            case=acknowledged, author=alice, kind="acknowledgement", subject="Hello", body="Thank you."
        )
    quiet = case_received(DAY + HOUR, alice, reported="Di Quiet", wants_updates=False)  # only the decision
    closed = case_received(10 * DAY, alice, reported="Ed Closed")
    case_transition(case=closed, to="closed", by=alice, resolution="withdrawn")
    closed.refresh_from_db()
    forget_delivered()
    return {"late": late, "fresh": fresh, "acknowledged": acknowledged, "quiet": quiet, "closed": closed}


def rows(page: str) -> list[tuple[str, str]]:
    """(reference, next-deadline cell) for each row of the case list, in order."""
    found = []
    for row in re.findall(r"<tr><td>(.*?)</tr>", page, re.S):
        reference = re.search(r"CoC-\d{4}-\w+", row).group(0)
        cell = re.sub(r"<[^>]+>", "", re.findall(r"<td>(.*?)</td>", row, re.S)[-1]).strip()
        found.append((reference, " ".join(cell.split())))
    return found


def test_the_next_deadline_column_is_filled_from_the_rules(alice, cases):
    cells = dict(rows(verified_client(alice).get("/cases/").text))
    assert cells[cases["late"].reference].startswith("overdue by 6")
    assert cells[cases["late"].reference].endswith("Acknowledge the report within 24 hours")
    assert cells[cases["fresh"].reference].startswith("due in 21") or cells[
        cases["fresh"].reference
    ].startswith("due in 22")
    assert cells[cases["acknowledged"].reference] == (
        "due in 4 days: Tell the reporter the decision and actions within 7 days"
    ) or cells[cases["acknowledged"].reference].startswith("due in 3 days, 23")
    # No further involvement: no acknowledgement is due to them, the committee's decision still is.
    assert cells[cases["quiet"].reference].endswith(
        "Tell the reporter the decision and actions within 7 days"
    )
    assert cells[cases["closed"].reference] == "—"


def test_the_case_list_sorts_by_next_deadline_most_overdue_first_and_none_last(alice, cases):
    client = verified_client(alice)
    order = [reference for reference, _cell in rows(client.get("/cases/?sort=deadline").text)]
    expected = ["late", "fresh", "acknowledged", "quiet", "closed"]
    assert order == [cases[name].reference for name in expected]
    # The column heading sorts by it too, keeping the filters.
    page = client.get("/cases/?state=new").text
    assert 'href="?state=new&amp;sort=deadline"' in page
    assert "Next deadline first" in page


def test_next_deadline_sorting_in_the_selector_matches_the_rules(alice, cases):
    listed = selectors.by_next_deadline(case for case in cases.values())
    assert [c.reference for c in listed][-1] == cases["closed"].reference
    dues = [c.next_deadline.due_at for c in listed if c.next_deadline]
    assert dues == sorted(dues)
