"""`cocdesk tick` with time injected: digests, delay notices, searches, check-ins (D5)."""

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
from tests.deadlines.conftest import DAY, HOUR, T, case_at, promises_waiting, send, tick
from tests.factories import CASE_CANARY, member_factory
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

REPORTER = "robin@example.net"


def to(address):
    return [m for m in delivered() if m.to == [address]]


def test_the_overdue_acknowledgement_is_in_the_next_digest_and_once_a_day_after(alice, bob):
    case = case_at(T, participants=(alice,))

    out = tick(T + 23 * HOUR)  # 08:00 the next day: not yet anyone's digest time (09:00)
    assert delivered() == []
    assert "nothing due" in out

    out = tick(T + 25 * HOUR)
    # alice takes part: the acknowledgement waits for her. bob has not declared: he is asked to answer
    # the conflict question (issue 10), and hears nothing of the acknowledgement.
    assert sorted(m.to[0] for m in delivered()) == [alice.email, bob.email]
    (digest,) = to(alice.email)
    assert digest.subject == "2 things wait for you today"
    assert (
        f"- {case.reference}: Acknowledge the report within 24 hours "
        "(overdue since March 2, 2027, 9 a.m. UTC)" in digest.body
    )
    assert f"/cases/{case.reference}/deadlines/#due" in digest.body
    assert f"- {case.reference}: Needs a primary and a secondary incident owner" in digest.body
    assert f"digest  member {alice.pk}  2 item(s) for 2027-03-02" in out
    assert "2 digest" in out and "2 sent" in out
    (asked,) = to(bob.email)
    assert f"- {case.reference}: A new report. Do you have a conflict of interest?" in asked.body
    assert "Acknowledge" not in asked.body

    out = tick(T + 26 * HOUR)
    assert len(delivered()) == 2
    assert "nothing due" in out

    tick(T + 49 * HOUR)  # a day later, still not acknowledged nor answered: one more each
    assert len(delivered()) == 4


def test_a_personal_acknowledgement_takes_it_off_the_digest(alice):
    case = case_at(T, participants=(alice,))
    send(case, alice, "acknowledgement", T + 2 * HOUR)
    tick(T + 25 * HOUR)
    (digest,) = to(alice.email)
    assert "Acknowledge" not in digest.body and case.reference in digest.body  # it still needs owners
    assert promises_waiting(alice, T + 25 * HOUR) == []
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
    # The committee still has its own deadline, not an acknowledgement it must not send.
    decide = "Tell the reporter the decision and actions within 7 days"
    assert promises_waiting(alice, T + 7 * DAY + HOUR, case) == [decide]
    assert decide in to(alice.email)[-1].body and "Acknowledge" not in to(alice.email)[-1].body


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
def test_overdue_promises_wait_for_owners_else_participants_and_never_a_conflicted_member(who):
    members = [member_factory(joined_at=T - DAY) for _ in range(4)]
    first, second, third, conflicted = members
    participants = (first, second, third) if who != "nobody_declared" else ()
    case = case_at(T, participants=participants)
    conflict_declare(case=case, member=conflicted, has_conflict=True)
    if who == "owners":
        IncidentOwner.objects.create(case=case, member=first, role=OwnerRole.PRIMARY)
        IncidentOwner.objects.create(case=case, member=second, role=OwnerRole.SECONDARY)
    tick(T + 25 * HOUR)
    acknowledge = f"{case.reference}: Acknowledge the report within 24 hours"
    told = {m.to[0] for m in delivered() if acknowledge in m.body}
    expected = {"owners": {first, second}, "participants": {first, second, third}}.get(who, set())
    assert told == {m.email for m in expected}
    if who == "nobody_declared":  # they are asked to answer the conflict question first
        asked = {m.to[0] for m in delivered() if "Do you have a conflict of interest?" in m.body}
        assert asked == {first.email, second.email, third.email}
    assert conflicted.email not in {m.to[0] for m in delivered()}


def test_no_digest_or_notice_to_a_member_contains_report_details(alice, bob, chair):
    case = case_at(T, participants=(alice, chair))
    with clock.frozen(T + 2 * DAY):
        case_search_start(case=case, by=alice)
    # The check-in is due six months after alice joined (28 Aug, 09:00), the transparency report a
    # year after the first member joined (28 Feb 2028, 09:00): both in the digest on that day.
    for moment in (
        T + 25 * HOUR,
        T + 3 * DAY + HOUR,
        T + 7 * DAY + HOUR,
        T + 180 * DAY + HOUR,
        T + 364 * DAY + HOUR,
    ):
        tick(moment)
    member_mail = [m for m in delivered() if m.to[0] in {alice.email, bob.email, chair.email}]
    kinds = set(OutboxMessage.objects.filter(recipient_member__isnull=False).values_list("kind", flat=True))
    assert kinds == {"case_new", "digest"}  # the new report at once, then one email a day
    bodies = "\n".join(m.body for m in member_mail)
    for rule in (
        "Acknowledge the report",
        "decision and actions",
        "Daily update",
        "check-in",
        "transparency report",
    ):
        assert rule in bodies, rule
    assert len(member_mail) >= 10
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

    update = "Daily update while the reported person is searched for"

    def due():
        case.refresh_from_db()
        return {d.rule: d.due_at for d in selectors.case_deadlines_for(case=case)}.get(Rule.SEARCH_UPDATE)

    assert due() == start + 24 * HOUR
    assert update not in promises_waiting(alice, start + 23 * HOUR)
    assert update in promises_waiting(alice, start + 25 * HOUR)
    tick(start + 25 * HOUR)
    assert any(update in m.body for m in delivered())

    send(case, alice, "update", start + 26 * HOUR, body="Still looking.")  # the owners send the day's update
    assert due() == start + 50 * HOUR
    assert update not in promises_waiting(alice, start + 49 * HOUR)
    assert update in promises_waiting(alice, start + 51 * HOUR)

    with clock.frozen(start + 52 * HOUR):
        case_search_end(case=case, by=alice)
    assert due() is None
    assert update not in promises_waiting(alice, start + 110 * HOUR)
    assert list(case.timeline.filter(kind=TimelineKind.SEARCH).values_list("text", flat=True)) == [
        "Started searching for the reported person.",
        "Stopped searching for the reported person.",
    ]


