"""Signed chain heads, kept outside the database (D9).

Someone with write access to the database but without COCDESK_AUDIT_KEY cannot edit or insert audit
entries without breaking the chain, but they can delete the newest entries and wind the head row
back: what is left is a shorter chain that still holds. An *anchor* is the head at some moment (its
sequence number and hash, and when), signed with the audit key and kept where the database's users
cannot write. A later chain that lacks the anchored entry, or holds another entry in its place, has
lost entries.

One anchor is one line of JSON, so a file of them is a log: `cocdesk tick` appends one a day to
`COCDESK_DATA_DIR/audit-anchors.log`, `cocdesk audit verify --anchor FILE` checks and appends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from cocdesk.errors import Refused


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def head_mac(*, seq: int, hash: str, at: datetime) -> str:
    """HMAC (COCDESK_AUDIT_KEY) over the head's sequence number, hash and time. The prefix keeps it
    from ever equalling an entry's hash."""
    message = f"cocdesk-audit-anchor|{seq}|{hash}|{_moment(at)}"
    return hmac.new(settings.AUDIT_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedHead:
    """The chain's head at `at`: entry #`seq` (0: no entries yet) had hash `hash`."""

    seq: int
    hash: str
    at: datetime
    mac: str

    @property
    def line(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": _moment(self.at), "mac": self.mac},
            separators=(", ", ": "),
        )

    @property
    def when(self) -> str:
        return f"{self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def head_sign(*, seq: int, hash: str, at: datetime) -> SignedHead:
    return SignedHead(seq=seq, hash=hash, at=at, mac=head_mac(seq=seq, hash=hash, at=at))


def anchors_parse(text: str, *, source: str) -> list[SignedHead]:
    """Every signed head in `text` (blank lines skipped). Refused, naming the line, if a line is not
    a signed head or was not signed with this audit key (edited, or from another installation)."""
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            at = datetime.fromisoformat(data["at"])
            head = SignedHead(seq=int(data["seq"]), hash=str(data["hash"]), at=at, mac=str(data["mac"]))
            if at.tzinfo is None or head.seq < 0:
                raise ValueError(line)
        except (ValueError, KeyError, TypeError) as exc:
            message = f"Line {number} of {source} is not a signed audit head."
            raise Refused(message, code="audit_anchor") from exc
        if not hmac.compare_digest(head.mac, head_mac(seq=head.seq, hash=head.hash, at=head.at)):
            raise Refused(
                f"Line {number} of {source} is not signed with this COCDESK_AUDIT_KEY: it was changed, "
                "or it belongs to another installation.",
                code="audit_anchor",
            )
        heads.append(head)
    return heads
