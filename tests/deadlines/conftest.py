"""Deadline tests run at a fixed, injected time T; the cast (tests/conftest.py) joined the day before,
so their own six-monthly and yearly deadlines stay out of the way of the case rules."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase

from cocdesk import clock
from cocdesk.deadlines import services
from cocdesk.deadlines.selectors import WaitingKind, waiting_for
from tests.factories import case_factory
from tests.mailbox import delivered, forget_delivered

T = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def cast_joined_at():
    """The cast (tests/conftest.py) joined the day before T."""
    return T - DAY


def case_at(moment=T, *, keep_mail=False, **kwargs):
    """A web report received at `moment`, its confirmation and notices sent, then mail cleared
    (unless `keep_mail`)."""
    with clock.frozen(moment), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(**kwargs)
        if keep_mail:
            delivered()  # sent now, at `moment`, and kept for the test to read
        else:
            forget_delivered()
    return case


def tick(moment) -> str:
    out = StringIO()
    call_command("tick", now=moment.isoformat(), stdout=out)
    return out.getvalue()


def send(case, author, kind, moment, body="Thank you.", subject="About your report"):
    """A member writes to the reporter at `moment`; the outbox worker sends the email right after."""
    with clock.frozen(moment), TestCase.captureOnCommitCallbacks(execute=True):
        delivery = services.reporter_message_send(
            case=case, author=author, kind=kind, subject=subject, body=body
        )
        delivered()
    return delivery


def promises_waiting(member, moment, case=None) -> list[str]:
    """The plan's promises overdue for `member` at `moment` (their dashboard and digest), as rule
    labels, optionally on one case only."""
    return [
        item.rule
        for item in waiting_for(member=member, now=moment)
        if item.kind == WaitingKind.OVERDUE and (case is None or item.reference == case.reference)
    ]
