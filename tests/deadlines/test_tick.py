"""`cocdesk tick` with time injected: reminders, delay notices, searches, check-ins (D5)."""

from datetime import UTC, datetime

import pytest
from django.test import Client, TestCase

from cocdesk import clock
from cocdesk.cases.models import IncidentOwner, Message, MessageKind, OwnerRole, TimelineKind
from cocdesk.cases.services import case_search_end, case_search_start, conflict_declare
from cocdesk.deadlines import selectors, services
from cocdesk.deadlines.models import CheckIn, DeadlineAction, Rule
from cocdesk.intake import ratelimit
from cocdesk.outbox.models import OutboxMessage
from cocdesk.transparency.services import report_published_elsewhere_record
from tests.deadlines.conftest import DAY, HOUR, T, case_at, send, tick
from tests.factories import CASE_CANARY
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

REPORTER = "robin@example.net"


def to(address):
    return [m for m in delivered() if m.to == [address]]


def test_acknowledgement_reminder_at_25_hours_not_at_23_and_not_again_at_26(alice, bob):
    case = case_at(T, participants=(alice,))

    out = tick(T + 23 * HOUR)
    assert delivered() == []
    assert "nothing due" in out

    out = tick(T + 25 * HOUR)
    # alice takes part: she is reminded to acknowledge. bob has not declared: he is reminded to answer
    # the conflict question (issue 10), and hears nothing of the acknowledgement.
    assert sorted(m.to[0] for m in delivered()) == [alice.email, bob.email]
    (reminder,) = to(alice.email)
    assert reminder.subject == f"[{case.reference}] Reminder: Acknowledge the report within 24 hours"
    assert f"/cases/{case.reference}/" in reminder.body
    assert f"reminder  {case.reference}  acknowledge  to 1 member(s), round 1" in out
    assert "1 reminder" in out and "2 sent" in out
    (asked,) = to(bob.email)
    assert "conflict declaration" in asked.subject and case.reference in asked.body

    out = tick(T + 26 * HOUR)
    assert len(delivered()) == 2
    assert "nothing due" in out

    tick(T + 49 * HOUR)  # a day later, still not acknowledged nor answered: one more each
    assert len(delivered()) == 4


def test_a_personal_acknowledgement_stops_the_reminders(alice):
    case = case_at(T, participants=(alice,))
    send(case, alice, "acknowledgement", T + 2 * HOUR)
    tick(T + 25 * HOUR)
    assert not OutboxMessage.objects.filter(kind__startswith="reminder_").exists()


def test_delay_notice_to_the_reporter_at_seven_days_and_one_hour(alice):
    case = case_at(T, participants=(alice,))
    tick(T + 7 * DAY - HOUR)
    assert to(REPORTER) == []

    out = tick(T + 7 * DAY + HOUR)
    [notice] = to(REPORTER)
    assert notice.subject == f"[{case.reference}] Your report is taking us longer"
    assert case.reference in notice.body and "longer than a week" in notice.body
    assert f"delay notice  {case.reference}  to the reporter (email)" in out
    message = Message.objects.get(case=case, kind=MessageKind.DELAY)
    assert message.emailed and message.author is None
    assert case.timeline.filter(kind=TimelineKind.MESSAGE_OUT, text__isnull=False).exists()

    tick(T + 7 * DAY + 2 * HOUR)
    tick(T + 9 * DAY)
    assert len(to(REPORTER)) == 1
    assert Message.objects.filter(case=case, kind=MessageKind.DELAY).count() == 1


def test_no_delay_notice_when_the_decision_was_sent(alice):
    case = case_at(T, participants=(alice,))
    send(case, alice, "decision", T + 3 * DAY)
    forget_delivered()
    tick(T + 7 * DAY + HOUR)
    assert to(REPORTER) == []
    assert not Message.objects.filter(case=case, kind=MessageKind.DELAY).exists()
    assert not DeadlineAction.objects.filter(case=case, rule=Rule.DECIDE).exists()


def test_nothing_to_a_reporter_who_asked_for_no_further_involvement(alice):
    case = case_at(T, participants=(alice,), wants_updates=False)
    tick(T + 25 * HOUR)
    tick(T + 7 * DAY + HOUR)
    assert to(REPORTER) == []
    assert not Message.objects.filter(case=case, kind=MessageKind.DELAY).exists()
    # The committee is still reminded of its own deadline, not of an acknowledgement it must not send.
    rules = set(DeadlineAction.objects.filter(case=case).values_list("rule", flat=True))
    assert rules == {Rule.DECIDE}


