"""Reads for transparency reports (D6): which reports a user may see, which cases a year covers,
what they add up to, and the report's text.

A year's report covers the cases received in the year and the cases resolved (closed) in it. A case
received in December and closed in January is "still open" in the first report (counted, without
its type) and described with its outcome in the next one, marked as received the year before.

The generator is a system reader (`access.cases_for_transparency`): it counts every case of the
year, sealed and expunged ones too, but the only text it takes from a case is the generalized
summary its members wrote for publication, and only when they marked it as identifying nobody. An
incident without such a summary adds to nothing but the count of reports: no type, no outcome. Every
count is small-number protected (`numbers.protect`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cocdesk import access
from cocdesk.cases.models import Case, Category, Resolution
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport
from cocdesk.transparency.selectors.numbers import Shown, protect, threshold
from cocdesk.transparency.selectors.statistics import (
    PublicStatistics,
    duration_text,
    public_statistics,
    public_statistics_of,
)
from cocdesk.transparency.selectors.years import year_bounds, year_is_over

# --- which reports ------------------------------------------------------------------------------


def reports_for(*, user: object) -> QuerySet[TransparencyReport]:
    """The chair sees drafts and every published or recorded report; other committee members the
    reports published here."""
    if access.may_manage_transparency(user):
        return TransparencyReport.objects.all()
    if access.may_read_transparency(user):
        return published_reports()
    return TransparencyReport.objects.none()


def published_reports() -> QuerySet[TransparencyReport]:
    """Reports published here: public, for everyone (the home page lists them). A report published
    outside cocdesk is only recorded, for the yearly reminder."""
    return TransparencyReport.objects.filter(status=ReportStatus.PUBLISHED, outside=False)


def report_public(*, year: int) -> TransparencyReport | None:
    """The published report of `year`, if there is one (anyone may read it); never a draft."""
    return published_reports().filter(year=year).first()


def report_managed(*, user: object, year: int) -> TransparencyReport | None:
    """The draft of `year` if `user` may work on it (the chair), else None. Published reports are
    read on their public page; they no longer change."""
    if not access.may_manage_transparency(user):
        return None
    return TransparencyReport.objects.filter(year=year, status=ReportStatus.DRAFT).first()


def report_of_year(*, year: int) -> TransparencyReport | None:
    """System use (the `transparency-report` command, run by the operator): the report of `year`."""
    return TransparencyReport.objects.filter(year=year).first()


def summary_of(*, case: Case) -> IncidentSummary | None:
    """The public summary of a case the caller already fetched through the access policy."""
    return IncidentSummary.objects.filter(case=case).first()


def text_digest(text: str) -> str:
    """What a person read, as a SHA-256 of the text: a check or a confirmation holds for this text only."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- which cases a year covers -----------------------------------------------------------------------


def report_cases(*, year: int) -> QuerySet[Case]:
    """The cases a year's report covers: received in the year, or resolved (closed) in it."""
    start, end = year_bounds(year)
    received = Q(received_at__gte=start, received_at__lt=end)
    resolved = Q(closed_at__gte=start, closed_at__lt=end)
    return access.cases_for_transparency().filter(received | resolved)


def report_live_cases(*, year: int) -> QuerySet[Case]:
    """The year's cases whose people can be named in its text: neither sealed (nobody has read them;
    they are counted only) nor expunged (their people are deleted)."""
    return report_cases(year=year).filter(sealed=False, expunged_at__isnull=True)


@dataclass(frozen=True)
class Incident:
    number: int
    outcome: str
    summary: str
    received_year: int | None  # set when it was received in an earlier year


@dataclass(frozen=True)
class ReportFacts:
    year: int
    year_over: bool
    received: int  # received in the year, every one
    still_open: int  # received in the year, not resolved by its end
    sealed: int  # received in the year and sealed (escrow)
    earlier_resolved: int  # received before the year, resolved in it
    by_category: list[tuple[str, int]]  # described incidents only
    by_outcome: list[tuple[str, int]]  # described incidents only
    incidents: list[Incident]
    not_described: int  # resolved in the year without a summary that may be published
    expunged: int  # resolved in the year, content deleted since


