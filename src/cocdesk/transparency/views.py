"""Transparency pages (D6). Thin views.

- `/transparency/<year>/` (and `report.md`, `report.html`): a published report, public, no login
  (`middleware.PUBLIC_REPORT`); a draft is "not found" there for everyone.
- `/transparency/`: the one place for transparency reports (committee members); the chair starts a
  draft or records a report published elsewhere.
- `/transparency/drafts/<year>/…`: the chair's draft: its text, the identifier check, the case teams'
  check, and publishing after a confirmation. Anyone else gets 404.
- `/cases/<reference>/transparency/<year>/`: a case team checks the draft for the people of their case.
- `/cases/<reference>/category/`: the members taking part set a case's type and public summary.
- `/statistics/`: the committee's statistics, over the cases the viewer may read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.confirm import Confirmation
from cocdesk.errors import Refused
from cocdesk.transparency import selectors, services
from cocdesk.transparency.forms import (
    CaseCheckForm,
    CaseSummaryForm,
    DraftForm,
    PromotionForm,
    PublishedElsewhereForm,
    PublishForm,
    StatisticsForm,
)
from cocdesk.transparency.models import TransparencyReport
from cocdesk.transparency.render import markdown_to_html
from cocdesk.transparency.selectors.numbers import threshold
from cocdesk.transparency.selectors.statistics import committee_statistics, public_statistics_of
from cocdesk.web import found_or_404, refusal_to_form, refusal_to_messages, require, with_case

if TYPE_CHECKING:
    from cocdesk.cases.models import Case


ELSEWHERE_ID = "elsewhere_%s"  # two forms with a year field on one page: distinct ids


def _html(report: TransparencyReport):
    # markdown_to_html escapes every piece of text itself; the only markup is its own tags.
    return mark_safe(markdown_to_html(report.body))  # noqa: S308


# --- the public report -----------------------------------------------------------------------------


def _published_or_404(year: int) -> TransparencyReport:
    report = selectors.report_public(year=year)
    return found_or_404(report if report is not None and report.body else None)


@require_safe
def public_report(request: HttpRequest, year: int) -> HttpResponse:
    """A published report, for everyone (not audited: it is public, and anyone may request it)."""
    report = _published_or_404(year)
    context = {
        "report": report,
        "body_html": _html(report),
        "charts": public_statistics_of(report.statistics),
    }
    return render(request, "transparency/public.html", context)


def _download(request: HttpRequest, year: int, *, fmt: str) -> HttpResponse:
    report = _published_or_404(year)
    if fmt == "md":
        return HttpResponse(report.body, content_type="text/markdown; charset=utf-8")
    title = _("Code of Conduct transparency report %(year)s") % {"year": report.year}
    return HttpResponse(markdown_to_html(report.body, title=title), content_type="text/html; charset=utf-8")


@require_safe
def public_markdown(request: HttpRequest, year: int) -> HttpResponse:
    return _download(request, year, fmt="md")


@require_safe
def public_html(request: HttpRequest, year: int) -> HttpResponse:
    return _download(request, year, fmt="html")


# --- the one place for transparency (committee members) ----------------------------------------------


@require(access.may_read_transparency)
def reports_index(
    request: HttpRequest,
    form: DraftForm | None = None,
    elsewhere_form: PublishedElsewhereForm | None = None,
) -> HttpResponse:
    """Published reports for committee members; drafts, "start a report" and "record a report
    published elsewhere" for the chair."""
    chair = access.may_manage_transparency(request.user)
    year = clock.now().year
    context = {
        "reports": selectors.reports_for(user=request.user),
        "chair": chair,
        "form": form or (DraftForm(initial={"year": year - 1}) if chair else None),
        "elsewhere_form": elsewhere_form
        or (PublishedElsewhereForm(initial={"year": year - 1}, auto_id=ELSEWHERE_ID) if chair else None),
    }
    failed = form is not None or elsewhere_form is not None
    return render(request, "transparency/index.html", context, status=400 if failed else 200)


