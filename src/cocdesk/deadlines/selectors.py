"""Reads for deadlines. Case queries start from the access policy (D3), never Case.objects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.db.models import Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cocdesk import access, clock
from cocdesk.cases.models import (
    PERSONAL_MESSAGE_KINDS,
    Case,
    CaseVisit,
    ConflictDeclaration,
    DiscussionPost,
    IncidentOwner,
    Kind,
    Message,
    MessageDirection,
    MessageKind,
    Party,
    PartyRole,
    Proposal,
    ProposalStatus,
    State,
    VoteChoice,
)
from cocdesk.cases.selectors import (
    OWNERS_NEEDED,
    case_consequences_in_force,
    case_latest_related_report_at,
    reporter_address,
)
from cocdesk.crypto import encrypted_fields, secret_hash
from cocdesk.deadlines import defaults, rules
from cocdesk.deadlines.models import (
    CalendarToken,
    CheckIn,
    DeadlineAction,
    NoticePreference,
    ReporterTemplate,
    RetentionExtension,
    RetentionPolicy,
    Rule,
    TemplateKind,
    site_time_zone,
)
from cocdesk.members.models import COMMITTEE_ROLES, Member
from cocdesk.transparency.selectors.published import last_published_at

PERSONAL_KINDS = PERSONAL_MESSAGE_KINDS  # a member writing to the reporter personally


@dataclass(frozen=True)
class Deadline:
    """One computed deadline: what is due, when, and on which case (references and rule names only)."""

    rule: str
    due_at: datetime
    case: Case | None = None
    member: Member | None = None  # the member a check-in is for
    in_person: bool = False  # the reporter has no email or receipt code: tell them by phone or in person

    @property
    def label(self) -> str:
        if self.in_person and self.rule in IN_PERSON_LABELS:
            return str(IN_PERSON_LABELS[self.rule])
        return Rule(self.rule).label

    def overdue(self, now: datetime) -> bool:
        return self.due_at <= now


# The same deadlines, as tasks for the owners when the reporter cannot be written to (D5).
IN_PERSON_LABELS = {
    Rule.ACKNOWLEDGE: _("Acknowledge the report within 24 hours: call or see the reporter, then record it"),
    Rule.DECIDE: _(
        "Tell the reporter the decision and actions within 7 days: call or see them, then record it"
    ),
    Rule.SEARCH_UPDATE: _(
        "Daily update while the reported person is searched for: call or see the reporter, then record it"
    ),
}


def case_facts(cases: Iterable[Case]) -> dict[int, rules.CaseFacts]:
    """The facts the case rules need, for many cases in three queries. Reads no message text."""
    cases = list(cases)
    ids = [c.pk for c in cases]
    with_email = set(
        Party.objects.filter(case__in=ids, role=PartyRole.REPORTER)
        .exclude(email_index="")
        .values_list("case_id", flat=True)
    )
    sent: dict[int, list[tuple[str, datetime]]] = {pk: [] for pk in ids}
    rows = Message.objects.filter(case__in=ids, direction=MessageDirection.TO_REPORTER).values_list(
        "case_id", "kind", "created_at"
    )
    for case_id, kind, at in rows:
        sent[case_id].append((kind, at))
    facts = {}
    for case in cases:
        messages = sent[case.pk]

        def first(kinds: set[str], messages=messages) -> datetime | None:
            times = [at for kind, at in messages if kind in kinds]
            return min(times) if times else None

        updates = [at for kind, at in messages if kind in (MessageKind.UPDATE, MessageKind.DECISION)]
        facts[case.pk] = rules.CaseFacts(
            received_at=case.received_at,
            closed=case.state == State.CLOSED,
            wants_updates=case.wants_updates,
            reachable=bool(case.receipt_hash) or case.pk in with_email,
            acknowledged_at=first(PERSONAL_KINDS),
            decided_at=first({MessageKind.DECISION}),
            delay_notice_at=first({MessageKind.DELAY}),
            search_started_at=case.search_started_at,
            search_ended_at=case.search_ended_at,
            last_update_at=max(updates) if updates else None,
        )
    return facts


def case_deadlines(*, case: Case, facts: rules.CaseFacts) -> list[Deadline]:
    """Every open deadline of one case, soonest first."""
    found = [
        (Rule.ACKNOWLEDGE, rules.acknowledgement_due(facts=facts)),
        (Rule.DECIDE, rules.decision_due(facts=facts)),
        (Rule.SEARCH_UPDATE, rules.search_update_due(facts=facts)),
    ]
    return sorted(
        (
            Deadline(rule=rule, due_at=due, case=case, in_person=rules.told_in_person(facts=facts))
            for rule, due in found
            if due is not None
        ),
        key=lambda d: d.due_at,
    )


def open_cases_for_rules() -> QuerySet[Case]:
    """System use (`tick`): open cases whose deadlines are evaluated. The rules read no text, so
    nothing encrypted is loaded (or decrypted)."""
    return (
        access.cases_for_deadline_rules()
        .exclude(state=State.CLOSED)
        .defer(*encrypted_fields(Case))
        .order_by("received_at", "pk")
    )


def _deadlines_of(cases: QuerySet[Case]) -> list[Deadline]:
    cases = list(cases.exclude(state=State.CLOSED).defer(*encrypted_fields(Case)))
    facts = case_facts(cases)
    found = []
    for case in cases:
        found.extend(case_deadlines(case=case, facts=facts[case.pk]))
    return found


def member_deadlines(*, member: Member) -> list[Deadline]:
    """The member's own deadlines: their next check-in, and for a chair the transparency report."""
    found = []
    if member.role in COMMITTEE_ROLES and member.is_active:
        found.append(Deadline(rule=Rule.CHECK_IN, due_at=check_in_due_for(member=member), member=member))
        if member.is_chair:
            due = transparency_due_at()
            if due is not None:
                found.append(Deadline(rule=Rule.TRANSPARENCY, due_at=due))
    return found


