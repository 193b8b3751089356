"""A report's year: from 1 January 00:00 to the next 1 January, in the site's time zone."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first moment of `year` and of the year after (the end is not part of the year)."""
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def year_is_over(year: int, *, now: datetime) -> bool:
    return now >= year_bounds(year)[1]
