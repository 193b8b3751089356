"""Writes for deadlines (DESIGN D5): what `cocdesk tick` does, messages to reporters, searches,
member check-ins, transparency publications, calendar tokens and retention.

Every action `tick` takes is claimed first by inserting a unique DeadlineAction key in the same
transaction as its effects: a second run at the same time, or a concurrent one, finds the key
taken and does nothing. Mail is queued in that transaction (with outbox dedupe keys as a second
guard) and sent afterwards by the outbox, which claims each message atomically.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import Case, Message, MessageDirection, TimelineKind
from cocdesk.cases.services import reporter_address, timeline_add
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField
from cocdesk.deadlines import rules, selectors
from cocdesk.deadlines.models import (
    CalendarToken,
    CheckIn,
    CheckInAnswer,
    DeadlineAction,
    ReporterTemplate,
    Rule,
    TemplateKind,
    TransparencyPublication,
)
from cocdesk.members.models import Member, OffboardingReason
from cocdesk.members.services import offboarding_start
from cocdesk.outbox.services import outbox_enqueue

log = logging.getLogger("cocdesk.deadlines")


class DeadlineRefused(ValidationError):
    """Something the rules do not allow; the message says why, kindly."""


# --- tick ------------------------------------------------------------------------------------


@dataclass
class TickReport:
    """What one `tick` did: one line per action, and counts by kind of action."""

    now: datetime
    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, what: str, line: str) -> None:
        self.counts[what] += 1
        self.lines.append(line)


def _claim(*, key: str, rule: str, case: Case | None = None, member: Member | None = None) -> bool:
    """Insert the action's unique key; False if this action was already taken (by any run).

    Call inside the transaction that does the action: on PostgreSQL a concurrent run inserting the
    same key waits for that transaction and then fails, so exactly one of them acts.
    """
    try:
        with transaction.atomic():
            DeadlineAction.objects.create(key=key, rule=rule, case=case, member=member, at=clock.now())
    except IntegrityError:
        return False
    return True


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def tick_run() -> TickReport:
    """Evaluate every deadline rule once, at `clock.now()`, and take what action is due.

    Side effects (each at most once, however often or concurrently this runs):
    - reminders to members (DeadlineAction + outbox) for overdue acknowledgements, decisions and
      search updates, at most once a day per case and rule;
    - a delay notice to the reporter (Message, timeline entry, audit, outbox) when the decision is
      more than 7 days late;
    - six-monthly check-in requests (CheckIn + outbox) and weekly reminders to members who have not
      answered; weekly reminders to the chair when the transparency report is due;
    - expunge dates set or postponed on closed cases, and content deleted on the date (audit);
    - stored files swept (`evidence.stored_files_sweep`): interrupted moves finished, files that no
      row refers to deleted after a grace period.
    Mail is queued with send_now=False: the caller drains the outbox afterwards.
    """
    report = TickReport(now=clock.now())
    cases = list(selectors.open_cases_for_rules())
    facts = selectors.case_facts(cases)
    for case in cases:
        _case_rules(case=case, facts=facts[case.pk], report=report)
    _check_ins(report=report)
    _transparency(report=report)
    _retention(report=report)
    _stored_files(report=report)
    return report


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
            _remind(case=case, rule=deadline.rule, due_at=deadline.due_at, round_=round_, report=report)
    due = rules.delay_notice_due(facts=facts)
    if due is not None and due <= now:
        delivery = delay_notice_send(case=case)
        if delivery is not None:
            report.add("delay notice", f"delay notice  {case.reference}  to the reporter ({delivery.how})")


def _remind(*, case: Case, rule: str, due_at: datetime, round_: int, report: TickReport) -> None:
    key = f"remind:{rule}:{case.pk}:{_stamp(due_at)}:{round_}"
    with transaction.atomic():
        recipients = list(access.members_to_remind(case))
        if not recipients or not _claim(key=key, rule=rule, case=case):
            return
        subject = _("[%(ref)s] Reminder: %(rule)s") % {"ref": case.reference, "rule": Rule(rule).label}
        for member in recipients:
            body = render_to_string(
                "email/deadlines/member_reminder.txt",
                {
                    "member": member,
                    "case": case,
                    "rule": Rule(rule).label,
                    "due_at": due_at,
                    "base_url": settings.BASE_URL,
                },
            )
            outbox_enqueue(
                kind=f"reminder_{rule}",
                case=case,
                member=member,
                subject=subject,
                body=body,
                dedupe_key=f"{key}:{member.pk}",
                send_now=False,
            )
    report.add(
        "reminder", f"reminder  {case.reference}  {rule}  to {len(recipients)} member(s), round {round_ + 1}"
    )


def _check_ins(*, report: TickReport) -> None:
    for member in selectors.committee():
        due = selectors.check_in_due_for(member=member)
        round_ = rules.reminder_round(due_at=due, now=report.now, every=rules.REMIND_MEMBER_EVERY)
        if round_ is None:
            continue
        key = f"check_in:{member.pk}:{_stamp(due)}:{round_}"
        with transaction.atomic():
            if not _claim(key=key, rule=Rule.CHECK_IN, member=member):
                continue
            _check_in, first_ask = CheckIn.objects.get_or_create(
                member=member, due_at=due, defaults={"asked_at": report.now}
            )
            body = render_to_string(
                "email/deadlines/check_in.txt",
                {"member": member, "reminder": not first_ask, "base_url": settings.BASE_URL},
            )
            outbox_enqueue(
                kind="check_in",
                member=member,
                subject=_("Would you like to continue on the Code of Conduct committee?"),
                body=body,
                dedupe_key=f"{key}:mail",
                send_now=False,
            )
        what = "asked" if first_ask else "reminded"
        report.add("check-in", f"check-in  member {member.pk}  {what}")


def _transparency(*, report: TickReport) -> None:
    due = selectors.transparency_due_at()
    round_ = rules.reminder_round(due_at=due, now=report.now, every=rules.REMIND_MEMBER_EVERY)
    chairs = list(selectors.chairs())
    if round_ is None or not chairs:
        return
    key = f"transparency:{_stamp(due)}:{round_}"
    with transaction.atomic():
        if not _claim(key=key, rule=Rule.TRANSPARENCY):
            return
        for chair in chairs:
            body = render_to_string(
                "email/deadlines/transparency_reminder.txt",
                {"member": chair, "due_at": due, "base_url": settings.BASE_URL},
            )
            outbox_enqueue(
                kind="transparency_reminder",
                member=chair,
                subject=_("Reminder: the yearly transparency report is due"),
                body=body,
                dedupe_key=f"{key}:{chair.pk}",
                send_now=False,
            )
    report.add("transparency", f"transparency report  reminded {len(chairs)} chair(s)")


# --- messages to the reporter ------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    message: Message
    how: str  # "email", "portal and a notification email", "portal", "kept on the case only"


def template_fill(text: str, *, case: Case, member_name: str) -> str:
    """Put the reference and the sender's name into a template (no other placeholders exist)."""
    return text.replace("{reference}", case.reference).replace("{member}", member_name)


