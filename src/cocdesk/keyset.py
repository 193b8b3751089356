"""Keyset pagination for every list (issue 15): pages of `PAGE_SIZE` rows sorted by indexed columns.

A page starts after the last row of the one before, named by its sort values in the `after` token
(`WHERE (received_at, id) < (…)`, as an index walks), never by an OFFSET: the tenth page costs what
the first does, and no page counts the total. The token holds only sort values of a row the reader
was shown (a time, a state, a reference, an id); a token that does not parse is the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """The rows of one page, and the token of the next (empty on the last page)."""

    rows: list
    next_after: str
    is_first: bool

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


def _encode(values: list[Any]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str, length: int) -> list[Any] | None:
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values = [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in plain]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(plain, list) or len(values) != length:
        return None
    if not all(isinstance(v, datetime | str | int) and not isinstance(v, bool) for v in values):
        return None
    return values


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `order`: (a > x) or (a = x and b > y) or …, "<" for "-a"."""
    after, equal = Q(), Q()
    for field, value in zip(order, values, strict=True):
        name = field.lstrip("-")
        after |= equal & Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": value})
        equal &= Q(**{name: value})
    return after


def _value(row: Any, field: str) -> Any:
    return getattr(row, field.lstrip("-"))


def page_of(queryset: QuerySet, *, order: tuple[str, ...], after: str = "", size: int = PAGE_SIZE) -> Page:
    """One page of `queryset` in `order`, which must end with a unique column (the primary key)
    so that no two rows share a place. One query (plus the queryset's own prefetches)."""
    values = _decode(after, len(order)) if after else None
    if values is not None:
        queryset = queryset.filter(_after(order, values))
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    token = _encode([_value(rows[-1], f) for f in order]) if more else ""
    return Page(rows=rows, next_after=token, is_first=values is None)
