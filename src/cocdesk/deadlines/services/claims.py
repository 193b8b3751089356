"""Claiming a deadline action once (D5): the unique key that makes `tick` idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from cocdesk import clock
from cocdesk.deadlines.models import DeadlineAction

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


def action_claim(*, key: str, rule: str, case: Case | None = None, member: Member | None = None) -> bool:
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