def _deliver_to_reporter(
    *,
    case: Case,
    kind: str,
    subject: str,
    body: str,
    author: Member | None,
    send_now: bool,
    reporter_asked: bool = False,
) -> Delivery:
    """Keep the message (the portal shows it), put it on the timeline, and email it if we may."""
    message = Message.objects.create(
        case=case,
        direction=MessageDirection.TO_REPORTER,
        kind=kind,
        body=body,
        author=author,
        created_at=clock.now(),
    )
    how = selectors.reporter_route(case=case, reporter_asked=reporter_asked)
    if how == selectors.Route.EMAIL:
        outbox_enqueue(
            kind="reporter_message",
            case=case,
            address=reporter_address(case),
            subject=f"[{case.reference}] {subject}",
            body=body,
            dedupe_key=f"reporter_message:{message.pk}",
            send_now=send_now,
        )
    elif how == selectors.Route.PING:  # anonymous: the notification address hears of a message, no more
        outbox_enqueue(
            kind="reporter_ping",
            case=case,
            address=reporter_address(case),
            subject=_("[%(ref)s] You have a new message") % {"ref": case.reference},
            body=render_to_string(
                "email/deadlines/reporter_new_message.txt", {"case": case, "base_url": settings.BASE_URL}
            ),
            dedupe_key=f"reporter_ping:{message.pk}",
            send_now=send_now,
        )
    if how == selectors.Route.EMAIL:
        message.emailed = True
        message.save(update_fields=["emailed"])
    label = Message(kind=kind).get_kind_display()
    timeline_add(
        case=case,
        author=author,
        kind=TimelineKind.MESSAGE_OUT,
        text=_("%(kind)s to the reporter (%(how)s):") % {"kind": label, "how": how} + "\n\n" + body,
    )
    audit_record(actor=author or "system", action=f"case.message_sent.{kind}", target=case)
    return Delivery(message=message, how=how)


