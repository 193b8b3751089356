"""The deadline rules of D5, each a small pure function: facts in, a due time (or None) out.

Nothing here reads the database or the clock; selectors gather the facts and services act on the
answers. A rule answers None when it does not apply (the case is closed, the reporter cannot be
reached or asked for no further involvement, the work is done).

Decisions recorded here:
- "Acknowledged" means a member wrote to the reporter personally (an acknowledgement, an update
  or the decision); the automatic confirmation does not count.
- "Decided" means the decision-and-actions message was sent to the reporter. Closing the case
  also ends the rule (a reporter who asked for no further involvement never gets that message).
- Reporter rules apply to every reporter who wants updates. One who can be written to (an email
  address, or a receipt code for the portal) is written to; one who cannot (phone, in person,
  direct message) is told by the owners, who record "told them by phone/in person" — that record
  counts like the message of the same kind. The automatic delay notice is written, so it goes
  only to a reporter who can be written to.
- A reporter who asked for no further involvement is due nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

ACKNOWLEDGE_WITHIN = timedelta(hours=24)
DECIDE_WITHIN = timedelta(days=7)
SEARCH_UPDATE_EVERY = timedelta(hours=24)
CHECK_IN_EVERY_MONTHS = 6
TRANSPARENCY_EVERY_MONTHS = 12
DUE_SOON = timedelta(hours=24)  # what waits for a member includes what falls due within this window
DECLARE_WITHIN = timedelta(hours=24)  # the plan: members answer the conflict question within a day
DIGEST_EVERY = timedelta(days=1)  # members hear of what waits for them in one email a day
REMIND_MEMBER_EVERY = timedelta(
    days=7
)  # a member's own deadlines (check-in, transparency): in a digest once a week

# Retention: the chair(s) are told this long before a closed case's content is deleted, and it is
# never deleted sooner than this after they were told.
RETENTION_NOTICE_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class RetentionPeriods:
    """How long closed cases are kept: months after closing (or after the latest report naming the
    same person), by severity, as the committee chose (deadlines.models.RetentionPolicy; these are
    the defaults). `never`: closed cases are never deleted."""

    minor: int = 6
    moderate: int = 12
    severe: int = 24
    unassessed: int = 24
    never: bool = False


DEFAULT_RETENTION = RetentionPeriods()


@dataclass(frozen=True)
class CaseFacts:
    """What the case rules need to know about one case; gathered by selectors.case_facts."""

    received_at: datetime
    closed: bool
    wants_updates: bool
    reachable: bool  # the reporter can be written to (email address or receipt-code portal)
    acknowledged_at: datetime | None = None  # first personal message to the reporter, or told in person
    decided_at: datetime | None = None  # first decision-and-actions message (written or told)
    delay_notice_at: datetime | None = None
    search_started_at: datetime | None = None
    search_ended_at: datetime | None = None
    last_update_at: datetime | None = None  # latest update or decision message to the reporter


def _reporter_hears_from_us(facts: CaseFacts) -> bool:
    return not facts.closed and facts.wants_updates


def told_in_person(*, facts: CaseFacts) -> bool:
    """The reporter cannot be written to: the owners tell them by phone or in person and record it."""
    return not facts.reachable


def acknowledgement_due(*, facts: CaseFacts) -> datetime | None:
    """A member acknowledges the report personally within 24 hours of receiving it (in writing, or
    by phone or in person for a reporter who cannot be written to)."""
    if not _reporter_hears_from_us(facts) or facts.acknowledged_at is not None:
        return None
    return facts.received_at + ACKNOWLEDGE_WITHIN


def decision_due(*, facts: CaseFacts) -> datetime | None:
    """The reporter hears the committee's decision and actions within 7 days of the report.

    The committee works to this deadline even for a reporter who wants no further involvement
    (they are simply not written to), so it applies to every open case until the decision is sent.
    """
    if facts.closed or facts.decided_at is not None:
        return None
    return facts.received_at + DECIDE_WITHIN


def delay_notice_due(*, facts: CaseFacts) -> datetime | None:
    """When the decision is late, the reporter is told once, automatically, that it will take more
    time. Only in writing: a reporter who cannot be written to hears it from the owners."""
    if (
        not _reporter_hears_from_us(facts)
        or not facts.reachable
        or facts.decided_at is not None
        or facts.delay_notice_at is not None
    ):
        return None
    return facts.received_at + DECIDE_WITHIN


def searching(*, facts: CaseFacts) -> bool:
    return facts.search_started_at is not None and facts.search_ended_at is None and not facts.closed


def search_update_due(*, facts: CaseFacts) -> datetime | None:
    """While the reported person is being searched for, the reporter gets an update every 24 hours,
    counted from the start of the search or the latest update since then."""
    if not searching(facts=facts) or not facts.wants_updates:
        return None
    since = facts.search_started_at
    if facts.last_update_at is not None and facts.last_update_at > since:
        since = facts.last_update_at
    return since + SEARCH_UPDATE_EVERY


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the 31st becomes the last day of a shorter month."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def check_in_due(*, joined_at: datetime, last_answered_at: datetime | None) -> datetime:
    """Every six months, counted from joining or from the member's last answer."""
    return add_months(last_answered_at or joined_at, CHECK_IN_EVERY_MONTHS)


