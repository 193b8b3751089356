"""Small-number protection (D6): every count under `settings.SMALL_NUMBER_THRESHOLD` (default 3) is
shown as "fewer than 3", in the public report and in the committee's statistics alike. In a small
community a count of one or two, next to a type, a month or a channel, can tell who was involved."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _


def threshold() -> int:
    return max(1, int(settings.SMALL_NUMBER_THRESHOLD))


@dataclass(frozen=True)
class Shown:
    """A count as it may be shown: `text` always; `value` is the count when it may be shown, and 0
    when it is `small` (the count itself is not kept, so no template or chart can show it)."""

    value: int
    small: bool
    text: str

    def as_json(self) -> int | str:
        """For a stored snapshot: the count, or "small" (its value is not kept)."""
        return "small" if self.small else self.value

    @classmethod
    def from_json(cls, stored: int | str, *, limit: int) -> Shown:
        if stored == "small":
            return cls(value=0, small=True, text=fewer_than(limit))
        return cls(value=int(stored), small=False, text=str(stored))


def fewer_than(limit: int) -> str:
    return _("fewer than %(n)s") % {"n": limit}


def protect(n: int, *, limit: int | None = None) -> Shown:
    """`n` as it may be shown: zero and counts at or above the threshold as they are, the others
    as "fewer than 3" (zero tells nothing about anyone)."""
    limit = threshold() if limit is None else limit
    if 0 < n < limit:
        return Shown(value=0, small=True, text=fewer_than(limit))
    return Shown(value=n, small=False, text=str(n))
