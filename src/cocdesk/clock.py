"""The one source of "now" (D5, D10).

Every rule that depends on time asks `now()`. Tests and `cocdesk tick --now` set the time with
`frozen(...)`; nothing sleeps to make time pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.utils import timezone

_frozen_at: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware (UTC), or the frozen time if one is set."""
    return _frozen_at if _frozen_at is not None else timezone.now()


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at `moment` (None unfreezes). Process-wide, so live-server threads see it too."""
    global _frozen_at
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("The clock needs a timezone-aware time.")
    _frozen_at = moment


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Run a block with the clock frozen at `moment`."""
    previous = _frozen_at
    set_now(moment)
    try:
        yield moment
    finally:
        set_now(previous)


def parse(value: str) -> datetime:
    """Parse an ISO 8601 time as given to `--now`; a time without offset is taken as UTC."""
    moment = datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment
