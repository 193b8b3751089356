"""Reads for transparency reports (D6), by subject:

- `reports`: which reports a user may see, which cases a year covers, what they add up to, the text;
- `identifiers`: the identifier check of a text, by blind index;
- `checks`: who checks the text for whom (the chair, the case teams), never an oracle;
- `statistics`: the committee's statistics and the public report's charts;
- `numbers`: small-number protection; `years`: a report's calendar year;
- `published`: when the last report was published (the yearly reminder, D5).
"""

from cocdesk.transparency.selectors.checks import (
    CheckWaiting,
    TeamChecks,
    case_check_of,
    case_checks_waiting,
    cases_needing_team_check,
    hits_for_case,
    hits_for_chair,
    members_to_ask,
    report_asking_team,
    reports_asking_team_of,
    team_checks,
)
from cocdesk.transparency.selectors.identifiers import IdentifierHit, IdentifierKind, identifier_hits
from cocdesk.transparency.selectors.published import last_published_at
from cocdesk.transparency.selectors.reports import (
    Checklist,
    Generated,
    Incident,
    ReportFacts,
    described_in_year,
    published_reports,
    report_cases,
    report_checklist,
    report_facts,
    report_generate,
    report_live_cases,
    report_managed,
    report_of_year,
    report_preview,
    report_public,
    reports_for,
    summary_of,
    text_digest,
)
from cocdesk.transparency.selectors.years import year_bounds, year_is_over

__all__ = [
    "CheckWaiting",
    "Checklist",
    "Generated",
    "IdentifierHit",
    "IdentifierKind",
    "Incident",
    "ReportFacts",
    "TeamChecks",
    "case_check_of",
    "case_checks_waiting",
    "cases_needing_team_check",
    "described_in_year",
    "hits_for_case",
    "hits_for_chair",
    "identifier_hits",
    "last_published_at",
    "members_to_ask",
    "published_reports",
    "report_asking_team",
    "report_cases",
    "report_checklist",
    "report_facts",
    "report_generate",
    "report_live_cases",
    "report_managed",
    "report_of_year",
    "report_preview",
    "report_public",
    "reports_asking_team_of",
    "reports_for",
    "summary_of",
    "team_checks",
    "text_digest",
    "year_bounds",
    "year_is_over",
]