def calendar_deadlines(*, member: Member) -> list[Deadline]:
    """Everything in a member's calendar feed: the deadlines of the cases they take part in (as
    after login; through the access policy) and their own check-in / transparency dates."""
    found = _deadlines_of(access.cases_taking_part(member)) + member_deadlines(member=member)
    return sorted(found, key=lambda d: d.due_at)


def case_deadlines_for(*, case: Case) -> list[Deadline]:
    """The deadlines of one case the caller has already fetched through the access policy."""
    return case_deadlines(case=case, facts=case_facts([case])[case.pk])


def case_facts_for(*, case: Case) -> rules.CaseFacts:
    return case_facts([case])[case.pk]


# --- reporter templates ----------------------------------------------------------------------


def reporter_templates() -> list[ReporterTemplate]:
    """The four templates, in a fixed order; one missing from the table is shown with its default."""
    stored = {t.kind: t for t in ReporterTemplate.objects.all()}
    return [stored.get(kind) or default_template(kind) for kind in TemplateKind.values]


def default_template(kind: str) -> ReporterTemplate:
    subject, body = defaults.TEMPLATES[kind]
    return ReporterTemplate(kind=kind, subject=subject, body=body)


def reporter_template(*, kind: str) -> ReporterTemplate:
    return ReporterTemplate.objects.filter(kind=kind).first() or default_template(kind)


class Route:
    """How a message to the reporter reaches them."""

    EMAIL = "email"  # a named reporter with an address: the message itself by email (and the portal)
    PING = "portal and a notification email"  # anonymous: the portal, and "you have a new message"
    PORTAL = "portal"  # a receipt code but no address
    NONE = "kept on the case only"  # no way to write to them; tell them by phone or in person
    OPTED_OUT = "nothing"  # they asked for no further involvement: nothing is sent


def reporter_route(*, case: Case) -> str:
    """How a message written now would reach the reporter (nothing, if they asked for no further
    involvement)."""
    if not case.wants_updates:
        return Route.OPTED_OUT
    address = reporter_address(case=case)
    if address:
        return Route.EMAIL if case.kind == Kind.NAMED else Route.PING
    return Route.PORTAL if case.receipt_hash else Route.NONE