def outcome_label(resolution: str) -> str:
    if resolution:
        return str(Resolution(resolution).label)
    return _("Closed without a recorded resolution")


def report_facts(*, year: int, now: datetime) -> ReportFacts:
    """What the year's cases add up to, in two queries (the cases' states and dates; the summaries
    that may be published). Only those summaries are decrypted."""
    start, end = year_bounds(year)
    rows = list(
        report_cases(year=year)
        .order_by("received_at", "pk")
        .values_list("pk", "received_at", "closed_at", "sealed", "expunged_at", "category", "resolution")
    )
    resolved_here = report_cases(year=year).filter(
        closed_at__gte=start, closed_at__lt=end, expunged_at__isnull=True
    )
    summaries = dict(
        IncidentSummary.objects.filter(case__in=resolved_here.values("pk"), anonymizable=True).values_list(
            "case_id", "text"
        )
    )
    received = still_open = sealed = earlier = not_described = expunged = 0
    categories: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    incidents: list[Incident] = []
    labels: dict[str, str] = {}  # resolution -> its label (translated once, not per case)
    for pk, received_at, closed_at, is_sealed, expunged_at, category, resolution in rows:
        in_year = start <= received_at < end
        received += in_year
        if is_sealed and expunged_at is None:
            sealed += 1
            continue
        if in_year and (closed_at is None or closed_at >= end):
            still_open += 1
            continue
        earlier += not in_year
        if expunged_at is not None:
            expunged += 1
            continue
        text = (summaries.get(pk) or "").strip()
        if not text:
            not_described += 1
            continue
        categories[category] += 1
        if resolution not in labels:
            labels[resolution] = outcome_label(resolution)
        outcomes[labels[resolution]] += 1
        incidents.append(
            Incident(
                number=len(incidents) + 1,
                outcome=labels[resolution],
                summary=text,
                received_year=None if in_year else received_at.year,
            )
        )
    return ReportFacts(
        year=year,
        year_over=year_is_over(year, now=now),
        received=received,
        still_open=still_open,
        sealed=sealed,
        earlier_resolved=earlier,
        by_category=[
            (capfirst(str(label)), categories[value])
            for value, label in Category.choices
            if categories[value]
        ],
        by_outcome=sorted(outcomes.items(), key=lambda item: (-item[1], item[0])),
        incidents=incidents,
        not_described=not_described,
        expunged=expunged,
    )


# --- the text ------------------------------------------------------------------------------------------


def _plural(shown: Shown) -> int:
    """The number a sentence agrees with: the count, or the threshold for "fewer than 3"."""
    return threshold() if shown.small else shown.value


def _still_open_label(facts: ReportFacts) -> str:
    if facts.year_over:
        return _("Still open at the end of %(year)s") % {"year": facts.year}
    return _("Still open")


def _types(facts: ReportFacts) -> list[str]:
    """Types with enough incidents are listed; the others are pooled, so a rare type is not named."""
    limit = threshold()
    lines = [f"- {label}: {n}" for label, n in facts.by_category if n >= limit]
    pooled = sum(n for _label, n in facts.by_category if n < limit)
    if pooled:
        lines.append(f"- {_('Other types, together')}: {protect(pooled).text}")
    return lines


