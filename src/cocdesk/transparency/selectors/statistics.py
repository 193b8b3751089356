"""Committee statistics (issue 14): how many reports came in, by month, channel and type; how quickly
the committee answered against the plan's clocks (24 hours to acknowledge, a week to decide); delay
notices sent; open cases by age.

For a member, everything counts only the cases they may read (`access.cases_visible_to`): a case
hidden from them adds to no number, label or chart. For the public report, the same figures are
taken over the incidents the report describes, and stored with it (`public_statistics`). Every
count is small-number protected (`numbers.protect`), and a median or a percentile is shown only over
enough cases that it cannot be one person's.

Each figure is one aggregate query, whatever the number of cases.
"""

from __future__ import annotations

import math
import statistics as stats
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cocdesk import access
from cocdesk.cases.models import (
    PERSONAL_MESSAGE_KINDS,
    Case,
    Category,
    Channel,
    Message,
    MessageDirection,
    MessageKind,
    State,
)
from cocdesk.deadlines import rules
from cocdesk.transparency.selectors.numbers import Shown, protect, protect_grid, threshold
from cocdesk.transparency.selectors.years import year_bounds

AGE_BUCKETS = (  # open cases by age: (label, short label for the chart's axis, from, to)
    ("Under a day", "< 1 day", timedelta(0), timedelta(days=1)),
    ("1–7 days", "1–7 d", timedelta(days=1), timedelta(days=7)),
    ("1–4 weeks", "1–4 wk", timedelta(days=7), timedelta(days=28)),
    ("1–3 months", "1–3 mo", timedelta(days=28), timedelta(days=91)),
    ("Over 3 months", "> 3 mo", timedelta(days=91), None),
)


@dataclass(frozen=True)
class Series:
    label: str
    values: list[Shown]


@dataclass(frozen=True)
class Chart:
    """Counts along an axis (months, ages), in one or more series stacked on each other."""

    key: str
    title: str
    labels: list[str]  # short, for the chart's axis
    full_labels: list[str]  # spelled out, for the table
    series: list[Series]
    totals: list[Shown]  # per label, all series together
    total: Shown

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "labels": self.labels,
            "full_labels": self.full_labels,
            "series": [[s.label, [v.as_json() for v in s.values]] for s in self.series],
            "totals": [v.as_json() for v in self.totals],
            "total": self.total.as_json(),
        }

    @classmethod
    def from_json(cls, data: dict, *, limit: int) -> Chart:
        def shown(value: int | str) -> Shown:
            return Shown.from_json(value, limit=limit)

        return cls(
            key=data["key"],
            title=data["title"],
            labels=data["labels"],
            full_labels=data["full_labels"],
            series=[Series(label, [shown(v) for v in values]) for label, values in data["series"]],
            totals=[shown(v) for v in data["totals"]],
            total=shown(data["total"]),
        )

    @property
    def rows(self) -> list[tuple[str, list[Shown], Shown]]:
        """For the table beside the chart: one row per label, a cell per series, and the total."""
        return [
            (label, [s.values[i] for s in self.series], self.totals[i])
            for i, label in enumerate(self.full_labels)
        ]


@dataclass(frozen=True)
class Clock:
    """How long something took, against the plan's clock for it (if it has one)."""

    key: str
    label: str
    clock_hours: int | None
    clock_label: str
    measured: Shown  # how many cases it is measured over
    within: Shown | None  # how many of them within the clock
    median_hours: float | None  # None when too few cases to show one
    p90_hours: float | None  # nine in ten took at most this long

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "clock_hours": self.clock_hours,
            "clock_label": self.clock_label,
            "measured": self.measured.as_json(),
            "within": None if self.within is None else self.within.as_json(),
            "median_hours": self.median_hours,
            "p90_hours": self.p90_hours,
        }

    @classmethod
    def from_json(cls, data: dict, *, limit: int) -> Clock:
        within = data["within"]
        return cls(
            key=data["key"],
            label=data["label"],
            clock_hours=data["clock_hours"],
            clock_label=data["clock_label"],
            measured=Shown.from_json(data["measured"], limit=limit),
            within=None if within is None else Shown.from_json(within, limit=limit),
            median_hours=data["median_hours"],
            p90_hours=data["p90_hours"],
        )


