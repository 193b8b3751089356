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


# --- threading (docs/architecture.md, "Mail") -----------------------------------------------------------

# Mail to a case's reporter: a reply naming one of these Message-IDs belongs on the case. Mail to
# members never threads anything (a member answering a notice is not the reporter).
REPORTER_KINDS = frozenset({"reporter_confirmation", "reporter_message", "reporter_ping"})
MAX_REFERENCES = 10  # our own Message-IDs named in References of the next email


def _bracketed(message_id: str) -> str:
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def reporter_mail_case(*, message_ids: list[str]) -> object | None:
    """The case whose reporter was sent one of `message_ids` (as In-Reply-To and References name
    them, with or without angle brackets), the most recent such mail first; None if none was ours."""
    if not message_ids:
        return None
    found = (
        OutboxMessage.objects.filter(
            kind__in=REPORTER_KINDS,
            message_id__in={_bracketed(i) for i in message_ids},
            case__isnull=False,
            case__expunged_at__isnull=True,
            recipient_member__isnull=True,
        )
        .select_related("case")
        .order_by("-created_at", "-pk")
        .first()
    )
    return found.case if found is not None else None


def reporter_mail_ids(*, case: object) -> list[str]:
    """Our Message-IDs of the mail sent (or queued) to `case`'s reporter, oldest first, at most the
    last MAX_REFERENCES: the References of the next one."""
    ids = (
        OutboxMessage.objects.filter(case=case, kind__in=REPORTER_KINDS, recipient_member__isnull=True)
        .exclude(message_id="")
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)[:MAX_REFERENCES]
    )
    return list(reversed(ids))