def transparency_due(
    *, last_published_at: datetime | None, committee_started_at: datetime | None
) -> datetime | None:
    """A year after the last transparency report; before the first one, a year after the committee
    started (its earliest member joined). None for a committee with no members."""
    start = last_published_at or committee_started_at
    return add_months(start, TRANSPARENCY_EVERY_MONTHS) if start is not None else None


def digest_day(*, now: datetime, zone: tzinfo, at: time) -> date | None:
    """The member's own calendar day whose digest is due at `now`: today in their time zone once
    their digest time (`at`, local) has passed, else None. One digest per such day: the day is its
    claim, so it goes once however often `tick` runs, at the first run after `at`."""
    local = now.astimezone(zone)
    return local.date() if local.time().replace(tzinfo=None) >= at else None


def weekly_reminder_today(*, due_at: datetime | None, now: datetime) -> bool:
    """A member's own deadline (the check-in, the transparency report) is mentioned in the daily
    digest on the day it falls due and once a week after, until it is done."""
    if due_at is None or now < due_at:
        return False
    return (now - due_at) % REMIND_MEMBER_EVERY < DIGEST_EVERY


def is_due_soon(*, due_at: datetime | None, now: datetime) -> bool:
    """Overdue, or falling due within DUE_SOON: what the dashboard lists first."""
    return due_at is not None and due_at <= now + DUE_SOON


def retention_months(*, severity: str, periods: RetentionPeriods) -> int:
    """How long a closed case is kept, in months: the committee's period for its severity (not
    assessed, or unknown, counts as `unassessed`)."""
    by_severity = {"minor": periods.minor, "moderate": periods.moderate, "severe": periods.severe}
    return by_severity.get(severity, periods.unassessed)


def expunge_date(
    *,
    closed_at: datetime | None,
    severity: str,
    periods: RetentionPeriods,
    latest_related_report_at: datetime | None = None,
    consequences_apply: bool = False,
    kept_until: datetime | None = None,
) -> datetime | None:
    """When a closed case's content is due for deletion: its retention period after it closed, or
    after the latest report naming the same person, whichever is later; no sooner than the date
    the committee chose to keep it until (`kept_until`, an extension). None while open, while
    consequences are in force, or when the committee keeps closed cases forever."""
    if closed_at is None or consequences_apply or periods.never:
        return None
    start = closed_at
    if latest_related_report_at is not None and latest_related_report_at > start:
        start = latest_related_report_at
    date = add_months(start, retention_months(severity=severity, periods=periods))
    return max(date, kept_until) if kept_until is not None else date


def retention_notice_due(*, expunge_at: datetime | None, now: datetime) -> bool:
    """The chair(s) are told 30 days before a case's content is deleted."""
    return expunge_at is not None and now >= expunge_at - RETENTION_NOTICE_BEFORE


def deletion_date(
    *, expunge_at: datetime | None, notice_sent_at: datetime | None, now: datetime
) -> datetime | None:
    """When the content is actually deleted: its expunge date, but never sooner than 30 days after
    the chair(s) were told about that date (and, before they are told, never sooner than 30 days
    from now). A missed tick, or shorter periods chosen later, so never delete a case unannounced."""
    if expunge_at is None:
        return None
    return max(expunge_at, (notice_sent_at or now) + RETENTION_NOTICE_BEFORE)
