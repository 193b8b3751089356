"""One digest email per member per day (D5, issue 12): what waits for them, at the time of day
they chose in their time zone, references only. A new report and immediate danger still mail at
once; new posts and votes do too for a member who asked for that. No other reminder email."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.models import IncidentOwner, OwnerRole
from cocdesk.cases.services import conflict_declare, danger_raise, discussion_post_add, proposal_create
from cocdesk.deadlines import services
from cocdesk.deadlines.models import DeadlineAction, Rule
from cocdesk.outbox.models import OutboxMessage
from tests.deadlines.conftest import DAY, HOUR, T, case_at, tick
from tests.factories import CASE_CANARY, member_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

# What a member's email may be, once digests replaced reminders: the digest, a new report, danger.
AT_ONCE = {"case_new", "case_urgent", "case_danger"}
MINUTE = timedelta(minutes=1)
SECRETS = (CASE_CANARY, "canary", "Jamie", "jamie@example.com", "@jamied", "Robin", "robin@example.net")


def prefer(member, *, zone="UTC", at=time(9, 0), posts=False, votes=False):
    with clock.frozen(T - DAY):
        services.notice_preference_update(
            member=member, time_zone=zone, digest_at=at, posts_at_once=posts, votes_at_once=votes
        )


def mail_to(member):
    return [m for m in delivered() if m.to == [member.email]]


def kinds_to(member) -> list[str]:
    return list(
        OutboxMessage.objects.filter(recipient_member=member)
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )


def digests_of(member):
    return OutboxMessage.objects.filter(recipient_member=member, kind="digest").order_by("created_at", "pk")


@pytest.mark.slow
def test_one_email_per_member_per_day_across_a_fortnight_of_unanswered_cases_and_danger_still_at_once(
    alice, bob
):
    """Eight cases nobody acknowledges or decides, ticked every hour for fourteen days: each member
    gets one digest per day of their own (09:00 in London for alice, 07:30 in Berlin for bob, 18:00 in
    New York for chair), never a reminder per case; immediate danger and a new report mail at once."""
    chair = member_factory(name="Cleo Chair", email="chair@example.org", role="chair", joined_at=T - DAY)
    prefer(alice, zone="Europe/London", at=time(9, 0))
    prefer(bob, zone="Europe/Berlin", at=time(7, 30))
    prefer(chair, zone="America/New_York", at=time(18, 0))
    cases = [case_at(T + n * HOUR, participants=(alice, chair)) for n in range(8)]  # bob never answers
    IncidentOwner.objects.create(case=cases[0], member=alice, role=OwnerRole.PRIMARY)
    start, end = T, T + 14 * DAY
    danger_at, new_report_at = T + 5 * DAY + 14 * HOUR + 17 * MINUTE, T + 9 * DAY + 3 * HOUR + 5 * MINUTE

    def sent_at_once(kind, case):
        """Who got `kind` about `case`, already sent (the outbox worker runs right after a request)."""
        found = OutboxMessage.objects.filter(kind=kind, case=case, status="sent")
        return {m.recipient_member.email for m in found.select_related("recipient_member")}

    moment, late = start, None
    while moment < end:
        if late is None and moment > new_report_at:
            late = case_at(new_report_at, keep_mail=True)
            assert sent_at_once("case_new", late) == {alice.email, bob.email, chair.email}
        if not cases[3].urgent and moment > danger_at:
            with clock.frozen(danger_at), TestCase.captureOnCommitCallbacks(execute=True):
                danger_raise(case=cases[3], by=alice, action="none_yet")
                delivered()
            cases[3].refresh_from_db()
            # At once, not at the next digest: every member free of conflict but the one who raised it.
            assert sent_at_once("case_danger", cases[3]) == {bob.email, chair.email}
        tick(moment)
        moment += HOUR

    for member, zone, at in (
        (alice, "Europe/London", 9 * 60),
        (bob, "Europe/Berlin", 7 * 60 + 30),
        (chair, "America/New_York", 18 * 60),
    ):
        digests = list(digests_of(member))
        local = [d.created_at.astimezone(ZoneInfo(zone)) for d in digests]
        # One a day, every day of the fortnight, each in the hour after the member's own time (the
        # first at the first tick, if that time had passed; New York changes to summer time on
        # 14 March: still 18:00 there).
        assert len(digests) == len({d.date() for d in local}) >= 14, member.name
        assert all(0 <= d.hour * 60 + d.minute - at < 60 for d in local[1:]), [d.isoformat() for d in local]
        assert [d.dedupe_key for d in digests] == [f"digest:{d:%Y-%m-%d}:{member.pk}" for d in local]
        # Nothing else reminded them: the digest, and what must go at once.
        assert set(kinds_to(member)) <= {"digest"} | AT_ONCE, member.name
        for message in digests:
            for secret in SECRETS:
                assert secret not in message.subject + message.body, (secret, member.name)
    assert kinds_to(alice).count("case_danger") == 0  # she raised it herself
    assert kinds_to(bob).count("case_danger") == kinds_to(chair).count("case_danger") == 1

    # Ben never answered the conflict question: every digest of his lists the reports, by reference.
    first, last = digests_of(bob).first(), digests_of(bob).last()
    assert all(case.reference in first.body for case in cases)
    assert "Do you have a conflict of interest?" in first.body
    assert late.reference in last.body and late.reference not in first.body
    # Ann owns the first case: its overdue promises are hers; the others are everyone's who take part.
    ann_last = digests_of(alice).last().body
    assert "Acknowledge the report within 24 hours" in ann_last and "overdue since" in ann_last
    assert cases[0].reference in ann_last
    assert "URGENT" in ann_last.split("\n- ")[1] and cases[3].reference in ann_last.split("\n- ")[1]
    assert digests_of(alice).last().subject.startswith("Urgent:")


def test_the_digest_comes_once_at_the_members_time_and_a_second_tick_sends_nothing(alice):
    prefer(alice, zone="Europe/Berlin", at=time(7, 30))  # 06:30 UTC in March
    case = case_at(T - 2 * DAY, participants=(alice,))
    forget_delivered()
    out = tick(datetime(2027, 3, 2, 6, 29, tzinfo=UTC))
    assert "digest  member" not in out and mail_to(alice) == []
    out = tick(datetime(2027, 3, 2, 6, 31, tzinfo=UTC))
    assert f"digest  member {alice.pk}" in out
    (digest,) = mail_to(alice)
    assert case.reference in digest.body and "/cases/" in digest.body
    for moment in (datetime(2027, 3, 2, 6, 40, tzinfo=UTC), datetime(2027, 3, 2, 22, 59, tzinfo=UTC)):
        assert "digest  member" not in tick(moment)
    assert len(mail_to(alice)) == 1
    # Midnight in Berlin is a new day, but not yet 07:30 there.
    tick(datetime(2027, 3, 2, 23, 30, tzinfo=UTC))
    assert len(mail_to(alice)) == 1
    tick(datetime(2027, 3, 3, 6, 45, tzinfo=UTC))
    assert len(mail_to(alice)) == 2
    assert DeadlineAction.objects.filter(rule=Rule.DIGEST, member=alice).count() == 2


def test_without_a_choice_the_digest_comes_at_nine_in_the_sites_time_zone(alice, settings):
    settings.TIME_ZONE = "UTC"
    case_at(T - 2 * DAY, participants=(alice,))
    forget_delivered()
    tick(datetime(2027, 3, 2, 8, 59, tzinfo=UTC))
    assert mail_to(alice) == []
    tick(datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    assert len(mail_to(alice)) == 1


def test_nothing_waiting_means_no_email_and_the_day_is_over(alice):
    tick(T + HOUR)
    assert mail_to(alice) == []
    case_at(T - 3 * DAY, participants=(alice,))  # something waits now, but today's digest time has passed
    forget_delivered()
    tick(T + 5 * HOUR)
    assert mail_to(alice) == []
    tick(T + DAY + HOUR)
    assert len(mail_to(alice)) == 1


def test_a_member_with_a_conflict_never_finds_the_case_in_their_digest(alice, bob):
    secret_case = case_at(T - 2 * DAY, participants=(alice,))
    other = case_at(T - 2 * DAY, participants=(alice,), reported="Sam Other")
    conflict_declare(case=secret_case, member=bob, has_conflict=True)
    forget_delivered()
    tick(T + HOUR)
    (digest,) = mail_to(bob)
    assert other.reference in digest.body
    assert secret_case.reference not in digest.subject + digest.body
    assert digest.subject == "One thing waits for you today"  # the conflicted case is not even counted


def test_new_posts_and_votes_at_once_only_for_members_who_asked(alice, bob):
    chair = member_factory(name="Cleo Chair", email="chair@example.org", role="chair", joined_at=T - DAY)
    case = case_at(T, participants=(alice, bob, chair))
    prefer(bob, posts=True, votes=True)
    prefer(chair, posts=False, votes=True)
    with clock.frozen(T + HOUR), TestCase.captureOnCommitCallbacks(execute=True):
        post = discussion_post_add(case=case, author=alice, body=f"I think {CASE_CANARY}")
        proposal = proposal_create(case=case, kind="violation", text="Yes, a violation", by=alice)
    with clock.frozen(T + HOUR):
        delivered()
    posted = [m for m in delivered() if "new post" in m.subject]
    voted = [m for m in delivered() if "waits for your vote" in m.subject]
    assert [m.to for m in posted] == [[bob.email]]  # never alice, who wrote it
    assert sorted(m.to[0] for m in voted) == [bob.email, chair.email]
    assert f"/cases/{case.reference}/#post-{post.pk}" in posted[0].body
    assert f"/cases/{case.reference}/#proposal-{proposal.pk}" in voted[0].body
    for message in posted + voted:
        assert CASE_CANARY not in message.body and "violation" not in message.body.lower()


def test_a_post_is_not_mailed_to_a_member_who_declared_a_conflict_before_it_was_sent(alice, bob):
    case = case_at(T, participants=(alice, bob))
    prefer(bob, posts=True)
    with clock.frozen(T + HOUR):
        discussion_post_add(case=case, author=alice, body="Hello")
        conflict_declare(case=case, member=bob, has_conflict=True)
        assert mail_to(bob) == []
    assert OutboxMessage.objects.get(kind="discussion_posted").status == "withheld"


def test_the_settings_page_sets_time_zone_digest_time_and_at_once(alice):
    client = verified_client(alice)
    page = client.get("/deadlines/email/")
    assert page.status_code == 200
    assert 'value="09:00"' in page.text and "Europe/Berlin" in page.text
    response = client.post(
        "/deadlines/email/",
        {"time_zone": "Pacific/Auckland", "digest_at": "06:45", "votes_at_once": "on"},
        follow=True,
    )
    assert "Saved." in response.text
    preference = alice.notice_preference
    assert (preference.time_zone, preference.digest_at) == ("Pacific/Auckland", time(6, 45))
    assert (preference.posts_at_once, preference.votes_at_once) == (False, True)
    refused = client.post("/deadlines/email/", {"time_zone": "Mars/Olympus", "digest_at": "25:00"})
    assert refused.status_code == 400
    assert "Please give a time of day such as 09:00." in refused.text


def test_immediate_danger_and_a_new_report_mail_at_once_after_the_days_digest(alice, bob):
    case = case_at(T - 2 * DAY, participants=(alice, bob))
    tick(T + HOUR)  # today's digests have gone
    assert len(mail_to(bob)) == 1
    with clock.frozen(T + 3 * HOUR), TestCase.captureOnCommitCallbacks(execute=True):
        danger_raise(case=case, by=alice, action="none_yet")
        delivered()
    later = case_at(T + 4 * HOUR, keep_mail=True, reported="Sam Other")
    subjects = [m.subject for m in mail_to(bob)]
    assert subjects[1:] == [
        f"[{case.reference}] URGENT: someone may be in danger. Please check now.",
        f"[{later.reference}] A new report needs your conflict declaration",
    ]
    assert "digest  member" not in tick(T + 5 * HOUR)  # and no second digest that day