def delay_notice_send(*, case: Case) -> Delivery | None:
    """The automatic delay notice (from the "delay" template), once per case; None if already sent.

    Side effects: DeadlineAction `delay:<case>`, a Message, a timeline entry, audit
    `case.message_sent.delay`, and queued mail (the notice itself to a named reporter, a "you have
    a new message" note to an anonymous reporter's notification address).
    """
    with transaction.atomic():
        if not _claim(key=f"delay:{case.pk}", rule=Rule.DELAY_NOTICE, case=case):
            return None
        template = selectors.reporter_template(kind=TemplateKind.DELAY)
        sender = _("The Code of Conduct committee")
        return _deliver_to_reporter(
            case=case,
            kind=TemplateKind.DELAY,
            subject=template_fill(template.subject, case=case, member_name=sender),
            body=template_fill(template.body, case=case, member_name=sender),
            author=None,
            send_now=False,
        )


def _require_participant(case: Case, member: Member) -> None:
    if not access.case_participants(case).filter(pk=member.pk).exists():
        raise DeadlineRefused(_("Only members taking part in this case can do that."))


@transaction.atomic
def reporter_message_send(
    *,
    case: Case,
    author: Member,
    kind: str,
    subject: str,
    body: str,
    reporter_asked: bool = False,
) -> Delivery:
    """A member sends the reporter a message they wrote or adapted from a template.

    A reporter who chose no further involvement gets a message only when they asked for it
    (`reporter_asked`, confirmed by the member). Side effects: a Message (shown in the receipt-code
    portal), a timeline entry with the text, audit `case.message_sent.<kind>`, and after commit an
    email: the message itself to a named reporter (reference in the subject, so replies thread
    back), or only "you have a new message" to an anonymous reporter's notification address.
    """
    if kind not in TemplateKind.values:
        raise DeadlineRefused(_("Please choose what kind of message this is."))
    _require_participant(case, author)
    reporter_asked = reporter_asked and not case.wants_updates  # only means something for them
    if not case.wants_updates and not reporter_asked:
        raise DeadlineRefused(
            _(
                "This reporter asked for no further involvement. Please write only if they asked "
                "you for something, and tick the box to say so."
            )
        )
    if not body.strip():
        raise DeadlineRefused(_("Please write the message."))
    return _deliver_to_reporter(
        case=case,
        kind=kind,
        subject=subject.strip(),
        body=body.strip(),
        author=author,
        send_now=True,
        reporter_asked=reporter_asked,
    )


@transaction.atomic
def reporter_template_update(*, kind: str, subject: str, body: str, by: Member) -> ReporterTemplate:
    """Change a reporter template. Side effects: the template row, audit `template.updated`."""
    default = selectors.default_template(kind)
    template, _created = ReporterTemplate.objects.get_or_create(
        kind=kind, defaults={"subject": default.subject, "body": default.body}
    )
    template.subject, template.body = subject.strip(), body.strip()
    template.updated_at, template.updated_by = clock.now(), by
    template.full_clean()
    template.save()
    audit_record(actor=by, action="template.updated", target=template)
    return template


