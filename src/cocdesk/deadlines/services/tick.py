"""What `cocdesk tick` does (D5): evaluate every deadline rule once, at `clock.now()`, and take the
action that is due — reminders, delay notices, check-ins, the transparency reminder, retention.

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
from cocdesk.cases.services import case_expunge, expunge_date_set, proposals_evaluate_due
from cocdesk.deadlines import rules, selectors
from cocdesk.deadlines.models import CheckIn, Rule
from cocdesk.deadlines.services.claims import action_claim, stamp
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
    - reminders to members (DeadlineAction + outbox) for overdue acknowledgements, decisions and
      search updates, at most once a day per case and rule;
    - a delay notice to the reporter (Message, timeline entry, audit, outbox) when the decision is
      more than 7 days late and the reporter wants updates and can be written to (one told by
      phone or in person is reminded to the owners instead, by the decision reminder);
    - a reminder to each member who has not answered the conflict question on a report received
      more than 24 hours ago, at most once a day per member (one email listing every such report),
      whoever else has answered;
    - six-monthly check-in requests (CheckIn + outbox) and weekly reminders to members who have not
      answered; weekly reminders to the chair when the transparency report is due;
    - expunge dates set or postponed on closed cases by the committee's retention settings; the
      chair(s) told 30 days before (once per case and date), and content deleted on the date, never
      sooner than 30 days after they were told (audit);
    - open proposals counted again: a decision whose declaration window ended meanwhile may close
      (passed, failed, or closed by its passing alternative; `cases.services.proposals_evaluate_due`);
    - stored files swept (`evidence.stored_files_sweep`): interrupted moves finished, files that no
      row refers to deleted after a grace period.
    Mail is only queued: the caller (`cocdesk tick`) drains the outbox afterwards.
    """
    report = TickReport(now=clock.now())
    cases = list(selectors.open_cases_for_rules())
    facts = selectors.case_facts(cases)
    for case in cases:
        _case_rules(case=case, facts=facts[case.pk], report=report)
    _declaration_reminders(report=report)
    _decisions(report=report)
    _check_ins(report=report)
    _transparency(report=report)
    _retention(report=report)
    _stored_files(report=report)
    return report


def _decisions(*, report: TickReport) -> None:
    """Votes already cast may decide a proposal once the declaration window is over (D4 quorum)."""
    closed = proposals_evaluate_due()
    if closed:
        report.add("decision", f"decisions closed after the declaration window  {closed} proposal(s)")


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


def _case_rules(*, case: Case, facts: rules.CaseFacts, report: TickReport) -> None:
    now = report.now
    for deadline in selectors.case_deadlines(case=case, facts=facts):
        round_ = rules.reminder_round(due_at=deadline.due_at, now=now, every=rules.REMIND_CASE_EVERY)
        if round_ is not None:
            _remind(case=case, deadline=deadline, round_=round_, report=report)
    due = rules.delay_notice_due(facts=facts)
    if due is not None and due <= now:
        delivery = delay_notice_send(case=case)
        if delivery is not None:
            report.add("delay notice", f"delay notice  {case.reference}  to the reporter ({delivery.how})")


def _remind(*, case: Case, deadline: selectors.Deadline, round_: int, report: TickReport) -> None:
    rule, due_at = deadline.rule, deadline.due_at
    key = f"remind:{rule}:{case.pk}:{stamp(due_at)}:{round_}"
    with transaction.atomic():
        if not access.members_to_remind(case).exists() or not action_claim(key=key, rule=rule, case=case):
            return
        recipients = notices.deadline_reminder(
            case=case, rule=rule, rule_label=deadline.label, due_at=due_at, scope=[key]
        )
    report.add(
        "reminder", f"reminder  {case.reference}  {rule}  to {len(recipients)} member(s), round {round_ + 1}"
    )


def _declaration_reminders(*, report: TickReport) -> None:
    """Members who have not answered the conflict question, reminded once a (UTC) day until they do."""
    now = report.now
    for member in selectors.committee():
        waiting = [
            case
            for case in selectors.cases_awaiting_declaration_of(member=member)
            if rules.declaration_reminder_due(received_at=case.received_at) <= now
        ]
        if not waiting:
            continue
        key = f"declare:{member.pk}:{now:%Y%m%d}"
        with transaction.atomic():
            if not action_claim(key=key, rule=Rule.DECLARE, member=member):
                continue
            notices.declaration_reminder(member=member, cases=waiting, scope=[key])
        report.add("declaration", f"declaration reminder  member {member.pk}  {len(waiting)} report(s)")


def _check_ins(*, report: TickReport) -> None:
    for member in selectors.committee():
        due = selectors.check_in_due_for(member=member)
        round_ = rules.reminder_round(due_at=due, now=report.now, every=rules.REMIND_MEMBER_EVERY)
        if round_ is None:
            continue
        key = f"check_in:{member.pk}:{stamp(due)}:{round_}"
        with transaction.atomic():
            if not action_claim(key=key, rule=Rule.CHECK_IN, member=member):
                continue
            _check_in, first_ask = CheckIn.objects.get_or_create(
                member=member, due_at=due, defaults={"asked_at": report.now}
            )
            notices.check_in(member=member, reminder=not first_ask, scope=[key])
        what = "asked" if first_ask else "reminded"
        report.add("check-in", f"check-in  member {member.pk}  {what}")


def _transparency(*, report: TickReport) -> None:
    due = selectors.transparency_due_at()
    round_ = rules.reminder_round(due_at=due, now=report.now, every=rules.REMIND_MEMBER_EVERY)
    if round_ is None or not access.chairs().exists():
        return
    key = f"transparency:{stamp(due)}:{round_}"
    with transaction.atomic():
        if not action_claim(key=key, rule=Rule.TRANSPARENCY):
            return
        told = notices.transparency_reminder(due_at=due, scope=[key])
    report.add("transparency", f"transparency report  reminded {len(told)} chair(s)")


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
