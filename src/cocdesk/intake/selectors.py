"""Reads for intake: the receipt-code portal and events."""

from __future__ import annotations

from django.db.models import QuerySet

from cocdesk.cases.models import Case, Message
from cocdesk.receipts import receipt_hash


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