def suggested_kind(*, case: Case) -> str:
    """The kind of message the compose page starts from: an acknowledgement until one was sent (or
    told), then an update."""
    personal = case.messages.filter(direction=MessageDirection.TO_REPORTER, kind__in=PERSONAL_KINDS)
    return TemplateKind.UPDATE if personal.exists() else TemplateKind.ACKNOWLEDGEMENT


def messages_to_reporter(*, case: Case) -> QuerySet[Message]:
    return case.messages.filter(direction=MessageDirection.TO_REPORTER).select_related("author")


def reporter_has_written(*, case: Case) -> bool:
    return case.messages.filter(direction=MessageDirection.FROM_REPORTER).exists()


# --- members ---------------------------------------------------------------------------------


def last_check_in_answer(*, member: Member) -> datetime | None:
    return CheckIn.objects.filter(member=member, answered_at__isnull=False).aggregate(at=Max("answered_at"))[
        "at"
    ]


def check_in_due_for(*, member: Member) -> datetime:
    return rules.check_in_due(
        joined_at=member.joined_at, last_answered_at=last_check_in_answer(member=member)
    )


def open_check_in(*, member: Member) -> CheckIn | None:
    return CheckIn.objects.filter(member=member, answered_at__isnull=True).order_by("due_at").first()


def cases_awaiting_declaration_of(*, member: Member) -> QuerySet[Case]:
    """System use (`tick`): the reports `member` has not answered the conflict question on."""
    return access.cases_awaiting_declaration_of(member).order_by("received_at", "pk")


def committee() -> QuerySet[Member]:
    return access.active_committee().order_by("name", "pk")


@dataclass(frozen=True)
class CheckInRow:
    member: Member
    due_at: datetime
    asked_at: datetime | None
    last_answer: str
    last_answered_at: datetime | None


def check_in_overview() -> list[CheckInRow]:
    """For the chair: every member, when they were last asked and answered, and who has not answered."""
    rows = []
    for member in committee():
        pending = open_check_in(member=member)
        answered = (
            CheckIn.objects.filter(member=member, answered_at__isnull=False).order_by("-answered_at").first()
        )
        rows.append(
            CheckInRow(
                member=member,
                due_at=pending.due_at if pending else check_in_due_for(member=member),
                asked_at=pending.asked_at if pending else None,
                last_answer=answered.get_answer_display() if answered else "",
                last_answered_at=answered.answered_at if answered else None,
            )
        )
    return rows


def transparency_due_at() -> datetime | None:
    """A year after the last published transparency report, or after the committee's first member joined."""
    started = Member.objects.filter(role__in=COMMITTEE_ROLES).aggregate(at=Min("joined_at"))["at"]
    return rules.transparency_due(last_published_at=last_published_at(), committee_started_at=started)


# --- how a member hears from cocdesk (D5) --------------------------------------------------------


def notice_preference_of(*, member: Member) -> NoticePreference:
    """The member's saved preferences, or the defaults (unsaved): the digest at 09:00 in the
    site's time zone, nothing else at once."""
    return NoticePreference.objects.filter(member=member).first() or NoticePreference(member=member)


