"""Request guards that apply to every page.

Deny by default: every path needs a logged-in, TOTP-verified account, except the short list of
public paths below (the home page, the public report pages, login and enrolment, published
transparency reports, and the calendar feeds, whose unguessable token is their credential because
calendar apps cannot log in).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from cocdesk import clock

PUBLIC_PREFIXES = ("/static/", "/report/", "/login/", "/logout/", "/enrol/", "/healthz", "/calendar/")
PUBLIC_EXACT = ("/", "/favicon.ico", "/robots.txt")
# A published transparency report (D6) and its downloads: exactly these three paths per year. The
# view serves published reports only; everything else under /transparency/ needs a login.
PUBLIC_REPORT = re.compile(r"/transparency/[0-9]+/(?:report\.(?:md|html))?")

Handler = Callable[[HttpRequest], HttpResponse]


def is_public_path(path: str) -> bool:
    return (
        path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES) or PUBLIC_REPORT.fullmatch(path) is not None
    )


class NoStoreMiddleware:
    """No page of this site may be kept by a browser or a proxy: they all show or take confidential text."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        return response


class SessionLifetimeMiddleware:
    """Ends a session at its absolute lifetime, however active it has been (the idle timeout is the
    cookie age, renewed on each request)."""

    KEY = "cocdesk_login_at"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = request.session.get(self.KEY) if request.user.is_authenticated else None
        if started is not None:
            age = clock.now() - datetime.fromisoformat(started)
            if age > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Every non-public page, the Django admin included, needs password AND a verified TOTP device.

    django-otp only marks requests as verified; this is what enforces it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_public_path(request.path):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated and getattr(request.session, "unavailable", False):
            # The session could not be read (database outage): say so, do not ask to log in again.
            return render(request, "unavailable.html", status=503)
        if not (user.is_authenticated and user.is_active and user.is_verified()):
            return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
