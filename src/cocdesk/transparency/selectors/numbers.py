"""Small-number protection (D6): every count under `settings.SMALL_NUMBER_THRESHOLD` (default 3) is
shown as "fewer than 3", in the public report and in the committee's statistics alike. In a small
community a count of one or two, next to a type, a month or a channel, can tell who was involved.

In a table with totals (`protect_grid`), a hidden count could be worked out by subtracting the
others from the total; so more counts are hidden ("not shown") until none can be."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy


def threshold() -> int:
    return max(1, int(settings.SMALL_NUMBER_THRESHOLD))


@dataclass(frozen=True)
class Shown:
    """A count as it may be shown: `text` always; `value` is the count when it may be shown, and 0
    when it is hidden (`small`: under the threshold, or `hidden` so that a small one cannot be
    worked out). The count itself is not kept, so no template or chart can show it."""

    value: int
    small: bool  # not shown (under the threshold, or hidden)
    text: str
    hidden: bool = False  # not shown although it is not small

    def as_json(self) -> int | str:
        """For a stored snapshot: the count, or "small" / "hidden" (its value is not kept)."""
        if self.small:
            return "hidden" if self.hidden else "small"
        return self.value

    @classmethod
    def from_json(cls, stored: int | str, *, limit: int) -> Shown:
        if stored == "small":
            return cls(value=0, small=True, text=fewer_than(limit))
        if stored == "hidden":
            return HIDDEN
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


HIDDEN = Shown(value=0, small=True, text=_lazy("not shown"), hidden=True)


def protect_grid(counts: list[list[int]]) -> tuple[list[list[Shown]], list[Shown], Shown]:
    """Counts by series (rows of `counts`) and label (columns: months, ages), with the total of each
    label and the grand total, protected together. Beyond "fewer than 3", a count is hidden when it
    could otherwise be worked out: a label whose total is shown never has exactly one hidden count
    (the smallest other one is hidden too, or the total); a label whose total is hidden never has
    all its counts shown; and of the labels' totals never exactly one is hidden while the grand
    total is shown. Repeated until nothing changes."""
    limit = threshold()
    series, labels = len(counts), len(counts[0]) if counts else 0
    totals = [sum(counts[j][i] for j in range(series)) for i in range(labels)]
    grand = sum(totals)
    hidden = {(j, i) for j in range(series) for i in range(labels) if 0 < counts[j][i] < limit}
    hidden_totals = {i for i in range(labels) if 0 < totals[i] < limit}
    grand_hidden = 0 < grand < limit

    def hide_smallest(candidates: list, values: dict, into: set) -> bool:
        shown = [c for c in candidates if c not in into and values[c] > 0]
        if not shown:
            return False
        into.add(min(shown, key=lambda c: (values[c], c)))
        return True

    values = {(j, i): counts[j][i] for j in range(series) for i in range(labels)}
    changed = True
    while changed:
        changed = False
        for i in range(labels):
            cells = [(j, i) for j in range(series) if counts[j][i] > 0]
            secret = [c for c in cells if c in hidden]
            if i not in hidden_totals and len(secret) == 1:
                if not hide_smallest(cells, values, hidden):
                    hidden_totals.add(i)
                changed = True
            elif i in hidden_totals and cells and not secret:
                changed |= hide_smallest(cells, values, hidden)
        nonzero = [i for i in range(labels) if totals[i] > 0]
        if not grand_hidden and len([i for i in nonzero if i in hidden_totals]) == 1:
            if not hide_smallest(nonzero, dict(enumerate(totals)), hidden_totals):
                grand_hidden = True
            changed = True

    def shown(n: int, secret: bool) -> Shown:
        if not secret:
            return Shown(value=n, small=False, text=str(n))
        return protect(n, limit=limit) if 0 < n < limit else HIDDEN

    cells = [[shown(counts[j][i], (j, i) in hidden) for i in range(labels)] for j in range(series)]
    return cells, [shown(totals[i], i in hidden_totals) for i in range(labels)], shown(grand, grand_hidden)
