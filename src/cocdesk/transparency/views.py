"""Transparency report pages (D6). Thin views: the chair drafts, edits, checks and publishes;
committee members read published reports; the type and public summary of an incident are set on
the case page by the members taking part. Anything a user may not see or do answers 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.errors import Refused
from cocdesk.transparency import selectors, services
from cocdesk.transparency.forms import CaseSummaryForm, DraftForm, PromotionForm, PublishedElsewhereForm
from cocdesk.transparency.models import TransparencyReport
from cocdesk.transparency.render import markdown_to_html
from cocdesk.web import found_or_404, refusal_to_form, refusal_to_messages, require, with_case

if TYPE_CHECKING:
    from cocdesk.cases.models import Case


def _readable_or_404(request: HttpRequest, year: int) -> TransparencyReport:
    return found_or_404(selectors.report_visible(user=request.user, year=year))


def _managed_or_404(request: HttpRequest, year: int) -> TransparencyReport:
    return found_or_404(selectors.report_managed(user=request.user, year=year))


@require(access.may_read_transparency)
def reports_index(
    request: HttpRequest,
    form: DraftForm | None = None,
    elsewhere_form: PublishedElsewhereForm | None = None,
) -> HttpResponse:
    """Published reports for committee members; drafts, "start a report" and "record a report
    published elsewhere" for the chair: the one place for transparency reports."""
    chair = access.may_manage_transparency(request.user)
    context = {
        "reports": selectors.reports_for(user=request.user),
        "chair": chair,
        "form": form or (DraftForm(initial={"year": clock.now().year}) if chair else None),
        "elsewhere_form": elsewhere_form
        or (PublishedElsewhereForm(initial={"year": clock.now().year - 1}) if chair else None),
    }
    failed = form is not None or elsewhere_form is not None
    return render(request, "transparency/index.html", context, status=400 if failed else 200)


@require_POST
@require(access.may_manage_transparency)
def report_published_elsewhere(request: HttpRequest) -> HttpResponse:
    form = PublishedElsewhereForm(request.POST)
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
        data = form.cleaned_data
        try:
            report = services.report_draft_create(
                year=data["year"],
                by=request.user,
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect("transparency:detail", year=report.year)
    return reports_index(request, form=form)


def _detail_page(
    request: HttpRequest,
    report: TransparencyReport,
    *,
    status: int = 200,
    hits: list | None = None,
    promotion_form: PromotionForm | None = None,
) -> HttpResponse:
    context = {
        "report": report,
        # markdown_to_html escapes every piece of text itself; the only markup is its own tags.
        "body_html": mark_safe(markdown_to_html(report.body)),  # noqa: S308
        "chair": access.may_manage_transparency(request.user),
    }
    if context["chair"] and not report.is_published:
        facts = selectors.report_facts(start=report.period_start, end=report.period_end)
        readable = set(
            access.cases_visible_to(request.user)
            .filter(pk__in=facts.unsummarized_case_ids)
            .values_list("reference", flat=True)
        )
        context.update(
            {
                "promotion_form": promotion_form or PromotionForm(initial={"promotion": report.promotion}),
                "unsummarized_readable": sorted(readable),
                "unsummarized_other": len(facts.unsummarized_case_ids) - len(readable),
                "hits": _hits_for_chair(request, hits or []),
            }
        )
    return render(request, "transparency/detail.html", context, status=status)


def _hits_for_chair(request: HttpRequest, hits: list) -> list[dict]:
    """Which case and which kind of identifier; the reference and the identifier itself only for
    cases the chair may read (of the others they learn that one exists, nothing more)."""
    readable = set(
        access.cases_visible_to(request.user)
        .filter(pk__in={h.case_id for h in hits})
        .values_list("pk", flat=True)
    )
    return [
        {
            "reference": hit.reference if hit.case_id in readable else "",
            "kind": hit.kind,
            "identifier": hit.identifier if hit.case_id in readable else "",
        }
        for hit in hits
    ]


def report_detail(request: HttpRequest, year: int) -> HttpResponse:
    report = _readable_or_404(request, year)
    audit_record(actor=request.user, action="transparency.read", target=report)
    return _detail_page(request, report)


@require_POST
def report_promotion(request: HttpRequest, year: int) -> HttpResponse:
    report = _managed_or_404(request, year)
    form = PromotionForm(request.POST)
    if form.is_valid():
        try:
            services.report_promotion_update(
                report=report, by=request.user, promotion=form.cleaned_data["promotion"]
            )
        except Refused as exc:
            refusal_to_messages(request, exc)
        return redirect("transparency:detail", year=report.year)
    return _detail_page(request, report, status=400, promotion_form=form)


@require_POST
def report_refresh(request: HttpRequest, year: int) -> HttpResponse:
    report = _managed_or_404(request, year)
    try:
        services.report_refresh(report=report, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
    return redirect("transparency:detail", year=report.year)


@require_POST
def report_publish(request: HttpRequest, year: int) -> HttpResponse:
    report = _managed_or_404(request, year)
    try:
        outcome = services.report_publish(report=report, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
        return redirect("transparency:detail", year=report.year)
    if outcome.published:
        messages.success(request, _("The report is published. The yearly reminder now counts from today."))
        return redirect("transparency:detail", year=report.year)
    if outcome.changed:
        messages.info(
            request, _("The cases or summaries changed since you last looked. Please read the text again.")
        )
        return redirect("transparency:detail", year=report.year)
    return _detail_page(request, outcome.report, status=400, hits=outcome.hits)


def _download(request: HttpRequest, year: int, *, fmt: str) -> HttpResponse:
    report = _readable_or_404(request, year)
    audit_record(actor=request.user, action=f"transparency.downloaded_{fmt}", target=report)
    if fmt == "md":
        response = HttpResponse(report.body, content_type="text/markdown; charset=utf-8")
    else:
        title = _("Code of Conduct transparency report %(year)s") % {"year": report.year}
        response = HttpResponse(
            markdown_to_html(report.body, title=title), content_type="text/html; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="transparency-report-{report.year}.{fmt}"'
    return response


def report_markdown(request: HttpRequest, year: int) -> HttpResponse:
    return _download(request, year, fmt="md")


def report_html(request: HttpRequest, year: int) -> HttpResponse:
    return _download(request, year, fmt="html")


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
            return redirect(f"/cases/{case.reference}/#transparency")
    return render(request, "transparency/case_summary.html", {"case": case, "form": form}, status=400)