def test_six_monthly_check_in_is_asked_in_the_digest_then_weekly_until_answered(alice, chair):
    due = selectors.check_in_due_for(member=alice)
    assert due == datetime(2027, 8, 28, 9, tzinfo=UTC)  # six months after joining (28 Feb)

    def asked():
        return [m for m in to(alice.email) if "would you like to continue on the committee?" in m.body]

    tick(due - HOUR)
    assert not CheckIn.objects.exists()
    out = tick(due + HOUR)
    assert f"check-in  member {alice.pk}  asked" in out
    assert len(asked()) == 1 and "/check-in/" in asked()[0].body
    assert CheckIn.objects.get(member=alice).asked_at == due + HOUR
    tick(due + 2 * HOUR)
    tick(due + DAY + HOUR)  # the next day's digest has nothing else to say: none is sent
    assert len(asked()) == 1
    out = tick(due + 7 * DAY + HOUR)  # a week later, no answer yet: in that day's digest again
    assert len(asked()) == 2
    assert "asked" not in out

    with clock.frozen(due + 9 * DAY):
        services.check_in_answer(member=alice, answer="continue")
    tick(due + 14 * DAY + HOUR)
    assert len(asked()) == 2
    assert selectors.check_in_due_for(member=alice) == datetime(2028, 3, 6, 9, tzinfo=UTC)  # from the answer


def test_stepping_down_tells_the_chair(alice, chair):

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.check_in_answer(member=alice, answer="step_down")
    [note] = to(chair.email)
    assert "Alice Member" in note.body and "step down" in note.body


def test_transparency_report_is_in_the_chairs_digest_weekly_until_recorded(alice, chair):
    due = selectors.transparency_due_at()
    assert due == datetime(2028, 2, 28, 9, tzinfo=UTC)  # a year after the first member joined

    def reminded(member):
        return [m for m in to(member.email) if "The yearly transparency report is due" in m.body]

    tick(due + HOUR)
    assert len(reminded(chair)) == 1
    assert reminded(alice) == []
    tick(due + 2 * HOUR)
    assert len(reminded(chair)) == 1
    with clock.frozen(due + DAY):
        report_published_elsewhere_record(year=2027, by=chair)
    tick(due + 7 * DAY + HOUR)
    assert len(reminded(chair)) == 1
    assert selectors.transparency_due_at() == datetime(2029, 2, 28, 9, tzinfo=UTC)  # recorded 29 Feb 2028


# --- members who have not answered the conflict question (issue 10) -------------------------------


def test_members_who_have_not_answered_find_the_reports_in_their_digest_until_they_answer(alice, bob, chair):
    first = case_at(T, participants=(alice,))
    second = case_at(T + 2 * HOUR, participants=(alice,))
    party = member_factory(name="Pat Party", email="pat@example.org", joined_at=T - DAY)
    conflict_declare(case=first, member=party, has_conflict=True)
    conflict_declare(case=second, member=party, has_conflict=True)
    question = "A new report. Do you have a conflict of interest?"

    def asked():
        return [m for m in delivered() if question in m.body]

    assert "digest" not in tick(T + 23 * HOUR).replace("digest_", "")
    tick(T + 27 * HOUR)
    assert sorted(m.to[0] for m in asked()) == [bob.email, chair.email]  # never alice (answered) or pat
    assert f"{first.reference}: {question}" in asked()[0].body
    assert f"{second.reference}: {question}" in asked()[0].body
    assert CASE_CANARY not in asked()[0].body
    assert to("pat@example.org") == []  # nothing of either report, not even a count
    tick(T + 30 * HOUR)  # the same day: nothing more
    assert len(asked()) == 2

    conflict_declare(case=first, member=bob, has_conflict=False)
    conflict_declare(case=second, member=bob, has_conflict=True)
    forget_delivered()
    tick(T + 2 * DAY)
    assert [m.to for m in asked()] == [[chair.email]]  # bob answered; chair has not, the next day
    (ben_digest,) = to(bob.email)  # he takes part in the first now: what waits there
    assert first.reference in ben_digest.body and second.reference not in ben_digest.body
    # Each member's day is taken once, whether or not anything waited (pat: nothing, no email).
    assert DeadlineAction.objects.filter(rule=Rule.DIGEST).count() == 4 * 2
    assert to("pat@example.org") == []