@dataclass(frozen=True)
class CommitteeStatistics:
    year: int
    years: list[int]
    reports: Chart  # by month received and channel
    by_type: Chart  # by month received and type
    clocks: list[Clock]
    delay_notices: Chart  # by month sent
    open_by_age: Chart  # open now, by how long ago they came in


def committee_statistics(*, user: object, year: int, now: datetime) -> CommitteeStatistics:
    """The statistics page of a committee member: only the cases `user` may read count."""
    cases = access.cases_visible_to(user)
    first = cases.aggregate(first=Min("received_at"))["first"]
    years = list(range(min(first.year if first else now.year, year), now.year + 1))
    return CommitteeStatistics(
        year=year,
        years=sorted(set(years) | {year}, reverse=True),
        reports=by_month(cases, year=year, field="channel", choices=Channel.choices, key="channels"),
        by_type=by_month(cases, year=year, field="category", choices=Category.choices, key="types"),
        clocks=clocks(cases, year=year),
        delay_notices=delay_notices(cases, year=year),
        open_by_age=open_by_age(cases, now=now),
    )


def month_labels() -> tuple[list[str], list[str]]:
    return [capfirst(str(MONTHS_3[m])) for m in range(1, 13)], [str(MONTHS[m]) for m in range(1, 13)]


def _grid_chart(
    key: str, title: str, labels: tuple[list[str], list[str]], series: list[tuple[str, list[int]]]
) -> Chart:
    """A chart of counts by label and series, protected together (`numbers.protect_grid`). Series
    without any count are left out."""
    series = [(label, counts) for label, counts in series if any(counts)]
    cells, totals, total = protect_grid([counts for _label, counts in series])
    if not series:
        totals = [protect(0)] * len(labels[0])
    return Chart(
        key=key,
        title=title,
        labels=labels[0],
        full_labels=labels[1],
        series=[Series(label, row) for (label, _counts), row in zip(series, cells, strict=True)],
        totals=totals,
        total=total,
    )


def _monthly_chart(key: str, title: str, counts: dict[str, list[int]], order: list[tuple[str, str]]) -> Chart:
    return _grid_chart(
        key, title, month_labels(), [(label, counts.get(value, [0] * 12)) for value, label in order]
    )


def by_month(cases: QuerySet[Case], *, year: int, field: str, choices: list, key: str) -> Chart:
    """Reports received in `year`, by month and by `field` (channel or type)."""
    start, end = year_bounds(year)
    rows = (
        cases.filter(received_at__gte=start, received_at__lt=end)
        .annotate(month=TruncMonth("received_at"))
        .values_list("month", field)
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, list[int]] = {}
    for month, value, n in rows:
        counts.setdefault(value, [0] * 12)[month.month - 1] += n
    order = [(value, capfirst(str(label))) for value, label in choices]
    title = _("Reports by month and channel") if field == "channel" else _("Reports by month and type")
    return _monthly_chart(key, title, counts, order)