@require_POST
@require(access.may_manage_transparency)
def report_published_elsewhere(request: HttpRequest) -> HttpResponse:
    form = PublishedElsewhereForm(request.POST, auto_id=ELSEWHERE_ID)
    if form.is_valid():
        try:
            services.report_published_elsewhere_record(year=form.cleaned_data["year"], by=request.user)
        except Refused as exc:
            refusal_to_form(form, exc, field="year")
        else:
            messages.success(request, _("Recorded. The next reminder comes a year from now."))
            return redirect("transparency:index")
    return reports_index(request, elsewhere_form=form)


@require_POST
@require(access.may_manage_transparency)
def report_new(request: HttpRequest) -> HttpResponse:
    form = DraftForm(request.POST)
    if form.is_valid():
        try:
            report = services.report_draft_create(year=form.cleaned_data["year"], by=request.user)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect("transparency:draft", year=report.year)
    return reports_index(request, form=form)


# --- the chair's draft ------------------------------------------------------------------------------


def _draft_or_404(request: HttpRequest, year: int) -> TransparencyReport:
    return found_or_404(selectors.report_managed(user=request.user, year=year))


def _draft_context(request: HttpRequest, report: TransparencyReport, outcome=None) -> dict:
    """The draft, what the check found for the chair, the teams' check and the checklist. After a
    blocked attempt to publish (`outcome`), the text was just generated again and checked."""
    now = clock.now()
    stale = outcome is None and selectors.report_generate(report=report, now=now).body != report.body
    return {
        "report": report,
        "body_html": _html(report),
        "charts": public_statistics_of(report.statistics),
        "read": selectors.text_digest(report.body),
        "stale": stale,
        "year_over": selectors.year_is_over(report.year, now=now),
        "checklist": selectors.report_checklist(year=report.year, user=request.user),
        "hits": outcome.hits if outcome else selectors.hits_for_chair(report=report, user=request.user),
        "teams": selectors.team_checks(report=report),
    }


@require_GET
def report_draft(request: HttpRequest, year: int) -> HttpResponse:
    report = _draft_or_404(request, year)
    audit_record(actor=request.user, action="transparency.read", target=report)
    context = _draft_context(request, report)
    context["promotion_form"] = PromotionForm(
        initial={"promotion": report.promotion, "include_statistics": report.include_statistics}
    )
    return render(request, "transparency/draft.html", context)


@require_POST
def report_promotion(request: HttpRequest, year: int) -> HttpResponse:
    report = _draft_or_404(request, year)
    form = PromotionForm(request.POST)
    if form.is_valid():
        try:
            services.report_edit(
                report=report,
                by=request.user,
                promotion=form.cleaned_data["promotion"],
                include_statistics=form.cleaned_data["include_statistics"],
            )
        except Refused as exc:
            refusal_to_messages(request, exc)
        return redirect("transparency:draft", year=report.year)
    context = {**_draft_context(request, report), "promotion_form": form}
    return render(request, "transparency/draft.html", context, status=400)


