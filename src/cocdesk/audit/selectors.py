"""Reading the audit log: verifying the chain, against its head row and against anchors (D9)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Max

from cocdesk.audit.anchors import SignedHead, anchors_parse
from cocdesk.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from cocdesk.audit.services import entry_hash


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    entries: int  # the sequence number of the last entry that holds (entries are numbered from 1)
    broken_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH


def audit_verify(*, anchors: Sequence[SignedHead] = ()) -> ChainCheck:
    """Walk the whole chain from the first entry and stop at the first entry that does not hold; then
    compare the head row, then every anchor (a head signed earlier and kept outside the database).

    Without anchors, the newest entries deleted *and* the head row wound back leave a shorter chain
    that holds: only an anchor shows that entries are missing."""
    head = AuditHead.objects.filter(pk=1).first()  # read first: entries written during the walk are newer
    wanted = {a.seq for a in anchors} | ({head.seq} if head else set())
    check, seen = _walk(after=0, prev_hash=GENESIS_HASH, wanted=wanted)
    if not check.intact:
        return check
    return _against_head(check, head, seen) or _against_anchors(check, anchors, seen) or check


def audit_verify_since(*, anchor: SignedHead) -> ChainCheck:
    """The entries written since `anchor` (a head already checked once): the anchored entry must still
    be there, unchanged, and every entry after it must hold. What `tick` checks before it anchors
    the head again, so a log cut short since yesterday is never anchored."""
    head = AuditHead.objects.filter(pk=1).first()
    seen: dict[int, str] = {0: GENESIS_HASH}
    if anchor.seq:
        entry = AuditEntry.objects.filter(seq=anchor.seq).first()
        if entry is None:
            last = AuditEntry.objects.aggregate(last=Max("seq"))["last"] or 0
            if last < anchor.seq:
                return _missing(last, anchor)
            reason = f"entry #{anchor.seq} is missing or out of order"
            return ChainCheck(False, anchor.seq - 1, anchor.seq, reason)
        if entry.hash != anchor.hash or not hmac.compare_digest(entry.hash, entry_hash(entry)):
            return _replaced(anchor.seq - 1, anchor)
        seen[anchor.seq] = entry.hash
    walked, more = _walk(after=anchor.seq, prev_hash=seen[anchor.seq], wanted={head.seq} if head else set())
    seen.update(more)
    if not walked.intact:
        return walked
    return _against_head(walked, head, seen) or walked


def anchors_read(*, path: Path) -> list[SignedHead]:
    """The signed heads in an anchor file (none if it does not exist yet). Refused if a line is not
    one; OSError if the file cannot be read."""
    if not path.exists():
        return []
    return anchors_parse(path.read_text(encoding="utf-8"), source=str(path))


def _walk(*, after: int, prev_hash: str, wanted: set[int]) -> tuple[ChainCheck, dict[int, str]]:
    """Entries after #`after`, in order, each linked to the one before and hashed with the key.
    Returns the check and the hashes of the `wanted` entries seen on the way."""
    expected_seq, last, seen = after + 1, after, {0: GENESIS_HASH}
    for entry in AuditEntry.objects.filter(seq__gt=after).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            where = expected_seq if entry.seq > expected_seq else entry.seq
            return ChainCheck(False, last, where, f"entry #{expected_seq} is missing or out of order"), seen
        if entry.prev_hash != prev_hash:
            return ChainCheck(False, last, entry.seq, "its link to the previous entry does not match"), seen
        if not hmac.compare_digest(entry.hash, entry_hash(entry)):
            return ChainCheck(False, last, entry.seq, "its contents do not match its hash"), seen
        if entry.seq in wanted:
            seen[entry.seq] = entry.hash
        expected_seq, prev_hash, last = expected_seq + 1, entry.hash, entry.seq
    return ChainCheck(True, last, head_hash=prev_hash), seen


def _against_head(check: ChainCheck, head: AuditHead | None, seen: dict[int, str]) -> ChainCheck | None:
    """The head row records the newest entry at the time it was read; None when it agrees."""
    if head is None:
        if check.entries:
            return ChainCheck(
                False,
                check.entries,
                check.entries,
                "the head row, which records the newest entry, is missing: entries may have been removed",
            )
        return None
    if head.seq > check.entries:
        return ChainCheck(False, check.entries, check.entries + 1, "entries after this point were removed")
    if seen.get(head.seq) != head.last_hash:
        return ChainCheck(
            False, check.entries, head.seq, "the head row does not match this entry: the log was rewritten"
        )
    return None


def _against_anchors(
    check: ChainCheck, anchors: Sequence[SignedHead], seen: dict[int, str]
) -> ChainCheck | None:
    """Every anchored entry must still be there, with the hash it had; None when they all are."""
    if not anchors:
        return None
    newest = max(anchors, key=lambda a: (a.seq, a.at))
    if newest.seq > check.entries:
        return _missing(check.entries, newest)
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if seen.get(anchor.seq) != anchor.hash:
            return _replaced(check.entries, anchor)
    return None


def _replaced(last: int, anchor: SignedHead) -> ChainCheck:
    return ChainCheck(
        False,
        last,
        anchor.seq,
        f"entry #{anchor.seq} is not the entry anchored {anchor.when}: "
        "the log was replaced from this entry on, or before it",
    )


def _missing(last: int, anchor: SignedHead) -> ChainCheck:
    first = last + 1
    span = f"entry #{first} is" if first == anchor.seq else f"entries #{first} to #{anchor.seq} are"
    return ChainCheck(
        False,
        last,
        first,
        f"{span} missing: the anchor of {anchor.when} recorded the log up to entry #{anchor.seq}",
    )
