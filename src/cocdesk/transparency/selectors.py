"""Reads for transparency reports (D6): which reports a user may see, what the cases of a
period add up to, the generated text, and the identifier check that guards publication.

The report generator is a system reader: it counts every case of the period (sealed and expunged
ones too, through `access.cases_for_transparency`), but the only text it takes from a case is the
generalized summary written for publication, and only when the members marked it as anonymizable.
Case descriptions, parties and everything else of the file are never read here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cocdesk import access
from cocdesk.cases.models import Case, Category, Resolution, State
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport

A_REPORT_WAS_MADE = "A report was made."  # what an incident that cannot be anonymized shows


# --- which reports ------------------------------------------------------------------------------


def reports_for(*, user: object) -> QuerySet[TransparencyReport]:
    """The chair sees drafts and published reports; other committee members the published ones."""
    if access.may_manage_transparency(user):
        return TransparencyReport.objects.all()
    if access.may_read_transparency(user):
        return TransparencyReport.objects.filter(status=ReportStatus.PUBLISHED)
    return TransparencyReport.objects.none()


def report_visible(*, user: object, year: int) -> TransparencyReport | None:
    """The report of `year` if `user` may read it, else None (the caller answers 404)."""
    return reports_for(user=user).filter(year=year).first()


def report_managed(*, user: object, year: int) -> TransparencyReport | None:
    """The report of `year` if `user` may change it (the chair), else None."""
    if not access.may_manage_transparency(user):
        return None
    return TransparencyReport.objects.filter(year=year).first()


def report_of_year(*, year: int) -> TransparencyReport | None:
    """System use (the `transparency-report` command, run by the operator): the report of `year`."""
    return TransparencyReport.objects.filter(year=year).first()


def last_published_report() -> TransparencyReport | None:
    return TransparencyReport.objects.filter(status=ReportStatus.PUBLISHED).order_by("-period_end").first()


def last_published_at() -> datetime | None:
    """When the latest transparency report was published (the yearly reminder counts from it)."""
    return (
        TransparencyReport.objects.filter(status=ReportStatus.PUBLISHED)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )


def summary_of(*, case: Case) -> IncidentSummary | None:
    """The public summary of a case the caller already fetched through the access policy."""
    return IncidentSummary.objects.filter(case=case).first()


# --- what the period adds up to ------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    number: int
    described: bool  # False: "a report was made", nothing else
    category: str
    outcome: str
    summary: str


@dataclass(frozen=True)
class ReportFacts:
    total: int
    sealed: int
    expunged: int
    by_category: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    incidents: list[Incident]
    # For the chair's checklist: cases in the period that still lack a publishable summary.
    unsummarized_case_ids: list[int]


def outcome_label(case: Case) -> str:
    """How a case was resolved, in the report's words; open cases are "still being handled"."""
    if case.state != State.CLOSED:
        return _("Still being handled")
    if case.resolution:
        return str(Resolution(case.resolution).label)
    return _("Closed without a recorded resolution")


def cases_in_period(*, start: date, end: date) -> QuerySet[Case]:
    return (
        access.cases_for_transparency()
        .filter(received_at__date__gte=start, received_at__date__lte=end)
        .select_related("public_summary")
        .order_by("received_at", "pk")
    )


