"""Reads of the outbox: the failed-mail list on the dashboard (D12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from cocdesk import access
from cocdesk.outbox.models import OutboxMessage, Status

# Notices whose kind alone tells of a confidential process: they are listed under a neutral label.
COMMITTEE_KINDS = frozenset({"removal_opened", "offboarding_started", "offboarding_notice"})
SEALED_KINDS = frozenset({"escrow_match"})  # a sealed report matched: for members free on both only


@dataclass(frozen=True)
class DeadMail:
    """One message that could not be sent, as the dashboard lists it."""

    label: str  # the notice's kind, or a neutral label for a confidential one
    reference: str  # the case's reference, or ""
    recipient: str  # the member it was for, or "" (never an address)
    created_at: datetime
    last_error: str


def outbox_dead_for(user: object) -> list[DeadMail]:
    """Messages that could not be sent after every retry, as far as `user` may know of them.

    The chair sees every message but those of cases they are conflicted on and those about a
    confidential process concerning themself; a member taking part in a case sees that case's
    messages; nobody else sees any. Never the member a message is about (a removal discussion, an
    off-boarding), and a confidential process never by its kind.
    """
    if not access.is_committee_member(user):
        return []
    dead = OutboxMessage.objects.filter(status=Status.DEAD).exclude(about_member=user)
    if access.is_chair(user):
        known = access.cases_visible_to(user) | access.cases_awaiting_declaration_by(user)
        dead = dead.filter(Q(case__isnull=True) | Q(case__in=known.values("pk")))
    else:
        dead = dead.filter(case__in=access.cases_visible_to(user).values("pk"))
    rows = dead.select_related("case", "recipient_member").only(
        "kind", "created_at", "last_error", "case__reference", "recipient_member__name"
    )
    return [
        DeadMail(
            label=_dead_label(message.kind),
            reference=message.case.reference if message.case else "",
            recipient=message.recipient_member.name if message.recipient_member else "",
            created_at=message.created_at,
            last_error=message.last_error,
        )
        for message in rows
    ]


def _dead_label(kind: str) -> str:
    if kind in COMMITTEE_KINDS:
        return _("a message about the committee")
    if kind in SEALED_KINDS:
        return _("a confidential message")
    return kind
