"""Who checks a report's text for whom (D6, issue 10): never an oracle.

- The chair sees the identifier check's hits for the year's cases she may read, with the words
  found and where they are.
- Every other case of the year is checked by its team (the members taking part in it): they see
  the whole text, the hits for the people of their case, and say "nothing here tells who was
  involved" or ask for a change (with a note to the chair, in their words).
- The chair can publish only when every such team found the current text fine. Until then she reads
  "waiting for the case teams' check", whether anything matched or not: which cases need a team is
  decided by who may read them, never by what the check found, and a team's answer is a person's.

A check holds for the text it was made on (`text_digest`); any change asks every team again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from cocdesk import access
from cocdesk.cases.models import Case
from cocdesk.transparency.models import CaseCheck, CheckOutcome, ReportStatus, TransparencyReport
from cocdesk.transparency.selectors.identifiers import IdentifierHit, identifier_hits
from cocdesk.transparency.selectors.reports import report_live_cases, text_digest


def cases_needing_team_check(*, report: TransparencyReport) -> QuerySet[Case]:
    """The year's cases that some active chair may not read: their teams check the text for them.
    (With one chair, as usual: the cases she does not take part in.)"""
    live = report_live_cases(year=report.year)
    readable_by_every_chair = live
    for chair in access.chairs():
        readable_by_every_chair = readable_by_every_chair.filter(
            pk__in=access.cases_taking_part(chair).values("pk")
        )
    return live.exclude(pk__in=readable_by_every_chair.values("pk"))


def hits_for_chair(*, report: TransparencyReport, user: object) -> list[IdentifierHit]:
    """The identifier check of the report's text against the year's cases `user` may read (also
    without a request at hand: `publish` is a service)."""
    readable = report_live_cases(year=report.year).filter(pk__in=access.cases_taking_part(user).values("pk"))
    return identifier_hits(text=report.body, cases=readable)


def hits_for_case(*, report: TransparencyReport, case: Case) -> list[IdentifierHit]:
    """The identifier check of the report's text against the people of one case (its team's check;
    the caller fetched `case` through the access policy)."""
    return identifier_hits(text=report.body, cases=access.cases_for_transparency().filter(pk=case.pk))


@dataclass(frozen=True)
class TeamChecks:
    """What the chair may know of the case teams' check of the current text."""

    needed: bool  # some case of the year is checked by its team
    done: bool  # every such team found this text fine
    asked: bool  # the chair asked the teams (they see it on their dashboard and case page)
    change_requests: list[str]  # the notes of teams that asked for a change of this text, no case named


def team_checks(*, report: TransparencyReport) -> TeamChecks:
    digest = text_digest(report.body)
    needing = cases_needing_team_check(report=report)
    checks = CaseCheck.objects.filter(report=report, digest=digest, case__in=needing.values("pk"))
    fine = checks.filter(outcome=CheckOutcome.LOOKS_FINE).count()
    needed = needing.count()
    notes = [
        note.strip()
        for note in checks.filter(outcome=CheckOutcome.CHANGE_ASKED)
        .order_by("at", "pk")
        .values_list("note", flat=True)
        if note.strip()
    ]
    return TeamChecks(
        needed=needed > 0,
        done=fine == needed,
        asked=report.checks_requested_at is not None,
        change_requests=notes,
    )


def report_asking_team(*, case: Case, year: int) -> TransparencyReport | None:
    """The draft of `year` if its chair asked the teams to check it and `case` is one whose team
    checks it (the caller fetched `case` through the access policy), else None."""
    report = TransparencyReport.objects.filter(
        year=year, status=ReportStatus.DRAFT, checks_requested_at__isnull=False
    ).first()
    if report is None or not cases_needing_team_check(report=report).filter(pk=case.pk).exists():
        return None
    return report


@dataclass(frozen=True)
class TeamAsked:
    year: int
    answered: bool  # the team answered for the current text


def reports_asking_team_of(*, case: Case) -> list[TeamAsked]:
    """For the case page: the drafts whose chair asked this case's team to check them."""
    asked = []
    for report in TransparencyReport.objects.filter(
        status=ReportStatus.DRAFT, checks_requested_at__isnull=False
    ):
        if cases_needing_team_check(report=report).filter(pk=case.pk).exists():
            asked.append(
                TeamAsked(year=report.year, answered=case_check_of(report=report, case=case) is not None)
            )
    return asked


def case_check_of(*, report: TransparencyReport, case: Case) -> CaseCheck | None:
    """The team's answer for the current text, if they gave one."""
    return CaseCheck.objects.filter(report=report, case=case, digest=text_digest(report.body)).first()


@dataclass(frozen=True)
class CheckWaiting:
    year: int
    reference: str


def case_checks_waiting(*, user: object) -> list[CheckWaiting]:
    """For a member's dashboard: the cases they take part in whose team has not answered the current
    text of a report the chair asked them to check."""
    waiting = []
    reports = TransparencyReport.objects.filter(status=ReportStatus.DRAFT, checks_requested_at__isnull=False)
    for report in reports:
        answered = CaseCheck.objects.filter(report=report, digest=text_digest(report.body)).values("case_id")
        cases = (
            cases_needing_team_check(report=report)
            .filter(pk__in=access.cases_visible_to(user).values("pk"))
            .exclude(pk__in=answered)
            .order_by("received_at", "pk")
            .values_list("reference", flat=True)
        )
        waiting += [CheckWaiting(year=report.year, reference=reference) for reference in cases]
    return waiting


def members_to_ask(*, report: TransparencyReport) -> list[tuple[Case, QuerySet]]:
    """Whom to ask for the teams' check: each case that needs one, with the members taking part in it
    (`access.case_participants`; conflicted members never)."""
    cases = cases_needing_team_check(report=report).order_by("received_at", "pk").only("pk", "reference")
    return [(case, access.case_participants(case)) for case in cases]
