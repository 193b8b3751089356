"""Project-wide pages: the public home page, the committee dashboard, a health check."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cocdesk import access


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def dashboard(request: HttpRequest) -> HttpResponse:
    if not access.can_open_dashboard(request.user):
        raise Http404
    return render(request, "dashboard.html", {"is_committee": access.is_committee_member(request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
