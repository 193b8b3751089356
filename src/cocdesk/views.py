"""Project-wide pages: the public home page, the committee dashboard, a health check, and (in
development only) the mail the demo has sent."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cocdesk import access, clock, devmail
from cocdesk.cases import selectors as case_selectors
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.outbox.selectors import outbox_dead_for
from cocdesk.transparency import selectors as transparency_selectors
from cocdesk.web import TAKEN_SESSION_KEY, require

OPEN_CASES = case_selectors.CaseListing(open=True)


def home(request: HttpRequest) -> HttpResponse:
    reports = transparency_selectors.published_reports().order_by("-year").only("year")
    return render(request, "home.html", {"published_reports": reports})


@require(access.can_open_dashboard)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Overdue and due-soon first, then cases waiting for a declaration, then the member's cases."""
    context = {"is_committee": access.is_committee_member(request.user)}
    if context["is_committee"]:
        now = clock.now()
        # The first page of each list (newest first); the case list has the rest.
        my_cases = case_selectors.cases_page(user=request.user, listing=OPEN_CASES)
        waiting_for = case_selectors.undeclared_names_by_case(cases=my_cases.rows)
        context.update(
            now=now,
            deadlines=deadline_selectors.dashboard_deadlines(user=request.user, now=now),
            awaiting=case_selectors.cases_awaiting_page(user=request.user),
            my_cases=[(case, waiting_for[case.pk]) for case in my_cases],
            more_cases=bool(my_cases.next_after),
            dead_mail=outbox_dead_for(request.user),
            transparency_checks=transparency_selectors.case_checks_waiting(user=request.user),
        )
    elif access.may_take_reports(request.user):
        references = request.session.get(TAKEN_SESSION_KEY, [])
        context["taken"] = case_selectors.cases_taken_here(user=request.user, references=references)
    return render(request, "dashboard.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@require(access.is_committee_member)
def dev_mail(request: HttpRequest) -> HttpResponse:
    """Development only: the emails written to files instead of being sent (D12). Not found in
    production, or when mail goes anywhere but to files."""
    if not devmail.dev_mail_enabled():
        raise Http404
    context = {"mails": devmail.dev_mail_read(), "folder": devmail.dev_mail_folder()}
    return render(request, "dev_mail.html", context)
