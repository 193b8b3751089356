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
from cocdesk.web import require


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require(access.can_open_dashboard)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Overdue and due-soon first, then cases waiting for a declaration, then the member's cases."""
    context = {"is_committee": access.is_committee_member(request.user)}
    if context["is_committee"]:
        now = clock.now()
        context.update(
            now=now,
            deadlines=deadline_selectors.dashboard_deadlines(user=request.user, now=now),
            awaiting=case_selectors.cases_awaiting_list(user=request.user),
            my_cases=case_selectors.cases_list(user=request.user).exclude(state=State.CLOSED),
            dead_mail=outbox_dead_for(request.user),
        )
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
