"""Reporters without email (phone, in person, direct message) get the same deadlines as tasks for
the owners, done by recording "told them by phone/in person" (D5)."""

import pytest

from cocdesk import clock
from cocdesk.cases.models import Message, MessageKind
from cocdesk.cases.services import case_search_start
from cocdesk.deadlines import services
from cocdesk.deadlines.models import DeadlineAction, Rule
from cocdesk.errors import Refused
from tests.deadlines.conftest import DAY, HOUR, T, case_at, promises_waiting, send, tick
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

REPORTER = "robin@example.net"


def told(case, member, kind, moment, text="Told them."):
    with clock.frozen(moment):
        return services.reporter_told_record(case=case, by=member, kind=kind, how="phone", text=text)


def reminders(case, rule):
    return DeadlineAction.objects.filter(case=case, rule=rule).count()


def test_a_phone_follow_up_stops_the_delay_notice(alice):
    case = case_at(T, participants=(alice,))  # a named reporter with an email address
    send(case, alice, "acknowledgement", T + HOUR)
    told(
        case, alice, "decision", T + 6 * DAY, "Called Robin: we spoke to the person; they agreed to the plan."
    )
    forget_delivered()
    tick(T + 7 * DAY + HOUR)
    tick(T + 9 * DAY)
    assert [m for m in delivered() if m.to == [REPORTER]] == []
    assert not Message.objects.filter(case=case, kind=MessageKind.DELAY).exists()
    assert reminders(case, Rule.DECIDE) == 0 and reminders(case, Rule.DELAY_NOTICE) == 0


def test_a_reporter_without_email_is_a_task_for_the_owners_until_someone_tells_them(alice):
    case = case_at(T, participants=(alice,), channel="in_person", reporter_email="", with_receipt=False)
    acknowledge = "Acknowledge the report within 24 hours: call or see the reporter, then record it"
    out = tick(T + 25 * HOUR)  # alice's digest (09:00): the acknowledgement is hers to do, by phone
    [digest] = [m for m in delivered() if m.to == [alice.email]]
    assert f"{case.reference}: {acknowledge}" in digest.body
    assert f"digest  member {alice.pk}" in out
    assert promises_waiting(alice, T + 25 * HOUR) == [acknowledge]

    told(case, alice, "acknowledgement", T + 26 * HOUR)
    with clock.frozen(T + 27 * HOUR):
        case_search_start(case=case, by=alice)
    assert promises_waiting(alice, T + 49 * HOUR) == []  # told: done
    update = (
        "Daily update while the reported person is searched for: call or see the reporter, then record it"
    )
    assert promises_waiting(alice, T + 52 * HOUR) == [
        update
    ]  # the daily update while searching is a task too
    told(case, alice, "update", T + 53 * HOUR, "Still looking for them; we will call tomorrow.")
    assert promises_waiting(alice, T + 60 * HOUR) == []

    tick(T + 7 * DAY + HOUR)  # the decision is late: it waits for the owners, nothing is sent
    decide = "Tell the reporter the decision and actions within 7 days: call or see them, then record it"
    assert decide in promises_waiting(alice, T + 7 * DAY + HOUR)
    assert not Message.objects.filter(case=case, kind=MessageKind.DELAY).exists()
    assert all(m.to == [alice.email] for m in delivered())
    assert decide in [m for m in delivered() if m.to == [alice.email]][-1].body


def test_told_in_person_is_not_in_the_future_and_not_before_the_report(alice):
    case = case_at(T, participants=(alice,))
    for at, why in ((T + 2 * HOUR, "future"), (T - HOUR, "before the report")):
        with clock.frozen(T + HOUR), pytest.raises(Refused, match=why):
            services.reporter_told_record(
                case=case, by=alice, kind="update", how="in_person", text="x", at=at
            )
