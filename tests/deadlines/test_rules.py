"""Each rule of D5 as a pure function: facts in, due time out."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cocdesk.deadlines import rules
from cocdesk.deadlines.rules import CaseFacts

T = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)


def facts(**overrides) -> CaseFacts:
    values = {"received_at": T, "closed": False, "wants_updates": True, "reachable": True}
    values.update(overrides)
    return CaseFacts(**values)


def test_acknowledgement_is_due_24_hours_after_the_report():
    assert rules.acknowledgement_due(facts=facts()) == T + 24 * H


@pytest.mark.parametrize(
    "overrides",
    [
        {"acknowledged_at": T + H},
        {"closed": True},
        {"wants_updates": False},  # no further involvement
    ],
)
def test_acknowledgement_is_not_due_when(overrides):
    assert rules.acknowledgement_due(facts=facts(**overrides)) is None


def test_a_reporter_we_cannot_write_to_gets_the_same_deadlines_as_tasks_for_the_owners():
    """Phone, in person, direct message: the owners tell them and record it (D5)."""
    unreachable = facts(reachable=False)
    assert rules.told_in_person(facts=unreachable) and not rules.told_in_person(facts=facts())
    assert rules.acknowledgement_due(facts=unreachable) == T + 24 * H
    assert rules.decision_due(facts=unreachable) == T + 7 * D
    started = T + 2 * D
    searching = facts(reachable=False, search_started_at=started)
    assert rules.search_update_due(facts=searching) == started + 24 * H
    assert rules.delay_notice_due(facts=unreachable) is None  # nothing automatic can reach them
    told = facts(reachable=False, acknowledged_at=T + H, decided_at=T + 3 * D)
    assert rules.acknowledgement_due(facts=told) is None and rules.decision_due(facts=told) is None


def test_decision_is_due_after_seven_days_even_for_a_reporter_who_wants_no_updates():
    assert rules.decision_due(facts=facts()) == T + 7 * D
    assert rules.decision_due(facts=facts(wants_updates=False)) == T + 7 * D
    assert rules.decision_due(facts=facts(decided_at=T + 2 * D)) is None
    assert rules.decision_due(facts=facts(closed=True)) is None


def test_delay_notice_is_due_with_the_decision_unless_decided_sent_or_opted_out():
    assert rules.delay_notice_due(facts=facts()) == T + 7 * D
    assert rules.delay_notice_due(facts=facts(decided_at=T + D)) is None
    assert rules.delay_notice_due(facts=facts(delay_notice_at=T + 7 * D)) is None
    assert rules.delay_notice_due(facts=facts(wants_updates=False)) is None
    assert rules.delay_notice_due(facts=facts(reachable=False)) is None


def test_search_updates_are_due_every_24_hours_from_the_start_or_the_last_update():
    started = T + 2 * D
    assert rules.search_update_due(facts=facts()) is None
    assert rules.search_update_due(facts=facts(search_started_at=started)) == started + 24 * H
    later = facts(search_started_at=started, last_update_at=started + 30 * H)
    assert rules.search_update_due(facts=later) == started + 54 * H
    before = facts(search_started_at=started, last_update_at=started - H)  # an update before the search
    assert rules.search_update_due(facts=before) == started + 24 * H
    ended = facts(search_started_at=started, search_ended_at=started + 3 * D)
    assert rules.search_update_due(facts=ended) is None


def test_check_in_every_six_months_from_joining_or_the_last_answer():
    assert rules.check_in_due(joined_at=T, last_answered_at=None) == datetime(2027, 9, 1, 9, tzinfo=UTC)
    answered = datetime(2027, 8, 31, 12, tzinfo=UTC)
    assert rules.check_in_due(joined_at=T, last_answered_at=answered) == datetime(2028, 2, 29, 12, tzinfo=UTC)


def test_transparency_report_a_year_after_the_last_or_after_the_committee_started():
    published = datetime(2026, 6, 15, tzinfo=UTC)
    assert rules.transparency_due(last_published_at=published, committee_started_at=T) == datetime(
        2027, 6, 15, tzinfo=UTC
    )
    assert rules.transparency_due(last_published_at=None, committee_started_at=T) == datetime(
        2028, 3, 1, 9, tzinfo=UTC
    )
    assert rules.transparency_due(last_published_at=None, committee_started_at=None) is None


def test_the_digest_is_due_once_the_members_own_time_of_day_has_passed_in_their_time_zone():
    berlin, nine = ZoneInfo("Europe/Berlin"), time(9, 0)
    # 1 March 2027, 07:59 UTC is 08:59 in Berlin: not yet; 08:00 UTC is 09:00 there.
    assert rules.digest_day(now=datetime(2027, 3, 1, 7, 59, tzinfo=UTC), zone=berlin, at=nine) is None
    assert rules.digest_day(now=datetime(2027, 3, 1, 8, 0, tzinfo=UTC), zone=berlin, at=nine) == date(
        2027, 3, 1
    )
    # Late at night UTC it is already the next day in Berlin, before nine.
    assert rules.digest_day(now=datetime(2027, 3, 1, 23, 30, tzinfo=UTC), zone=berlin, at=nine) is None
    # After the clocks change (28 March 2027) nine in Berlin is 07:00 UTC.
    assert rules.digest_day(now=datetime(2027, 3, 29, 7, 0, tzinfo=UTC), zone=berlin, at=nine) == date(
        2027, 3, 29
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    assert rules.digest_day(now=datetime(2027, 3, 1, 23, 30, tzinfo=UTC), zone=tokyo, at=time(8, 0)) == date(
        2027, 3, 2
    )


def test_a_members_own_deadline_is_in_the_digest_on_the_day_it_falls_due_and_weekly_after():
    due = T + 3 * H
    assert not rules.weekly_reminder_today(due_at=due, now=T)
    assert rules.weekly_reminder_today(due_at=due, now=due + 6 * H)
    assert not rules.weekly_reminder_today(due_at=due, now=due + D + H)
    assert not rules.weekly_reminder_today(due_at=due, now=due + 6 * D)
    assert rules.weekly_reminder_today(due_at=due, now=due + 7 * D + H)
    assert not rules.weekly_reminder_today(due_at=None, now=T)
    # Each week, exactly one of the daily digests (at nine) mentions it.
    digests = [T + n * D for n in range(1, 29)]
    assert sum(rules.weekly_reminder_today(due_at=due, now=at) for at in digests) == 4


def test_due_soon_means_overdue_or_within_24_hours():
    assert rules.is_due_soon(due_at=T + 23 * H, now=T)
    assert rules.is_due_soon(due_at=T - D, now=T)
    assert not rules.is_due_soon(due_at=T + 25 * H, now=T)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_short_month():
    assert rules.add_months(datetime(2027, 1, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert rules.add_months(datetime(2027, 11, 15, tzinfo=UTC), 6) == datetime(2028, 5, 15, tzinfo=UTC)


@pytest.mark.parametrize(("severity", "months"), [("minor", 6), ("moderate", 12), ("severe", 24), ("", 24)])
def test_retention_by_severity(severity, months):
    periods = rules.DEFAULT_RETENTION
    assert rules.retention_months(severity=severity, periods=periods) == months
    assert rules.expunge_date(closed_at=T, severity=severity, periods=periods) == rules.add_months(T, months)


def test_the_committee_chooses_the_retention_periods():
    chosen = rules.RetentionPeriods(minor=3, moderate=9, severe=36, unassessed=48)
    assert rules.expunge_date(closed_at=T, severity="minor", periods=chosen) == rules.add_months(T, 3)
    assert rules.expunge_date(closed_at=T, severity="moderate", periods=chosen) == rules.add_months(T, 9)
    assert rules.expunge_date(closed_at=T, severity="severe", periods=chosen) == rules.add_months(T, 36)
    assert rules.expunge_date(closed_at=T, severity="", periods=chosen) == rules.add_months(T, 48)
    never = rules.RetentionPeriods(never=True)
    assert rules.expunge_date(closed_at=T, severity="minor", periods=never) is None


def test_expunge_date_counts_from_a_later_report_naming_the_same_person():
    periods = rules.DEFAULT_RETENTION
    later = T + 90 * D
    assert rules.expunge_date(
        closed_at=T, severity="minor", periods=periods, latest_related_report_at=later
    ) == rules.add_months(later, 6)
    earlier = T - 90 * D
    assert rules.expunge_date(
        closed_at=T, severity="minor", periods=periods, latest_related_report_at=earlier
    ) == rules.add_months(T, 6)


def test_an_extension_keeps_a_case_until_its_date_but_never_shortens_it():
    periods = rules.DEFAULT_RETENTION
    due = rules.add_months(T, 6)
    assert rules.expunge_date(closed_at=T, severity="minor", periods=periods, kept_until=due + 10 * D) == (
        due + 10 * D
    )
    assert rules.expunge_date(closed_at=T, severity="minor", periods=periods, kept_until=due - 10 * D) == due


def test_no_expunge_date_while_open_or_while_consequences_are_in_force():
    periods = rules.DEFAULT_RETENTION
    assert rules.expunge_date(closed_at=None, severity="minor", periods=periods) is None
    assert rules.expunge_date(closed_at=T, severity="minor", periods=periods, consequences_apply=True) is None


def test_content_is_never_deleted_sooner_than_30_days_after_the_notice():
    due = T + 100 * D
    assert not rules.retention_notice_due(expunge_at=due, now=due - 31 * D)
    assert rules.retention_notice_due(expunge_at=due, now=due - 30 * D)
    # Told on time: deleted on its date.
    assert rules.deletion_date(expunge_at=due, notice_sent_at=due - 30 * D, now=due) == due
    # Told late (a missed tick, or shorter periods chosen since): 30 days after the notice.
    assert rules.deletion_date(expunge_at=due, notice_sent_at=due - 2 * D, now=due) == due + 28 * D
    # Not told yet: never within the next 30 days.
    assert rules.deletion_date(expunge_at=T, notice_sent_at=None, now=T + 5 * D) == T + 35 * D
    assert rules.deletion_date(expunge_at=None, notice_sent_at=None, now=T) is None
