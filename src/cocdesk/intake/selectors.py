"""Reads for intake: the report form's choices, the receipt-code portal and events."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import QuerySet

from cocdesk.cases.models import Case, Message
from cocdesk.errors import database_unavailable
from cocdesk.intake.models import Event
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
    """What the reporter may read: every message to and from them, nothing else of the case."""
    return case.messages.order_by("created_at", "pk")
