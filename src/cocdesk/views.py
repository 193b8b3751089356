"""Project-wide pages: the public home page, the committee dashboard, a health check, and (in
development only) the mail the demo has sent."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cocdesk import access, clock, devmail
from cocdesk.cases import selectors as case_selectors
from cocdesk.cases.models import State
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.outbox.selectors import outbox_dead_for
from cocdesk.transparency import selectors as transparency_selectors
from cocdesk.web import TAKEN_SESSION_KEY, require


def home(request: HttpRequest) -> HttpResponse:
    reports = transparency_selectors.published_reports().order_by("-year").only("year")
    return render(request, "home.html", {"published_reports": reports})


@require(access.can_open_dashboard)
def dashboard(request: HttpRequest) -> HttpResponse:
    """What waits for the member (urgent cases first), then their open cases, urgent first."""
    context = {"is_committee": access.is_committee_member(request.user)}
    if context["is_committee"]:
        now = clock.now()
        open_cases = case_selectors.cases_list(user=request.user).exclude(state=State.CLOSED)
        my_cases = deadline_selectors.urgent_first(open_cases, now=now)
        waiting_for = case_selectors.undeclared_names_by_case(cases=my_cases)
        context.update(
            now=now,
            waiting=deadline_selectors.waiting_for(member=request.user, now=now),
            my_cases=[(case, waiting_for[case.pk]) for case in my_cases],
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