def report_markdown(
    *, year: int, promotion: str, facts: ReportFacts, statistics: PublicStatistics | None = None
) -> str:
    """The report as Markdown: headings, paragraphs and lists only (see `render.markdown_to_html`)."""
    received = protect(facts.received)
    lines = [
        "# " + _("Code of Conduct transparency report %(year)s") % {"year": year},
        "",
        _(
            "This report covers the reports the Code of Conduct committee received in %(year)s, and the "
            "reports from earlier years that it resolved in %(year)s."
        )
        % {"year": year},
        _("It contains no information about the people who made reports or the people reported."),
    ]
    if threshold() > 1:
        lines.append(
            _("To protect them, every number under %(n)s is shown as “fewer than %(n)s”.")
            % {"n": threshold()}
        )
    lines += [
        "",
        "## " + _("How the Code of Conduct was promoted"),
        "",
        promotion.strip() or _("(The chair has not described this yet.)"),
        "",
        "## " + _("Reports"),
        "",
    ]
    if facts.received:
        lines.append(
            ngettext(
                "We received %(n)s report in %(year)s.",
                "We received %(n)s reports in %(year)s.",
                _plural(received),
            )
            % {"n": received.text, "year": year}
        )
    else:
        lines.append(_("We received no reports in %(year)s.") % {"year": year})
    counted = [
        (_still_open_label(facts), facts.still_open),
        (_("Kept sealed (escrow), as the people who made them asked"), facts.sealed),
    ]
    if any(n for _label, n in counted):
        lines += ["", *[f"- {label}: {protect(n).text}" for label, n in counted if n]]
    if facts.earlier_resolved:
        earlier = protect(facts.earlier_resolved)
        lines += [
            "",
            ngettext(
                "We also resolved %(n)s report received in earlier years.",
                "We also resolved %(n)s reports received in earlier years.",
                _plural(earlier),
            )
            % {"n": earlier.text},
        ]
    lines += ["", "## " + _("Types of incidents"), ""]
    if facts.by_category:
        lines += [
            _("The incidents resolved in %(year)s that this report describes, by type:") % {"year": year},
            "",
        ]
        lines += _types(facts)
    else:
        lines.append(_("There is nothing to count yet."))
    lines += ["", "## " + _("Resolutions"), ""]
    outcomes = [f"- {label}: {protect(n).text}" for label, n in facts.by_outcome]
    if facts.still_open:
        outcomes.append(f"- {_still_open_label(facts)}: {protect(facts.still_open).text}")
    lines += outcomes or [_("There is nothing to report.")]
    if statistics is not None:
        lines += ["", *_statistics_lines(year, statistics)]
    lines += ["", "## " + _("The incidents"), ""]
    for incident in facts.incidents:
        lines += [
            "### " + _("Incident %(n)s") % {"n": incident.number},
            "",
            f"- {_('Outcome')}: {incident.outcome}",
        ]
        if incident.received_year is not None:
            lines.append(
                "- "
                + _("Received in %(then)s, resolved in %(year)s.")
                % {"then": incident.received_year, "year": year}
            )
        lines += ["", incident.summary, ""]
    closing = _closing(facts)
    if not facts.incidents and not closing:
        lines.append(_("There is nothing to report."))
    for paragraph in closing:
        lines += [paragraph, ""]
    return "\n".join(lines).rstrip() + "\n"


def _closing(facts: ReportFacts) -> list[str]:
    paragraphs = []
    if facts.not_described:
        n = protect(facts.not_described)
        paragraphs.append(
            capfirst(
                ngettext(
                    "%(n)s further report resolved in %(year)s is not described: describing it would "
                    "tell who was involved, so we note only that it was made.",
                    "%(n)s further reports resolved in %(year)s are not described: describing them would "
                    "tell who was involved, so we note only that they were made.",
                    _plural(n),
                )
                % {"n": n.text, "year": facts.year}
            )
        )
    if facts.expunged:
        n = protect(facts.expunged)
        paragraphs.append(
            capfirst(
                ngettext(
                    "%(n)s further report is counted only: its record was deleted under our retention "
                    "policy.",
                    "%(n)s further reports are counted only: their records were deleted under our retention "
                    "policy.",
                    _plural(n),
                )
                % {"n": n.text}
            )
        )
    if facts.still_open:
        paragraphs.append(
            _("Reports still open are described in the report of the year in which they are resolved.")
        )
    return paragraphs


