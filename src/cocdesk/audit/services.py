"""Writing to the audit log. Every service that reads or changes case data calls `audit_record`."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.db.models import F

from cocdesk import clock
from cocdesk.audit.anchors import SignedHead, head_sign
from cocdesk.audit.models import GENESIS_HASH, AuditEntry, AuditHead


def actor_label(user: object | None) -> str:
    """How an actor is named in the log: an account id, never a name or an address."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "public"
    return f"member:{user.pk}"


def entry_hash(entry: AuditEntry) -> str:
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    message = "|".join(
        [str(entry.seq), at, entry.actor, entry.action, entry.object_type, entry.object_id, entry.prev_hash]
    )
    return hmac.new(settings.AUDIT_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _lock_head() -> AuditHead:
    # An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before anything is read.
    if not AuditHead.objects.filter(pk=1).update(seq=F("seq") + 1):
        AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "last_hash": GENESIS_HASH})
        AuditHead.objects.filter(pk=1).update(seq=F("seq") + 1)
    return AuditHead.objects.get(pk=1)


def audit_record(
    *,
    actor: object | str | None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
) -> AuditEntry:
    """Append one entry. Runs inside the caller's transaction, so it commits or rolls back with it.

    `actor` is a user, None for the public, or a label such as "system". Pass either `target`
    (a model instance) or `object_type` and `object_id`. Never pass confidential text.
    """
    if target is not None:
        object_type, object_id = target._meta.model_name, target.pk
    with transaction.atomic():
        head = _lock_head()
        entry = AuditEntry(
            seq=head.seq,
            at=clock.now(),
            actor=actor if isinstance(actor, str) else actor_label(actor),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_hash=entry.hash)
    return entry


def audit_record_many(*, actor: object | str | None, action: str, targets: list[models.Model]) -> None:
    """Append one entry per target, in order, with one lock of the head and one INSERT: a change
    that touches many rows at once (escrow matches) costs the same statements however many.
    Inside the caller's transaction, like `audit_record`."""
    if not targets:
        return
    with transaction.atomic():
        if not AuditHead.objects.filter(pk=1).update(seq=F("seq") + len(targets)):
            AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "last_hash": GENESIS_HASH})
            AuditHead.objects.filter(pk=1).update(seq=F("seq") + len(targets))
        head = AuditHead.objects.get(pk=1)
        label = actor if isinstance(actor, str) else actor_label(actor)
        at, previous, entries = clock.now(), head.last_hash, []
        for seq, target in enumerate(targets, start=head.seq - len(targets) + 1):
            entry = AuditEntry(
                seq=seq,
                at=at,
                actor=label,
                action=action,
                object_type=target._meta.model_name,
                object_id=str(target.pk),
                prev_hash=previous,
            )
            entry.hash = previous = entry_hash(entry)
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries)
        AuditHead.objects.filter(pk=1).update(last_hash=previous)


def audit_anchor_append(*, path: Path, seq: int, hash: str) -> SignedHead:
    """Sign the head (entry #`seq`, `hash`, now) and append it as one line to the anchor file `path`.

    Side effects: the file is created readable by its owner only if it does not exist; the line is
    written with one append and flushed to disk before this returns. Nothing in the database.
    The caller has verified the chain up to that entry (`audit.selectors`).
    """
    head = head_sign(seq=seq, hash=hash, at=clock.now())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (head.line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return head