@require_POST
def report_refresh(request: HttpRequest, year: int) -> HttpResponse:
    report = _draft_or_404(request, year)
    try:
        services.report_refresh(report=report, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    return redirect("transparency:draft", year=report.year)


@require_POST
def report_ask_teams(request: HttpRequest, year: int) -> HttpResponse:
    report = _draft_or_404(request, year)
    try:
        services.report_checks_request(report=report, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    else:
        messages.success(
            request, _("The case teams were asked to check this text. You can publish once they all have.")
        )
    return redirect("transparency:draft", year=report.year)


@require_http_methods(["GET", "POST"])
def report_publish(request: HttpRequest, year: int) -> HttpResponse:
    """GET: the confirmation page (what is still open or without a type, what the public will see).
    POST: publish the text the chair confirmed she read."""
    report = _draft_or_404(request, year)
    if request.method != "POST":
        audit_record(actor=request.user, action="transparency.read", target=report)
        context = _draft_context(request, report)
        context["form"] = PublishForm(initial={"read": context["read"]})
        context["confirm"] = _publish_confirmation(report)
        return render(request, "transparency/publish.html", context)
    form = PublishForm(request.POST)
    outcome = None
    if form.is_valid():
        try:
            outcome = services.report_publish(report=report, by=request.user, read=form.cleaned_data["read"])
        except Refused as exc:
            refusal_to_form(form, exc)
    if outcome is not None and outcome.published:
        messages.success(
            request,
            _("The report is published for everyone to read. The yearly reminder now counts from today."),
        )
        return redirect("transparency:public", year=report.year)
    if outcome is not None and outcome.changed:
        messages.info(
            request, _("The text changed since you read it. Please read it again before publishing.")
        )
        return redirect("transparency:publish", year=report.year)
    report.refresh_from_db()
    context = _draft_context(request, report, outcome=outcome)
    context.update(
        form=PublishForm(initial={"read": context["read"]}) if outcome else form,
        attempted=outcome,
        confirm=_publish_confirmation(report),
    )
    return render(request, "transparency/publish.html", context, status=400)


def _publish_confirmation(report: TransparencyReport) -> Confirmation:
    """Publishing is for good: the shared confirmation (`templates/confirm_step.html`)."""
    return Confirmation(
        title=_("Publish the transparency report %(year)s?") % {"year": report.year},
        happens=[
            _(
                "The text above is published for anyone to read, without logging in, and linked "
                "from the home page."
            ),
            _("A published report never changes."),
            _("The yearly reminder counts from today."),
        ],
        told=[_("Nobody is emailed. Anyone who visits the site can read it.")],
        button=_("Publish"),
        action=reverse("transparency:publish", kwargs={"year": report.year}),
        cancel_url=reverse("transparency:draft", kwargs={"year": report.year}),
    )


# --- a case team's check ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
@with_case
def case_check(request: HttpRequest, case: Case, year: int) -> HttpResponse:
    """The members taking part in a case the chair may not read check the draft for their people."""
    report = found_or_404(selectors.report_asking_team(case=case, year=year))
    form = CaseCheckForm(request.POST or None, initial={"read": selectors.text_digest(report.body)})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_case_check(
                    report=report,
                    case=case,
                    by=request.user,
                    read=data["read"],
                    looks_fine=data["looks_fine"],
                    note=data["change"],
                )
            except Refused as exc:
                refusal_to_form(form, exc)
            else:
                messages.success(request, _("Thank you. The chair sees that your team has answered."))
                return redirect("transparency:case_check", reference=case.reference, year=report.year)
    else:
        audit_record(actor=request.user, action="transparency.case_check_read", target=case)
    context = {
        "case": case,
        "report": report,
        "body_html": _html(report),
        "charts": public_statistics_of(report.statistics),
        "hits": selectors.hits_for_case(report=report, case=case),
        "check": selectors.case_check_of(report=report, case=case),
        "form": form,
        "read": selectors.text_digest(report.body),
    }
    return render(request, "transparency/case_check.html", context, status=status)


@require_POST
@sensitive_post_parameters()
@with_case
def case_summary(request: HttpRequest, case: Case) -> HttpResponse:
    """A member taking part sets the type of incident and its public summary (case page form)."""
    form = CaseSummaryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.case_public_summary_set(
                case=case,
                by=request.user,
                category=data["category"],
                text=data["summary"],
                anonymizable=data["anonymizable"],
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(request, _("Saved. Thank you."))
            return redirect(f"/cases/{case.reference}/?at=transparency#transparency")
    return render(request, "transparency/case_summary.html", {"case": case, "form": form}, status=400)


# --- statistics ------------------------------------------------------------------------------------


@require_GET
@require(access.is_committee_member)
def statistics(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    form = StatisticsForm(request.GET)
    year = (form.cleaned_data.get("year") if form.is_valid() else None) or now.year
    stats = committee_statistics(user=request.user, year=year, now=now)
    audit_record(actor=request.user, action="statistics.read", object_type="statistics", object_id=year)
    return render(request, "transparency/statistics.html", {"stats": stats, "threshold": threshold()})