def time_zone_of(preference: NoticePreference) -> ZoneInfo:
    """The member's time zone; the site's if the stored name is unknown to this system."""
    try:
        return ZoneInfo(preference.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(site_time_zone())


def time_zone_names() -> list[str]:
    """Every time zone a member may choose, as IANA names ("Europe/Berlin"), sorted."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


# --- calendar --------------------------------------------------------------------------------


def calendar_token_hash(token: str) -> str:
    return secret_hash("calendar:" + token)


def calendar_member(*, token: str) -> Member | None:
    """The active committee member a feed token belongs to, or None."""
    if not token:
        return None
    found = (
        CalendarToken.objects.select_related("member")
        .filter(
            token_hash=calendar_token_hash(token), member__is_active=True, member__role__in=COMMITTEE_ROLES
        )
        .first()
    )
    return found.member if found else None


def calendar_token_of(*, member: Member) -> CalendarToken | None:
    return CalendarToken.objects.filter(member=member).first()


# --- retention (D5) ----------------------------------------------------------------------------


def retention_policy() -> RetentionPolicy:
    """The committee's retention settings: the saved row, or the defaults (unsaved) until the chair
    first saves them."""
    return RetentionPolicy.objects.filter(pk=RetentionPolicy.SINGLETON).first() or RetentionPolicy(
        pk=RetentionPolicy.SINGLETON
    )


def retention_periods(*, policy: RetentionPolicy | None = None) -> rules.RetentionPeriods:
    policy = policy or retention_policy()
    return rules.RetentionPeriods(
        minor=policy.minor_months,
        moderate=policy.moderate_months,
        severe=policy.severe_months,
        unassessed=policy.unassessed_months,
        never=policy.never_delete,
    )


def case_kept_until(*, case: Case) -> datetime | None:
    """The latest date the committee chose to keep this case until (its extensions), or None."""
    return RetentionExtension.objects.filter(case=case).aggregate(until=Max("until"))["until"]


def retention_extensions(*, case: Case) -> QuerySet[RetentionExtension]:
    return RetentionExtension.objects.filter(case=case).select_related("by")


def retention_notice_key(*, case: Case, expunge_at: datetime) -> str:
    """The notice is claimed once per case and date: a later date (an extension, a new report about
    the same person) is announced again, 30 days before it."""
    return f"retention_notice:{case.pk}:{expunge_at:%Y%m%dT%H%M%S}"


def action_taken(*, key: str) -> bool:
    """Whether `tick` already took the action with this key (a cheap look before claiming it)."""
    return DeadlineAction.objects.filter(key=key).exists()


def retention_notice_at(*, case: Case, expunge_at: datetime | None) -> datetime | None:
    """When the chair(s) were told about this deletion date, or None."""
    if expunge_at is None:
        return None
    key = retention_notice_key(case=case, expunge_at=expunge_at)
    return DeadlineAction.objects.filter(key=key).values_list("at", flat=True).first()


@dataclass(frozen=True)
class Retention:
    """A case's retention, as its pages show it and `tick` acts on it."""

    expunge_at: datetime | None  # due for deletion by the committee's periods and extensions
    deletion_at: datetime | None  # when it is deleted: never sooner than 30 days after the notice
    notice_sent_at: datetime | None
    closed: bool
    consequences_apply: bool
    never: bool
    months: int
    kept_until: datetime | None


def case_retention(
    *, case: Case, periods: rules.RetentionPeriods | None = None, now: datetime | None = None
) -> Retention:
    """When `case`'s content will be deleted, and why not if it will not be."""
    periods = periods or retention_periods()
    now = now or clock.now()
    closed = case.state == State.CLOSED and case.closed_at is not None
    consequences = closed and case_consequences_in_force(case=case, today=now.date())
    kept_until = case_kept_until(case=case) if closed else None
    expunge_at = rules.expunge_date(
        closed_at=case.closed_at if closed else None,
        severity=case.severity,
        periods=periods,
        latest_related_report_at=case_latest_related_report_at(case=case) if closed else None,
        consequences_apply=consequences,
        kept_until=kept_until,
    )
    notice_sent_at = retention_notice_at(case=case, expunge_at=expunge_at)
    return Retention(
        expunge_at=expunge_at,
        deletion_at=rules.deletion_date(expunge_at=expunge_at, notice_sent_at=notice_sent_at, now=now),
        notice_sent_at=notice_sent_at,
        closed=closed,
        consequences_apply=consequences,
        never=periods.never,
        months=rules.retention_months(severity=case.severity, periods=periods),
        kept_until=kept_until,
    )


# --- the next deadline of each case (the case list, "My cases") ------------------------------------


def next_deadlines(cases: Iterable[Case]) -> dict[int, Deadline | None]:
    """Each case's soonest open deadline by the rules (None when nothing is due: closed, or every
    promise kept), in three queries. The caller fetched `cases` through the access policy."""
    cases = [case for case in cases if case.state != State.CLOSED]
    facts = case_facts(cases)
    found: dict[int, Deadline | None] = {}
    for case in cases:
        deadlines = case_deadlines(case=case, facts=facts[case.pk])
        found[case.pk] = deadlines[0] if deadlines else None
    return found


def by_next_deadline(cases: Iterable[Case]) -> list[Case]:
    """The case list sorted by its next deadline, soonest (most overdue) first; cases with none
    last, newest first. Sets `case.next_deadline` on each (a Deadline or None)."""
    cases = with_next_deadline(cases)
    dated = sorted((c for c in cases if c.next_deadline), key=lambda c: (c.next_deadline.due_at, c.pk))
    undated = sorted((c for c in cases if not c.next_deadline), key=lambda c: c.received_at, reverse=True)
    return dated + undated


def with_next_deadline(cases: Iterable[Case]) -> list[Case]:
    """`cases` as given, each with `case.next_deadline` set (a Deadline or None)."""
    cases = list(cases)
    found = next_deadlines(cases)
    for case in cases:
        case.next_deadline = found.get(case.pk)
    return cases


def urgent_first(cases: Iterable[Case], *, now: datetime) -> list[Case]:
    """A member's cases with the urgent ones first: immediate danger reported, then an overdue
    promise; then by next deadline, then newest. Sets `case.next_deadline` and `case.overdue`."""
    cases = with_next_deadline(cases)
    for case in cases:
        case.overdue = case.next_deadline is not None and case.next_deadline.overdue(now)

    def key(case: Case) -> tuple:
        due = case.next_deadline.due_at.timestamp() if case.next_deadline else float("inf")
        return (not case.urgent, not case.overdue, due, -case.received_at.timestamp(), case.pk)

    return sorted(cases, key=key)


# --- what waits for a member: the dashboard's "Waiting for you" and the daily digest (D5) -----------


class WaitingKind:
    """What waits for a member; the order is the order of the dashboard and the digest (after
    urgent cases, which come first)."""

    OVERDUE = "overdue"  # a promise of the plan (acknowledge, decide, search update) has passed
    DECLARE = "declare"  # a new report: the conflict question
    VOTE = "vote"  # proposals the member has not voted on
    REJOIN = "rejoin"  # a member asks to take part again
    OWNERS = "owners"  # the case has no primary and secondary owner
    DUE_SOON = "due_soon"  # a promise falls due within a day
    POSTS = "posts"  # discussion posts since the member last opened the case
    CHECK_IN = "check_in"  # the six-monthly "would you like to continue?"
    TRANSPARENCY = "transparency"  # the chair: the yearly report is due

    ORDER = (OVERDUE, DECLARE, VOTE, REJOIN, OWNERS, DUE_SOON, POSTS, CHECK_IN, TRANSPARENCY)


@dataclass(frozen=True)
class Waiting:
    """One thing waiting for a member: what, on which case (its reference only), and the exact
    place to do it (a path on this site, behind login). Never anything of the report itself."""

    kind: str
    path: str
    reference: str = ""  # "" for the member's own (check-in, transparency report)
    count: int = 1
    urgent: bool = False  # immediate danger was reported on the case
    due_at: datetime | None = None  # overdue / due soon: when it was or is due
    rule: str = ""  # overdue / due soon: the rule's label ("Acknowledge the report within 24 hours")
    since: datetime | None = None  # when it started waiting (for the order)
    in_digest: bool = True  # the member's own reminders go into the digest once a week only

    @property
    def text(self) -> str:
        """What waits, in plain words, with no detail of any report (the dashboard and the digest
        add the reference, the link and, for a promise, when it was or is due)."""
        n = self.count
        match self.kind:
            case WaitingKind.OVERDUE | WaitingKind.DUE_SOON | WaitingKind.CHECK_IN | WaitingKind.TRANSPARENCY:
                return self.rule
            case WaitingKind.DECLARE if self.urgent:
                return str(_("Someone may be in danger. Do you have a conflict of interest?"))
            case WaitingKind.DECLARE:
                return str(_("A new report. Do you have a conflict of interest?"))
            case WaitingKind.VOTE:
                return ngettext("A proposal waits for your vote", "%(n)s proposals wait for your vote", n) % {
                    "n": n
                }
            case WaitingKind.REJOIN:
                return ngettext(
                    "A member asks to take part again", "%(n)s members ask to take part again", n
                ) % {"n": n}
            case WaitingKind.OWNERS:
                return str(_("Needs a primary and a secondary incident owner"))
            case _:
                return ngettext(
                    "A new post in the discussion since your last visit",
                    "%(n)s new posts in the discussion since your last visit",
                    n,
                ) % {"n": n}


CHECK_IN_ASKED = _("Your six-monthly check-in: would you like to continue on the committee?")
TRANSPARENCY_DUE = _("The yearly transparency report is due")


def _case_path(reference: str, anchor: str = "") -> str:
    path = reverse("cases:detail", kwargs={"reference": reference})
    return f"{path}#{anchor}" if anchor else path


def waiting_for(*, member: Member, now: datetime) -> list[Waiting]:
    """Everything waiting for `member`, urgent cases first: declarations to make, votes to cast,
    rejoin requests to agree to, cases without owners, promises overdue or due within a day (on
    cases they own, or on cases without owners), discussion posts since their last visit, their
    check-in and (a chair) the transparency report.

    Only cases the member may see: those they take part in and, for the conflict question, open
    reports they have not answered (`access`): a member conflicted on a case never finds it here,
    not even in a count. Closed cases wait for nothing but unread posts."""
    if not (member.is_active and member.role in COMMITTEE_ROLES):
        return []
    taking_part = list(
        access.cases_taking_part(member).defer(*encrypted_fields(Case)).order_by("received_at", "pk")
    )
    open_cases = [case for case in taking_part if case.state != State.CLOSED]
    found = [
        *_declarations_waiting(member),
        *_votes_waiting(member, open_cases),
        *_rejoins_waiting(open_cases),
        *_owners_waiting(open_cases),
        *_promises_waiting(member, open_cases, now),
        *_posts_waiting(member, taking_part),
        *_own_waiting(member, now),
    ]
    return sorted(found, key=_waiting_order)


def _waiting_order(item: Waiting) -> tuple:
    when = item.due_at or item.since
    return (
        not item.urgent,
        WaitingKind.ORDER.index(item.kind),
        when.timestamp() if when else 0,
        item.reference,
    )


def _declarations_waiting(member: Member) -> list[Waiting]:
    cases = (
        access.cases_awaiting_declaration_of(member)
        .exclude(state=State.CLOSED)
        .defer(*encrypted_fields(Case))
    )
    return [
        Waiting(
            kind=WaitingKind.DECLARE,
            path=_case_path(case.reference, "declare"),
            reference=case.reference,
            urgent=case.urgent,
            since=case.received_at,
        )
        for case in cases.order_by("received_at", "pk")
    ]


def _votes_waiting(member: Member, cases: list[Case]) -> list[Waiting]:
    """Open proposals without the member's vote, except alternatives on a question they already
    said yes to (a yes goes to one answer per question, D4)."""
    open_proposals = Proposal.objects.filter(case__in=cases, status=ProposalStatus.OPEN)
    answered = set(
        open_proposals.filter(votes__member=member, votes__choice=VoteChoice.YES).values_list(
            "case_id", "round", "kind"
        )
    )
    proposals = (
        open_proposals.exclude(votes__member=member)
        .order_by("created_at", "pk")
        .values_list("case_id", "round", "kind", "pk", "created_at")
    )
    waiting = (
        (case_id, pk, at)
        for case_id, round_, kind, pk, at in proposals
        if (case_id, round_, kind) not in answered
    )
    return _first_per_case(cases, waiting, kind=WaitingKind.VOTE, anchor="proposal")


def _first_per_case(
    cases: list[Case], rows: Iterable[tuple[int, int, datetime]], *, kind: WaitingKind, anchor: str
) -> list[Waiting]:
    """One line per case from `rows` of (case id, item id, time), oldest first: how many wait, since
    when, and a link to the first of them (`#<anchor>-<item id>` on the case page)."""
    by_case: dict[int, list[tuple[int, datetime]]] = {}
    for case_id, item, at in rows:
        by_case.setdefault(case_id, []).append((item, at))
    return [
        Waiting(
            kind=kind,
            path=_case_path(case.reference, f"{anchor}-{by_case[case.pk][0][0]}"),
            reference=case.reference,
            count=len(by_case[case.pk]),
            urgent=case.urgent,
            since=by_case[case.pk][0][1],
        )
        for case in cases
        if case.pk in by_case
    ]


def _rejoins_waiting(cases: list[Case]) -> list[Waiting]:
    requests = (
        ConflictDeclaration.objects.filter(
            case__in=cases, has_conflict=True, rejoin_requested_at__isnull=False
        )
        .order_by("rejoin_requested_at", "pk")
        .values_list("case_id", "member_id", "rejoin_requested_at")
    )
    return _first_per_case(cases, requests, kind=WaitingKind.REJOIN, anchor="rejoin")


def _owners_of(cases: list[Case]) -> dict[int, set[int]]:
    """The active owners of each case (ownership ends when an owner leaves the case)."""
    owners: dict[int, set[int]] = {case.pk: set() for case in cases}
    rows = IncidentOwner.objects.filter(case__in=cases, member__is_active=True).values_list(
        "case_id", "member_id"
    )
    for case_id, member_id in rows:
        owners[case_id].add(member_id)
    return owners


def _owners_waiting(cases: list[Case]) -> list[Waiting]:
    owners = _owners_of(cases)
    return [
        Waiting(
            kind=WaitingKind.OWNERS,
            path=_case_path(case.reference, "owners"),
            reference=case.reference,
            urgent=case.urgent,
            since=case.received_at,
        )
        for case in cases
        if len(owners[case.pk]) < OWNERS_NEEDED
    ]


def _promises_waiting(member: Member, cases: list[Case], now: datetime) -> list[Waiting]:
    """The plan's promises overdue or due within a day, for the member the old reminders went to:
    a case's owners; on a case without owners, every member taking part (`access.members_to_remind`)."""
    owners = _owners_of(cases)
    mine = [case for case in cases if not owners[case.pk] or member.pk in owners[case.pk]]
    facts = case_facts(mine)
    found = []
    for case in mine:
        for deadline in case_deadlines(case=case, facts=facts[case.pk]):
            if not rules.is_due_soon(due_at=deadline.due_at, now=now):
                continue
            overdue = deadline.overdue(now)
            found.append(
                Waiting(
                    kind=WaitingKind.OVERDUE if overdue else WaitingKind.DUE_SOON,
                    path=reverse("deadlines:case", kwargs={"reference": case.reference}) + "#due",
                    reference=case.reference,
                    urgent=case.urgent,
                    due_at=deadline.due_at,
                    rule=deadline.label,
                )
            )
    return found


def _posts_waiting(member: Member, cases: list[Case]) -> list[Waiting]:
    """Discussion posts by other members since the member last opened the case (all of them if
    never)."""
    seen = dict(CaseVisit.objects.filter(member=member, case__in=cases).values_list("case_id", "seen_at"))
    new = Q(pk__in=[])
    for case in cases:
        since = seen.get(case.pk)
        new |= Q(case=case, created_at__gt=since) if since else Q(case=case)
    posts = (
        DiscussionPost.objects.filter(new, author__isnull=False)  # not the plan's opening line
        .exclude(author=member)
        .order_by("created_at", "pk")
        .values_list("case_id", "pk", "created_at")
    )
    return _first_per_case(cases, posts, kind=WaitingKind.POSTS, anchor="post")


def _own_waiting(member: Member, now: datetime) -> list[Waiting]:
    """The member's own: the check-in once due, and for a chair the transparency report once due.
    They stay on the dashboard until done; the digest mentions them once a week."""
    found = []
    for deadline in member_deadlines(member=member):
        if not deadline.overdue(now):
            continue
        if deadline.rule == Rule.CHECK_IN:
            kind, path, label = WaitingKind.CHECK_IN, reverse("deadlines:check_in"), CHECK_IN_ASKED
        else:
            kind, path, label = WaitingKind.TRANSPARENCY, reverse("transparency:index"), TRANSPARENCY_DUE
        found.append(
            Waiting(
                kind=kind,
                path=path,
                due_at=deadline.due_at,
                rule=str(label),
                in_digest=rules.weekly_reminder_today(due_at=deadline.due_at, now=now),
            )
        )
    return found
