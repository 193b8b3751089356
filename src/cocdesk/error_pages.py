"""Error pages in the app's own look (D14): 400, 403 (the CSRF failure included), 404, 405, 500.

Each has a viewport, the site's navigation, a way back, and on public pages the quick exit (from
base.html). A 404 says nothing of what was asked for, so it is the same for a hidden case as for a
case that does not exist (D3). A form refused by the CSRF check says that nothing was sent, to
reload, and shows back what was typed so that nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from cocdesk.middleware import is_public_path

log = logging.getLogger("cocdesk.errors")

NOT_KEPT = {"csrfmiddlewaretoken", "password", "password_again", "code", "previewed", "action"}
TITLES = {
    400: _("Something in that request did not look right"),
    403: _("That cannot be done from here"),
    404: _("We could not find that page"),
    405: _("That page cannot be opened this way"),
    500: _("Something went wrong on our side"),
}


def _way_back(request: HttpRequest) -> str:
    """The page the person came from, if it is on this site; else the start."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:  # the very reason for a 400: no way back to offer but the start
        return ""
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _page(request: HttpRequest, status: int, *, csrf: bool = False) -> HttpResponse:
    context = {
        "status": status,
        "title": TITLES[status],
        "csrf": csrf,
        "public": is_public_path(request.path),
        "back": _way_back(request) if status != 404 else "",
        "typed": _typed(request) if csrf else [],
    }
    try:
        body = render_to_string("error.html", context, request=request)
    except Exception:  # the database or a template may be what failed: a page that needs neither
        log.exception("the error page could not be rendered")
        body = render_to_string("error_plain.html", context)
    return HttpResponse(body, status=status)


def _typed(request: HttpRequest) -> list[str]:
    """What the person wrote in a form the CSRF check refused (longer texts only), to copy back."""
    if request.method != "POST":
        return []
    try:
        items = request.POST.lists()
    except Exception:  # a broken body: nothing to give back
        return []
    return [v for key, values in items if key not in NOT_KEPT for v in values if len(v.strip()) >= 20]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form was not sent. Never the technical reason."""
    return _page(request, 403, csrf=True)


class ErrorPagesMiddleware:
    """Gives an empty 405 (`require_POST` and friends) the app's own page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not settings.DEBUG:
            page = _page(request, 405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