def delay_notices(cases: QuerySet[Case], *, year: int) -> Chart:
    """Delay notices sent to reporters in `year` ("it will take more time"), by month."""
    start, end = year_bounds(year)
    rows = (
        Message.objects.filter(
            case__in=cases.values("pk"),
            direction=MessageDirection.TO_REPORTER,
            kind=MessageKind.DELAY,
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {"delay": [0] * 12}
    for month, n in rows:
        counts["delay"][month.month - 1] += n
    return _monthly_chart(
        "delays", _("Delay notices sent, by month"), counts, [("delay", _("Delay notices"))]
    )


def open_by_age(cases: QuerySet[Case], *, now: datetime) -> Chart:
    """Cases open now, by how long ago they came in."""
    buckets = {}
    for i, (_label, _short, low, high) in enumerate(AGE_BUCKETS):
        when = Q(received_at__lte=now - low)
        if high is not None:
            when &= Q(received_at__gt=now - high)
        buckets[f"b{i}"] = Count("pk", filter=when)
    counts = cases.exclude(state=State.CLOSED).aggregate(**buckets)
    values = [counts[f"b{i}"] for i in range(len(AGE_BUCKETS))]
    labels = (
        [_(short) for _label, short, _low, _high in AGE_BUCKETS],
        [_(label) for label, _s, _l, _h in AGE_BUCKETS],
    )
    return _grid_chart("ages", _("Open cases by age"), labels, [(_("Open cases"), values)])


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value at least `fraction` of the values are under."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _clock(key: str, label: str, durations: list[float], clock: timedelta | None, clock_label: str) -> Clock:
    enough = len(durations) >= max(threshold(), 1) and durations
    return Clock(
        key=key,
        label=label,
        clock_hours=None if clock is None else int(_hours(clock)),
        clock_label=clock_label,
        measured=protect(len(durations)),
        within=None if clock is None else protect(sum(1 for d in durations if d <= _hours(clock))),
        median_hours=stats.median(durations) if enough else None,
        p90_hours=_percentile(durations, 0.9) if enough else None,
    )


def clocks(cases: QuerySet[Case], *, year: int) -> list[Clock]:
    """For the reports received in `year`: time to the first personal answer to the reporter (the
    plan: 24 hours), to the decision (the decision message, or closing for a reporter who asked for
    no further involvement; the plan: a week), and to closing."""
    start, end = year_bounds(year)
    to_reporter = Q(messages__direction=MessageDirection.TO_REPORTER)
    rows = (
        cases.filter(received_at__gte=start, received_at__lt=end)
        .annotate(
            answered_at=Min(
                "messages__created_at", filter=to_reporter & Q(messages__kind__in=PERSONAL_MESSAGE_KINDS)
            ),
            decided_at=Min(
                "messages__created_at", filter=to_reporter & Q(messages__kind=MessageKind.DECISION)
            ),
        )
        .values_list("received_at", "answered_at", "decided_at", "closed_at")
        .order_by()
    )
    answered, decided, closed = [], [], []
    for received, answer, decision, close in rows:
        if answer is not None:
            answered.append(_hours(answer - received))
        if (decision or close) is not None:
            decided.append(_hours((decision or close) - received))
        if close is not None:
            closed.append(_hours(close - received))
    return [
        _clock(
            "answer",
            _("First personal answer to the reporter"),
            answered,
            rules.ACKNOWLEDGE_WITHIN,
            _("24 hours"),
        ),
        _clock("decision", _("Decision sent to the reporter"), decided, rules.DECIDE_WITHIN, _("a week")),
        _clock("close", _("Case closed"), closed, None, ""),
    ]


# --- for the public report -----------------------------------------------------------------------


def public_statistics(*, cases: QuerySet[Case], year: int) -> dict:
    """The year's charts for the public report, over `cases` (the incidents it describes), with
    small numbers already protected: stored with the report, so a published one never changes."""
    return {
        "threshold": threshold(),
        "count": protect(cases.count()).as_json(),
        "reports": by_month(
            cases, year=year, field="channel", choices=Channel.choices, key="channels"
        ).as_json(),
        "clocks": [clock.as_json() for clock in clocks(cases, year=year)],
        "delay_notices": delay_notices(cases, year=year).as_json(),
    }


@dataclass(frozen=True)
class PublicStatistics:
    count: Shown
    reports: Chart
    clocks: list[Clock]
    delay_notices: Chart


def public_statistics_of(stored: dict) -> PublicStatistics | None:
    """The charts stored with a report, ready to draw (None when the chair did not add them)."""
    if not stored:
        return None
    limit = int(stored["threshold"])
    return PublicStatistics(
        count=Shown.from_json(stored["count"], limit=limit),
        reports=Chart.from_json(stored["reports"], limit=limit),
        clocks=[Clock.from_json(c, limit=limit) for c in stored["clocks"]],
        delay_notices=Chart.from_json(stored["delay_notices"], limit=limit),
    )


def duration_text(hours: float | None) -> str:
    """ "5 hours", "2.5 days"."""
    if hours is None:
        return ""
    if hours < 48:
        rounded = round(hours, 1)
        shown = int(rounded) if rounded == int(rounded) else rounded
        return ngettext("%(n)s hour", "%(n)s hours", shown if isinstance(shown, int) else 2) % {"n": shown}
    days = round(hours / 24, 1)
    shown = int(days) if days == int(days) else days
    return ngettext("%(n)s day", "%(n)s days", shown if isinstance(shown, int) else 2) % {"n": shown}
