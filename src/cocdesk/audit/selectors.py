"""Reading the audit log: verifying the chain."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cocdesk.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from cocdesk.audit.services import entry_hash


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    entries: int
    broken_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH


def audit_verify() -> ChainCheck:
    """Walk the chain from the first entry; stop at the first entry that does not hold."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            where = expected_seq if entry.seq > expected_seq else entry.seq
            return ChainCheck(False, count, where, f"entry #{expected_seq} is missing or out of order")
        if entry.prev_hash != prev_hash:
            return ChainCheck(False, count, entry.seq, "its link to the previous entry does not match")
        if not hmac.compare_digest(entry.hash, entry_hash(entry)):
            return ChainCheck(False, count, entry.seq, "its contents do not match its hash")
        expected_seq, prev_hash, count = expected_seq + 1, entry.hash, count + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.last_hash) != (count, prev_hash):
        return ChainCheck(False, count, count + 1, "entries after this point were removed")
    return ChainCheck(True, count, head_hash=prev_hash)