def test_anonymous_reporter_reads_the_delay_notice_in_the_portal_and_the_email_has_no_content(alice):
    case = case_at(T, participants=(alice,), kind="anonymous", notify_email="ping@example.net")
    out = tick(T + 7 * DAY + HOUR)
    assert "(portal and a notification email)" in out
    [ping] = to("ping@example.net")
    assert ping.subject == "You have a new message" and case.reference not in ping.body
    assert "/report/status/" in ping.body
    assert "longer than a week" not in ping.body
    ratelimit.reset()
    client = Client()
    response = client.post("/report/status/", {"code": case.receipt_code}, follow=True)
    assert "longer than a week" in response.text


@pytest.mark.parametrize("who", ["owners", "participants", "nobody_declared"])
def test_reminders_go_to_owners_else_participants_else_everyone_not_conflicted(who, committee):
    first, second, third, conflicted = committee.alice, committee.bob, committee.carol, committee.chair
    participants = (first, second, third) if who != "nobody_declared" else ()
    case = case_at(T, participants=participants)
    conflict_declare(case=case, member=conflicted, has_conflict=True)
    if who == "owners":
        IncidentOwner.objects.create(case=case, member=first, role=OwnerRole.PRIMARY)
        IncidentOwner.objects.create(case=case, member=second, role=OwnerRole.SECONDARY)
    tick(T + 25 * HOUR)
    expected = {"owners": {first, second}, "participants": {first, second, third}}.get(
        who, {first, second, third}
    )
    assert {m.to[0] for m in delivered()} == {m.email for m in expected}
    assert conflicted.email not in {m.to[0] for m in delivered()}


def test_no_reminder_or_notice_to_a_member_contains_report_details(alice, bob, chair):
    case = case_at(T, participants=(alice, chair))
    with clock.frozen(T + 2 * DAY):
        case_search_start(case=case, by=alice)
    for moment in (T + 25 * HOUR, T + 3 * DAY + HOUR, T + 7 * DAY + HOUR, T + 183 * DAY, T + 366 * DAY):
        tick(moment)
    member_mail = [m for m in delivered() if m.to[0] in {alice.email, bob.email, chair.email}]
    kinds = set(OutboxMessage.objects.filter(recipient_member__isnull=False).values_list("kind", flat=True))
    assert {"reminder_acknowledge", "reminder_decide", "reminder_search_update", "check_in"} <= kinds
    assert "transparency_reminder" in kinds
    assert len(member_mail) >= 6
    for message in member_mail:
        text = message.subject + message.body
        for secret in (CASE_CANARY, "canary", "Jamie", "jamie@example.com", "@jamied", "Robin", REPORTER):
            assert secret not in text, (secret, message.subject)


def test_search_updates_are_due_every_24_hours_until_the_search_ends(alice):
    case = case_at(T, participants=(alice,))
    send(case, alice, "acknowledgement", T + HOUR)
    with clock.frozen(T + HOUR):
        case_search_start(case=case, by=alice)
    start = T + HOUR

    def search_reminders():
        return DeadlineAction.objects.filter(case=case, rule=Rule.SEARCH_UPDATE).count()

    def due():
        case.refresh_from_db()
        return {d.rule: d.due_at for d in selectors.case_deadlines_for(case=case)}.get(Rule.SEARCH_UPDATE)

    assert due() == start + 24 * HOUR
    tick(start + 23 * HOUR)
    assert search_reminders() == 0
    tick(start + 25 * HOUR)
    assert search_reminders() == 1
    assert any("Daily update" in m.subject for m in delivered())
    tick(start + 26 * HOUR)
    assert search_reminders() == 1

    send(case, alice, "update", start + 26 * HOUR, body="Still looking.")  # the owners send the day's update
    assert due() == start + 50 * HOUR
    tick(start + 49 * HOUR)
    assert search_reminders() == 1
    tick(start + 51 * HOUR)
    assert search_reminders() == 2

    with clock.frozen(start + 52 * HOUR):
        case_search_end(case=case, by=alice)
    assert due() is None
    tick(start + 80 * HOUR)
    tick(start + 110 * HOUR)
    assert search_reminders() == 2
    assert list(case.timeline.filter(kind=TimelineKind.SEARCH).values_list("text", flat=True)) == [
        "Started searching for the reported person.",
        "Stopped searching for the reported person.",
    ]