def report_facts(*, start: date, end: date) -> ReportFacts:
    """Counts over every case received in the period. Sealed (escrowed) cases are counted in the
    total only: nobody has read them. Expunged cases keep their category and resolution, so they
    are counted by type and outcome, but never described: their content is gone."""
    cases = list(cases_in_period(start=start, end=end))
    sealed = [c for c in cases if c.sealed and c.expunged_at is None]
    counted = [c for c in cases if not (c.sealed and c.expunged_at is None)]
    expunged = [c for c in counted if c.expunged_at is not None]
    live = [c for c in counted if c.expunged_at is None]

    categories = Counter(c.category for c in counted)
    by_category = [(str(label), categories[value]) for value, label in Category.choices if categories[value]]
    outcomes = Counter(outcome_label(c) for c in counted)
    by_outcome = sorted(outcomes.items(), key=lambda item: (-item[1], item[0]))

    incidents, unsummarized = [], []
    for number, case in enumerate(live, start=1):
        summary = getattr(case, "public_summary", None)
        text = (summary.text.strip() if summary else "") or ""
        described = bool(summary and summary.anonymizable and text)
        if not text:
            unsummarized.append(case.pk)
        incidents.append(
            Incident(
                number=number,
                described=described,
                category=str(Category(case.category).label) if described else "",
                outcome=outcome_label(case) if described else "",
                summary=text if described else "",
            )
        )
    return ReportFacts(
        total=len(cases),
        sealed=len(sealed),
        expunged=len(expunged),
        by_category=by_category,
        by_outcome=by_outcome,
        incidents=incidents,
        unsummarized_case_ids=unsummarized,
    )


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def report_markdown(*, report: TransparencyReport, facts: ReportFacts) -> str:
    """The report as Markdown: headings, paragraphs and lists only (see `render.markdown_to_html`)."""
    lines = [
        "# " + _("Code of Conduct transparency report %(year)s") % {"year": report.year},
        "",
        _("This report covers the reports the Code of Conduct committee received from %(start)s to %(end)s.")
        % {"start": _day(report.period_start), "end": _day(report.period_end)},
        _("It contains no information about the people who made reports or the people reported."),
        "",
        "## " + _("How the Code of Conduct was promoted"),
        "",
        report.promotion.strip() or _("(The chair has not described this yet.)"),
        "",
        "## " + _("Reports received"),
        "",
        ngettext("We received %(n)s report.", "We received %(n)s reports.", facts.total) % {"n": facts.total},
    ]
    if facts.by_category:
        lines += ["", _("By type of incident:"), ""]
        lines += [f"- {label}: {n}" for label, n in facts.by_category]
    if facts.sealed:
        lines += [
            "",
            ngettext(
                "%(n)s report was kept sealed (escrow), as the person who made it asked; it is counted only.",
                "%(n)s reports were kept sealed (escrow), as the people who made them asked; they are "
                "counted only.",
                facts.sealed,
            )
            % {"n": facts.sealed},
        ]
    lines += ["", "## " + _("Resolutions"), ""]
    if facts.by_outcome:
        lines += [f"- {label}: {n}" for label, n in facts.by_outcome]
    else:
        lines.append(_("There is nothing to report."))
    lines += ["", "## " + _("The incidents"), ""]
    if not facts.incidents and not facts.expunged:
        lines.append(_("There is nothing to report."))
    for incident in facts.incidents:
        lines += ["### " + _("Incident %(n)s") % {"n": incident.number}, ""]
        if not incident.described:
            lines += [_("A report was made."), ""]
            continue
        lines += [
            f"- {_('Type')}: {incident.category}",
            f"- {_('Outcome')}: {incident.outcome}",
            "",
            incident.summary,
            "",
        ]
    if facts.expunged:
        lines += [
            ngettext(
                "%(n)s further report is counted above only: its record was deleted under our retention "
                "policy.",
                "%(n)s further reports are counted above only: their records were deleted under our "
                "retention policy.",
                facts.expunged,
            )
            % {"n": facts.expunged},
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def report_generate(*, report: TransparencyReport) -> str:
    """The text the report would have now, from the cases and summaries as they stand."""
    return report_markdown(
        report=report, facts=report_facts(start=report.period_start, end=report.period_end)
    )


# --- the identifier check ------------------------------------------------------------------------


class IdentifierKind:
    NAME = "name"
    NAME_PART = "part of a name"
    EMAIL = "email address"
    EMAIL_LOCAL = "the part of an email address before the @"
    HANDLE = "handle"


@dataclass(frozen=True)
class IdentifierHit:
    case_id: int
    reference: str
    kind: str
    identifier: str  # shown to the chair on the page only, for cases the chair may read; never logged


def _words(term: str) -> str:
    """A pattern for `term` as whole words, any run of spaces between its words."""
    return r"\s+".join(re.escape(part) for part in term.split())


def _occurs(term: str, text: str) -> bool:
    term = term.strip().casefold()
    if len(term) < 2:
        return False
    return re.search(rf"(?<!\w){_words(term)}(?!\w)", text) is not None


def _candidates(name: str, email: str, handle: str) -> list[tuple[str, str]]:
    found = []
    if name.strip():
        found.append((IdentifierKind.NAME, name))
        parts = name.split()
        if len(parts) > 1:
            found += [(IdentifierKind.NAME_PART, p) for p in parts if len(p.strip(".,")) >= 3]
    if email.strip():
        found.append((IdentifierKind.EMAIL, email.strip()))
        local = email.strip().split("@", 1)[0]
        if local and "@" in email:
            found.append((IdentifierKind.EMAIL_LOCAL, local))
    if handle.strip():
        bare = handle.strip().lstrip("@")
        found.append((IdentifierKind.HANDLE, bare))
        if "@" in bare:  # a fediverse-style handle: @name@server
            found.append((IdentifierKind.HANDLE, bare.split("@", 1)[0]))
    return found


def identifier_hits(*, text: str) -> list[IdentifierHit]:
    """Every name, email address and handle of every party of every case that occurs in `text`,
    compared case-insensitively as whole words: the full name and each longer part of it, the
    address and the part before its @, the handle with and without its leading @."""
    folded = text.casefold()
    hits: list[IdentifierHit] = []
    seen: set[tuple[int, str, str]] = set()
    for party in access.parties_for_identifier_check():
        for kind, term in _candidates(party.name, party.email, party.handle):
            key = (party.case_id, kind, term.casefold())
            if key in seen:
                continue
            seen.add(key)
            if _occurs(term, folded):
                hits.append(IdentifierHit(party.case_id, party.case.reference, kind, term))
    return hits