def _statistics_lines(year: int, statistics: PublicStatistics) -> list[str]:
    lines = [
        "## " + _("In numbers"),
        "",
        _("These count the incidents received in %(year)s that this report describes (%(n)s).")
        % {"year": year, "n": statistics.count.text},
        "",
        "### " + statistics.reports.title,
        "",
    ]
    months = [
        (label, total) for label, _cells, total in statistics.reports.rows if total.small or total.value
    ]
    lines += [f"- {label}: {total.text}" for label, total in months] or [_("None.")]
    lines += ["", "### " + _("How quickly we answered"), ""]
    for clock in statistics.clocks:
        if clock.median_hours is None:
            lines.append(f"- {clock.label}: " + _("too few reports to show a time"))
            continue
        text = _("median %(median)s; nine in ten within %(p90)s") % {
            "median": duration_text(clock.median_hours),
            "p90": duration_text(clock.p90_hours),
        }
        if clock.within is not None:
            text += "; " + _("within the plan's %(clock)s: %(within)s of %(measured)s") % {
                "clock": clock.clock_label,
                "within": clock.within.text,
                "measured": clock.measured.text,
            }
        lines.append(f"- {clock.label}: {text}")
    lines.append(f"- {_('Delay notices sent')}: {statistics.delay_notices.total.text}")
    return lines


def described_in_year(*, year: int) -> QuerySet[Case]:
    """The incidents received and resolved in `year` that its report describes: what the public
    charts count (an incident that is not described adds to nothing but the count of reports)."""
    start, end = year_bounds(year)
    return report_live_cases(year=year).filter(
        received_at__gte=start,
        received_at__lt=end,
        closed_at__lt=end,
        public_summary__anonymizable=True,
    )


@dataclass(frozen=True)
class Listed:
    """Cases for the chair's checklist: the references of those she may read (the first few), and
    how many more there are that she may not read."""

    references: list[str]
    more_readable: int
    others: int

    @property
    def total(self) -> int:
        return len(self.references) + self.more_readable + self.others


@dataclass(frozen=True)
class Checklist:
    still_open: Listed  # counted as "still open", without type
    undescribed: Listed  # resolved, only "a report was made"
    uncategorised: Listed  # described, counted as "not categorized"


def _listed(cases: QuerySet[Case], user: object, limit: int) -> Listed:
    readable = cases.filter(pk__in=access.cases_visible_to(user).values("pk"))
    references = list(readable.order_by("received_at", "pk").values_list("reference", flat=True)[:limit])
    count = readable.count()
    return Listed(references=references, more_readable=count - len(references), others=cases.count() - count)


def report_checklist(*, year: int, user: object, limit: int = 30) -> Checklist:
    """What the chair should know before publishing: the year's cases still open, resolved without a
    publishable summary, and described without a type."""
    start, end = year_bounds(year)
    live = report_live_cases(year=year)
    still_open = live.filter(received_at__gte=start, received_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )
    resolved = live.filter(closed_at__gte=start, closed_at__lt=end)
    return Checklist(
        still_open=_listed(still_open, user, limit),
        undescribed=_listed(resolved.exclude(public_summary__anonymizable=True), user, limit),
        uncategorised=_listed(resolved.filter(public_summary__anonymizable=True, category=""), user, limit),
    )


@dataclass(frozen=True)
class Generated:
    body: str
    statistics: dict
    facts: ReportFacts


def report_generate(*, report: TransparencyReport, now: datetime) -> Generated:
    """The text (and the charts, if the chair added them) the report would have now."""
    facts = report_facts(year=report.year, now=now)
    stored = {}
    if report.include_statistics:
        stored = public_statistics(cases=described_in_year(year=report.year), year=report.year)
    body = report_markdown(
        year=report.year, promotion=report.promotion, facts=facts, statistics=public_statistics_of(stored)
    )
    return Generated(body=body, statistics=stored, facts=facts)


def report_preview(*, year: int, now: datetime) -> str:
    """What the year's report says now, for the `transparency-report` command: the published text,
    or the text the year's data gives today, marked as a draft. Stores nothing."""
    report = report_of_year(year=year)
    if report is not None and report.is_published:
        return report.body
    report = report or TransparencyReport(year=year)
    body = report_generate(report=report, now=now).body
    note = _("DRAFT: this report is not published. It shows what the cases of %(year)s give on %(day)s.") % {
        "year": year,
        "day": date_format(now, "DATE_FORMAT"),
    }
    return f"{note}\n\n{body}"
