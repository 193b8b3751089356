"""Small template helpers for cocdesk's own pages."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def receipt_groups(code: str) -> SafeString:
    """A receipt code in groups of four that never break inside a group on a narrow screen
    (a line may break only after a dash)."""
    return format_html_join(
        mark_safe("-<wbr>"),
        '<span class="code-group">{}</span>',
        ((group,) for group in str(code).split("-")),
    )


# One way to show a date (issue 17): the locale's own formats, in the site's time zone; deadlines also
# name the time zone, so "due at 9:00" is never read in the wrong one.


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def day(value: date | datetime | None) -> str:
    """The day, in the locale's date format ("Nov. 27, 2026" in English)."""
    if not value:
        return ""
    return formats.date_format(_local(value), "DATE_FORMAT")


@register.filter
def moment(value: date | datetime | None) -> str:
    """The day and, for a date and time, the time ("Nov. 27, 2026, 4:50 p.m.")."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return day(value)
    local = _local(value)
    return f"{formats.date_format(local, 'DATE_FORMAT')}, {formats.time_format(local, 'TIME_FORMAT')}"


@register.filter
def deadline(value: date | datetime | None) -> str:
    """A deadline: the moment with its time zone ("Nov. 27, 2026, 4:50 p.m. UTC")."""
    if not isinstance(value, datetime):
        return day(value)
    return f"{moment(value)} {_local(value).tzname() or ''}".strip()