def test_six_monthly_check_in_is_asked_once_reminded_weekly_and_answered(alice, chair):
    due = selectors.check_in_due_for(member=alice)
    assert due == datetime(2027, 8, 28, 9, tzinfo=UTC)  # six months after joining (28 Feb)
    tick(due - HOUR)
    assert not CheckIn.objects.exists()
    out = tick(due + HOUR)
    assert f"check-in  member {alice.pk}  asked" in out
    asked = [m for m in to(alice.email) if "continue" in m.subject]
    assert len(asked) == 1 and "/check-in/" in asked[0].body
    assert CheckIn.objects.get(member=alice).asked_at == due + HOUR
    tick(due + 2 * HOUR)
    assert len([m for m in to(alice.email) if "continue" in m.subject]) == 1
    out = tick(due + 8 * DAY)  # a week later, no answer yet: a reminder
    reminders = [m for m in to(alice.email) if "continue" in m.subject]
    assert len(reminders) == 2 and "reminder" in reminders[1].body and "reminder" not in reminders[0].body
    assert f"check-in  member {alice.pk}  reminded" in out

    with clock.frozen(due + 9 * DAY):
        services.check_in_answer(member=alice, answer="continue")
    tick(due + 16 * DAY)
    assert len([m for m in to(alice.email) if "continue" in m.subject]) == 2
    assert selectors.check_in_due_for(member=alice) == datetime(2028, 3, 6, 9, tzinfo=UTC)  # from the answer


def test_stepping_down_tells_the_chair(alice, chair):

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.check_in_answer(member=alice, answer="step_down")
    [note] = to(chair.email)
    assert "Alice Member" in note.body and "step down" in note.body


def test_transparency_report_reminds_the_chair_weekly_until_recorded(alice, chair):
    due = selectors.transparency_due_at()
    assert due == datetime(2028, 2, 28, 9, tzinfo=UTC)  # a year after the first member joined
    tick(due + HOUR)
    chair_mail = [m for m in to(chair.email) if "transparency" in m.subject]
    assert len(chair_mail) == 1
    assert not [m for m in to(alice.email) if "transparency" in m.subject]
    tick(due + 2 * HOUR)
    assert len([m for m in to(chair.email) if "transparency" in m.subject]) == 1
    with clock.frozen(due + DAY):
        report_published_elsewhere_record(year=2027, by=chair)
    tick(due + 8 * DAY)
    assert len([m for m in to(chair.email) if "transparency" in m.subject]) == 1
    assert selectors.transparency_due_at() == datetime(2029, 2, 28, 9, tzinfo=UTC)  # recorded 29 Feb 2028


# --- members who have not answered the conflict question (issue 10) -------------------------------


def test_members_who_have_not_answered_are_reminded_once_a_day_until_they_answer(alice, bob, carol, chair):
    first = case_at(T, participants=(alice,))
    second = case_at(T + 2 * HOUR, participants=(alice,))
    conflict_declare(case=first, member=carol, has_conflict=True)
    conflict_declare(case=second, member=carol, has_conflict=True)

    assert "declaration" not in tick(T + 23 * HOUR)
    out = tick(T + 27 * HOUR)
    asked = [m for m in delivered() if "conflict declaration" in m.subject]
    assert sorted(m.to[0] for m in asked) == [
        bob.email,
        chair.email,
    ]  # not alice (answered), not carol
    assert first.reference in asked[0].body and second.reference in asked[0].body
    assert CASE_CANARY not in asked[0].body
    assert "declaration reminder" in out
    tick(T + 30 * HOUR)  # the same day: nothing more
    assert len([m for m in delivered() if "conflict declaration" in m.subject]) == 2

    conflict_declare(case=first, member=bob, has_conflict=False)
    conflict_declare(case=second, member=bob, has_conflict=True)
    forget_delivered()
    tick(T + 2 * DAY)
    asked = [m for m in delivered() if "conflict declaration" in m.subject]
    assert [m.to for m in asked] == [[chair.email]]  # bob answered; chair has not, the next day
    assert DeadlineAction.objects.filter(rule=Rule.DECLARE).count() == 3
