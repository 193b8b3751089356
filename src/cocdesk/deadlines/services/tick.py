"""What `cocdesk tick` does (D5): evaluate every deadline rule once, at `clock.now()`, and take the
action that is due — each member's daily digest, delay notices, check-ins, retention.

Every action is claimed first by inserting a unique DeadlineAction key in the same transaction as
its effects (`claims.action_claim`): a second run at the same time, or a concurrent one, finds the
key taken and does nothing. Mail is queued in that transaction and delivered by the outbox.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from cocdesk import access, clock, notices
from cocdesk.audit.selectors import anchors_read, audit_verify, audit_verify_since
from cocdesk.audit.services import audit_anchor_append
from cocdesk.cases import evidence
from cocdesk.cases.services import case_expunge, expunge_date_set
from cocdesk.deadlines import rules, selectors
from cocdesk.deadlines.models import CheckIn, Rule
from cocdesk.deadlines.services.claims import action_claim
from cocdesk.deadlines.services.digest import digest_send
from cocdesk.deadlines.services.reporter import delay_notice_send
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.cases.models import Case

log = logging.getLogger("cocdesk.deadlines")


@dataclass
class TickReport:
    """What one `tick` did: one line per action, and counts by kind of action."""

    now: datetime
    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, what: str, line: str) -> None:
        self.counts[what] += 1
        self.lines.append(line)


def tick_run() -> TickReport:
    """Evaluate every deadline rule once, at `clock.now()`, and take what action is due.

    Side effects (each at most once, however often or concurrently this runs):
    - each committee member's daily digest (DeadlineAction + outbox, `digest.digest_send`), once
      their time of day has passed in their time zone: what waits for them (declarations, votes,
      rejoin requests, cases without owners, promises overdue or due within a day, new posts, their
      check-in, the transparency report), references only. No other reminder is emailed;
    - a delay notice to the reporter (Message, timeline entry, audit, outbox) when the decision is
      more than 7 days late and the reporter wants updates and can be written to (one told by
      phone or in person is the owners' task instead, in their digest);
    - the six-monthly check-in asked (a CheckIn row; the member reads it in their digest and on
      their dashboard);
    - expunge dates set or postponed on closed cases by the committee's retention settings; the
      chair(s) told 30 days before (once per case and date), and content deleted on the date, never
      sooner than 30 days after they were told (audit);
    - stored files swept (`evidence.stored_files_sweep`): interrupted moves finished, files that no
      row refers to deleted after a grace period.
    Mail is only queued: the caller (`cocdesk tick`) drains the outbox afterwards.
    """
    report = TickReport(now=clock.now())
    cases = list(selectors.open_cases_for_rules())
    facts = selectors.case_facts(cases)
    for case in cases:
        _delay_notice(case=case, facts=facts[case.pk], report=report)
    _check_ins(report=report)
    _digests(report=report)
    _retention(report=report)
    _stored_files(report=report)
    return report


def audit_anchor_daily() -> str | None:
    """Once a day (claimed like every tick action, so concurrent runs write one line): check the
    audit entries written since the newest anchor in `settings.AUDIT_ANCHOR_LOG` (the whole chain
    the first time), then append the chain's signed head to that log (D9). Returns the line to
    print, or None when today's head is already anchored.

    A log that does not hold is never anchored: the day's claim is given back, so every run says so
    until someone looks (`cocdesk audit verify --anchor` names what is missing).
    Side effects: a DeadlineAction `audit_anchor:<date>`; one line appended to the log.
    """
    path = Path(settings.AUDIT_ANCHOR_LOG)
    key = f"audit_anchor:{clock.now().astimezone(UTC):%Y-%m-%d}"
    try:
        with transaction.atomic():
            if not action_claim(key=key, rule=Rule.AUDIT_ANCHOR):
                return None
            anchors = anchors_read(path=path)
            check = audit_verify_since(anchor=anchors[-1]) if anchors else audit_verify()
            if not check.intact:
                raise Refused(f"the log is broken at entry #{check.broken_seq}: {check.reason}")
            head = audit_anchor_append(path=path, seq=check.entries, hash=check.head_hash)
    except (Refused, OSError) as exc:
        why = " ".join(exc.messages) if isinstance(exc, Refused) else f"{path}: {exc.strerror or exc}"
        log.error("the audit anchor was not written: %s", why)
        return f"audit anchor NOT written: {why}"
    return f"audit anchor: entry #{head.seq} appended to {path}"


def _stored_files(*, report: TickReport) -> None:
    try:
        swept = evidence.stored_files_sweep()
    except Exception:  # a storage outage must not keep the rest of tick (and the mail) from running
        log.exception("the stored-file sweep failed; the next tick tries again")
        return
    for name in swept.moved:
        report.add("file moved into place", f"file moved into place  {name}  (after an interrupted move)")
    for name in swept.deleted:
        report.add("file removed", f"file removed  {name}  (no record refers to it)")


def _delay_notice(*, case: Case, facts: rules.CaseFacts, report: TickReport) -> None:
    due = rules.delay_notice_due(facts=facts)
    if due is not None and due <= report.now:
        delivery = delay_notice_send(case=case)
        if delivery is not None:
            report.add("delay notice", f"delay notice  {case.reference}  to the reporter ({delivery.how})")


def _check_ins(*, report: TickReport) -> None:
    """Six months after joining or the last answer, the member is asked whether they continue: the
    open CheckIn is what their dashboard and digest show until they answer."""
    for member in selectors.committee():
        due = selectors.check_in_due_for(member=member)
        if due > report.now:
            continue
        _check_in, asked = CheckIn.objects.get_or_create(
            member=member, due_at=due, defaults={"asked_at": report.now}
        )
        if asked:
            report.add("check-in", f"check-in  member {member.pk}  asked")


def _digests(*, report: TickReport) -> None:
    for member in selectors.committee():
        digest = digest_send(member=member, now=report.now)
        if digest is not None and digest.items:
            report.add(
                "digest", f"digest  member {member.pk}  {digest.items} item(s) for {digest.day:%Y-%m-%d}"
            )


def _retention(*, report: TickReport) -> None:
    now = report.now
    periods = selectors.retention_periods()
    for case in access.cases_for_retention().order_by("closed_at", "pk"):
        retention = selectors.case_retention(case=case, periods=periods, now=now)
        unannounced = retention.notice_sent_at is None
        if unannounced and rules.retention_notice_due(expunge_at=retention.expunge_at, now=now):
            _retention_notice(case=case, retention=retention, report=report)
            # Deleted no sooner than 30 days after the notice: read the schedule again.
            retention = selectors.case_retention(case=case, periods=periods, now=now)
        date = retention.deletion_at
        if date != case.expunge_at and expunge_date_set(case=case, date=date):
            when = f"{date:%Y-%m-%d}" if date else "never (consequences in force, or never deleted)"
            report.add("retention", f"retention  {case.reference}  content deleted on {when}")
        if date is not None and date <= now and case_expunge(case=case):
            report.add("expunged", f"expunged  {case.reference}")


def _retention_notice(*, case: Case, retention: selectors.Retention, report: TickReport) -> None:
    """Tell the chair(s) (or, without one, the members taking part) that the case's content will be
    deleted in 30 days or so, with a link where they can keep it longer. Once per case and date."""
    key = selectors.retention_notice_key(case=case, expunge_at=retention.expunge_at)
    deletion_at = rules.deletion_date(
        expunge_at=retention.expunge_at, notice_sent_at=report.now, now=report.now
    )
    with transaction.atomic():
        if not action_claim(key=key, rule=Rule.RETENTION_NOTICE, case=case):
            return
        told = notices.retention_deletion_soon(case=case, deletion_at=deletion_at, scope=[key])
    report.add(
        "deletion notice",
        f"deletion notice  {case.reference}  content deleted on {deletion_at:%Y-%m-%d}, "
        f"told {len(told)} member(s)",
    )