# --- searching for the reported person ----------------------------------------------------------


@transaction.atomic
def search_start(*, case: Case, by: Member) -> Case:
    """Record that the committee is looking for the reported person at an event: the reporter is
    then due an update every 24 hours. Side effects: Case.search_started_at (and a cleared end),
    a timeline entry, audit `case.search_started`."""
    _require_participant(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.search_started_at is not None and case.search_ended_at is None:
        raise DeadlineRefused(_("A search is already going on."))
    case.search_started_at, case.search_ended_at = clock.now(), None
    case.save(update_fields=["search_started_at", "search_ended_at"])
    timeline_add(
        case=case, author=by, kind=TimelineKind.SEARCH, text=_("Started searching for the reported person.")
    )
    audit_record(actor=by, action="case.search_started", target=case)
    return case


@transaction.atomic
def search_end(*, case: Case, by: Member) -> Case:
    """End the search: daily updates stop being due. Side effects: Case.search_ended_at, a timeline
    entry, audit `case.search_ended`."""
    _require_participant(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.search_started_at is None or case.search_ended_at is not None:
        raise DeadlineRefused(_("There is no search going on."))
    case.search_ended_at = clock.now()
    case.save(update_fields=["search_ended_at"])
    timeline_add(
        case=case, author=by, kind=TimelineKind.SEARCH, text=_("Stopped searching for the reported person.")
    )
    audit_record(actor=by, action="case.search_ended", target=case)
    return case


# --- members: check-ins and the transparency report ----------------------------------------------


@transaction.atomic
def check_in_answer(*, member: Member, answer: str) -> CheckIn:
    """A member answers "Would you like to continue?"; the next question comes six months later.

    Side effects: the open CheckIn answered (or a new answered one), audit `member.check_in`;
    a member stepping down starts off-boarding (`members.services.offboarding_start`: their access
    ends at once and the chair(s) get an email, with no case content, to finish it).
    """
    if answer not in CheckInAnswer.values:
        raise DeadlineRefused(_("Please choose an answer."))
    check_in = selectors.open_check_in(member=member)
    if check_in is None:
        check_in, _created = CheckIn.objects.get_or_create(
            member=member, due_at=selectors.check_in_due_for(member=member)
        )
    check_in.answer, check_in.answered_at = answer, clock.now()
    check_in.save(update_fields=["answer", "answered_at"])
    audit_record(actor=member, action=f"member.check_in.{answer}", target=check_in)
    if answer == CheckInAnswer.STEP_DOWN:
        # Off-boarding (DESIGN D8) ends their access now and tells the chair(s).
        offboarding_start(member=member, reason=OffboardingReason.RESIGNATION, actor=member)
    return check_in


@transaction.atomic
def transparency_publication_record(*, year: int, by: Member) -> TransparencyPublication:
    """The chair records that the transparency report for `year` was published (the yearly reminder
    counts from it). Side effects: a TransparencyPublication, audit `transparency.published`."""
    if TransparencyPublication.objects.filter(year=year).exists():
        raise DeadlineRefused(_("The report for %(year)s is already recorded.") % {"year": year})
    publication = TransparencyPublication(year=year, published_at=clock.now(), recorded_by=by)
    publication.full_clean()
    publication.save()
    audit_record(actor=by, action="transparency.published", target=publication)
    return publication


# --- calendar feed ---------------------------------------------------------------------------


@transaction.atomic
def calendar_token_new(*, member: Member) -> str:
    """A new feed address for `member`; any earlier one stops working. Returns the token, which
    is shown once and stored only as a keyed hash. Side effects: CalendarToken, audit."""
    token = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(
        member=member,
        defaults={
            "token_hash": selectors.calendar_token_hash(token),
            "created_at": clock.now(),
            "last_used_at": None,
        },
    )
    audit_record(actor=member, action="calendar.token_created", object_type="member", object_id=member.pk)
    return token


@transaction.atomic
def calendar_token_revoke(*, member: Member) -> bool:
    """Stop the member's feed address working. Side effects: the token deleted, audit."""
    deleted, _details = CalendarToken.objects.filter(member=member).delete()
    if deleted:
        audit_record(actor=member, action="calendar.token_revoked", object_type="member", object_id=member.pk)
    return bool(deleted)


def calendar_feed_used(*, member: Member) -> None:
    """Note when a feed was last fetched (shown to the member, so they can spot a leaked link)."""
    CalendarToken.objects.filter(member=member).update(last_used_at=clock.now())


# --- retention -------------------------------------------------------------------------------


def _retention(*, report: TickReport) -> None:
    now = report.now
    for case in access.cases_for_retention().order_by("closed_at", "pk"):
        date = rules.expunge_date(
            closed_at=case.closed_at,
            severity=case.severity,
            latest_related_report_at=selectors.latest_related_report_at(case=case),
            consequences_apply=rules.consequences_in_force(case=case, now=now),
        )
        if date != case.expunge_at and expunge_date_set(case=case, date=date):
            when = f"{date:%Y-%m-%d}" if date else "never (consequences in force)"
            report.add("retention", f"retention  {case.reference}  content deleted on {when}")
        if date is not None and date <= now and case_expunge(case=case):
            report.add("expunged", f"expunged  {case.reference}")


@transaction.atomic
def expunge_date_set(*, case: Case, date: datetime | None) -> bool:
    """Set (or postpone, or clear) a closed case's expunge date. Only the run that changes the
    stored value acts, so concurrent ticks audit it once. Side effects: Case.expunge_at, audit."""
    old = case.expunge_at
    current = Case.objects.filter(pk=case.pk, expunged_at__isnull=True)
    current = current.filter(expunge_at__isnull=True) if old is None else current.filter(expunge_at=old)
    if not current.update(expunge_at=date):
        return False
    action = (
        "scheduled" if old is None else ("postponed" if date is None or date > old else "brought_forward")
    )
    audit_record(actor="system", action=f"case.expunge_{action}", target=case)
    case.expunge_at = date
    return True


def _delete_files(names: list[str]) -> None:
    for name in names:
        evidence.delete_stored(name)


@transaction.atomic
def case_expunge(*, case: Case) -> bool:
    """Delete a case's content for good, keeping only what statistics need. Irreversible.

    Kept: reference, channel, kind, state, resolution, severity, the flags (urgent, ongoing, law
    enforcement requested) and the dates. Deleted: every row of every table that points at the
    case (parties, messages, timeline, attachments, discussion, proposals and votes,
    conversations, stored emails, mail to and about it…), every encrypted field of the case, the
    receipt code, who received it and at which event. Stored files (attachments, raw emails) are
    deleted after commit. Side effects: Case.expunged_at, audit `case.expunged`.
    Returns False if the case was already expunged (e.g. by a concurrent tick).
    """
    case = Case.objects.select_for_update().filter(pk=case.pk, expunged_at__isnull=True).first()
    if case is None:
        return False
    files = []
    relations = [  # every table pointing at the case, hidden reverse relations (related_name="+") too
        f
        for f in Case._meta.get_fields(include_hidden=True)
        if f.is_relation and f.auto_created and not f.concrete
    ]
    for relation in relations:
        if relation.many_to_many:
            getattr(case, relation.get_accessor_name()).clear()
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: case})
        for model_field in relation.related_model._meta.concrete_fields:
            if model_field.name.endswith("storage_name"):
                files.extend(n for n in rows.values_list(model_field.name, flat=True) if n)
        rows.delete()
    for model_field in Case._meta.concrete_fields:
        if isinstance(model_field, EncryptedTextField | EncryptedJSONField):
            setattr(case, model_field.attname, model_field.get_default())
    case.receipt_hash, case.received_by, case.event = None, None, None
    case.expunged_at = clock.now()
    case.save()
    audit_record(actor="system", action="case.expunged", target=case)
    transaction.on_commit(partial(_delete_files, files))
    return True
