"""Reads for intake: the report form's choices, the receipt-code portal and events."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.db.models import QuerySet

from cocdesk import clock
from cocdesk.cases.models import AttachmentSource, Case, Message
from cocdesk.errors import database_unavailable
from cocdesk.intake.models import Event, InboundEmail
from cocdesk.members.selectors import committee_members
from cocdesk.receipts import receipt_hash


@dataclass(frozen=True)
class ReportChoices:
    """The public form's optional lists as (id, label); None when they could not be read."""

    events: list[tuple[int, str]] | None
    members: list[tuple[int, str]] | None


_last_good_choices: list[ReportChoices] = []  # this process's memory: the shared cache may be down too


def report_form_choices() -> ReportChoices:
    """The events and the members a reporter may exclude. During a database outage: the last good
    read (kept in this process's memory, not the shared cache: the database cache is down with the
    database), or None for both, so the form still renders without them."""
    try:
        choices = ReportChoices(
            events=[(event.pk, str(event)) for event in Event.objects.all()],
            members=[(member.pk, str(member)) for member in committee_members()],
        )
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        return _last_good_choices[-1] if _last_good_choices else ReportChoices(events=None, members=None)
    _last_good_choices[:] = [choices]
    return choices


def case_by_receipt_code(*, code: str) -> Case | None:
    """The case a receipt code belongs to, or None. Sealed cases answer too: the reporter may check."""
    if not code.strip():
        return None
    return Case.objects.filter(receipt_hash=receipt_hash(code), expunged_at__isnull=True).first()


def case_in_portal(*, case_id: object) -> Case | None:
    """The case a receipt-code session was opened for, while its content still exists."""
    if not isinstance(case_id, int):
        return None
    return Case.objects.filter(pk=case_id, expunged_at__isnull=True).first()


def portal_messages(*, case: Case) -> QuerySet[Message]:
    """What the reporter may read: every message to and from them (not the members' records of
    having told them by phone or in person), nothing else of the case."""
    return case.messages.filter(told="").order_by("created_at", "pk")


@dataclass(frozen=True)
class Submission:
    """What the reporter sent us, as they can read it back in the portal: their own words and the
    names of their files. Nothing the committee added."""

    description: str
    occurred_when: str
    occurred_where: str
    event: str
    files: list[str]


def portal_submission(*, case: Case) -> Submission:
    files = case.attachments.filter(source=AttachmentSource.REPORTER).order_by("created_at", "pk")
    return Submission(
        description=case.description,
        occurred_when=case.occurred_when,
        occurred_where=case.occurred_where,
        event=case.event.name if case.event_id else "",
        files=[attachment.original_name for attachment in files],
    )


@dataclass(frozen=True)
class SafetyInfo:
    """Who to call when someone is in danger (D2): the event's numbers, else the site's default."""

    emergency_number: str
    venue_security: str
    safety_contact: str
    event_name: str = ""


def safety_info(*, event: Event | None) -> SafetyInfo:
    if event is None:
        return SafetyInfo(emergency_number=settings.EMERGENCY_NUMBERS, venue_security="", safety_contact="")
    return SafetyInfo(
        emergency_number=event.emergency_number or settings.EMERGENCY_NUMBERS,
        venue_security=event.venue_security,
        safety_contact=event.safety_contact,
        event_name=event.name,
    )


def event_by_id(*, event_id: object) -> Event | None:
    return Event.objects.filter(pk=event_id).first() if isinstance(event_id, int) else None


def responder_event(*, events: QuerySet[Event]) -> Event | None:
    """The event an event responder's intake form starts with: the one going on today, else the
    next one, else the latest."""
    today = clock.now().date()
    return (
        events.filter(starts_on__lte=today, ends_on__gte=today).order_by("starts_on").first()
        or events.filter(starts_on__gt=today).order_by("starts_on").first()
        or events.order_by("-ends_on").first()
    )


def reporter_email_ids(*, case: Case, limit: int = 5) -> list[str]:
    """The Message-IDs of the reporter's own emails on `case` (the one that opened it, then replies
    from the address on the case), oldest first, at most `limit`: our next email to them answers
    the newest (In-Reply-To), so their mail program shows one conversation."""
    opening = (case.intake_details or {}).get("message_id", "")
    replies = InboundEmail.objects.filter(case=case).order_by("-received_at", "-pk")[: limit * 4]
    ids = [e.details.get("message_id", "") for e in replies if e.details.get("from_case_address")]
    found = [i for i in reversed(ids) if i]
    return list(dict.fromkeys([opening, *found] if opening else found))[-limit:]
