"""Reads for intake: the report form's choices, the receipt-code portal and events."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import QuerySet

from cocdesk.cases.models import Case, Message
from cocdesk.errors import database_unavailable
from cocdesk.intake.models import Event
from cocdesk.members.selectors import committee_members
from cocdesk.receipts import receipt_hash

CHOICES_CACHE_KEY = "cocdesk:report-form-choices"


@dataclass(frozen=True)
class ReportChoices:
    """The public form's optional lists as (id, label); None when they could not be read."""

    events: list[tuple[int, str]] | None
    members: list[tuple[int, str]] | None


def report_form_choices() -> ReportChoices:
    """The events and the members a reporter may exclude. During a database outage: the last good
    read (kept in this process's cache), or None for both, so the form still renders without them."""
    try:
        choices = ReportChoices(
            events=[(event.pk, str(event)) for event in Event.objects.all()],
            members=[(member.pk, str(member)) for member in committee_members()],
        )
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        return cache.get(CHOICES_CACHE_KEY) or ReportChoices(events=None, members=None)
    cache.set(CHOICES_CACHE_KEY, choices, timeout=None)
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
    """What the reporter may read: every message to and from them, nothing else of the case."""
    return case.messages.order_by("created_at", "pk")
