"""Nothing a member typed is lost when their session has ended (D14).

A POST to a members' page that arrives after the session expired would only be redirected to the
login page, and what was typed would be gone (and after login the browser would be sent to the
form's address with GET: "405 Method Not Allowed"). Instead:

1. `KeepTypedMiddleware` checks the form's CSRF token as the view would, then keeps the posted
   fields (never passwords, codes or tokens; never files) for KEEP_FOR, encrypted with the field keys
   (`crypto.encrypt`), in the cache under a keyed hash of a random token. The token is only in an
   HttpOnly cookie of that browser. The entry names the member by a keyed hash of their id, taken
   from a cookie set while they were logged in (`WHO_COOKIE`), so another member logging in on
   that browser does not get it.
2. The login page says so, and login returns to the page the form was on (the Referer on this site,
   else the dashboard), never to the form's own address.
3. On that page, after login, the entry is given back once: `kept_post` in the template context
   (`templates/kept_post.html`): `keep.js` puts the text back into the form, and without JavaScript
   the texts are shown to copy. The entry and its cookie are then deleted.

A page that answers 405 to the restoring GET sends the member to the dashboard, where it is shown.
Kept in its own module (not `middleware.py`) so the session engine can change independently.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from cocdesk import crypto
from cocdesk.middleware import is_public_path

KEEP_COOKIE = "cocdesk_kept"
WHO_COOKIE = "cocdesk_who"
KEEP_FOR = timedelta(minutes=30)
NOT_KEPT = {"csrfmiddlewaretoken", "password", "password_again", "code", "previewed", "action", "next"}
MAX_CHARS = 100_000

Handler = Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class Kept:
    """What was typed into one form: where it was posted, the page to give it back on, the fields."""

    owner: str  # keyed hash of the member's id, or "" when the browser did not say who it was
    page: str  # the path it is given back on
    action: str  # the path the form was posted to
    fields: dict[str, list[str]]

    def texts(self) -> list[str]:
        """The typed texts, to show when JavaScript cannot put them back."""
        return [value for values in self.fields.values() for value in values if len(value.strip()) >= 2]


def cache_key(token: str) -> str:
    return "cocdesk:kept:" + hashlib.sha256(token.encode()).hexdigest()


def _owner_of(member_pk: object) -> str:
    return salted_hmac("cocdesk.keep_typed.who", str(member_pk)).hexdigest()


def _verified(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_verified", lambda: False)()
    )


def _store(kept: Kept) -> str:
    token = secrets.token_urlsafe(32)
    data = {"owner": kept.owner, "page": kept.page, "action": kept.action, "fields": kept.fields}
    cache.set(cache_key(token), crypto.encrypt(json.dumps(data)), int(KEEP_FOR.total_seconds()))
    return token


def _load(token: str) -> Kept | None:
    stored = cache.get(cache_key(token)) if token else None
    if not stored:
        return None
    try:
        data = json.loads(crypto.decrypt(stored))
        return Kept(owner=data["owner"], page=data["page"], action=data["action"], fields=data["fields"])
    except Exception:  # another key, a broken entry: nothing to give back
        return None


def _forget(token: str) -> None:
    cache.delete(cache_key(token))


def _same_site_path(request: HttpRequest, url: str) -> str:
    """The path (and query) of `url` if it is on this site, else ""."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else ""


def _cookie(response: HttpResponse, name: str, value: str, max_age: timedelta) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class KeepTypedMiddleware:
    """Place after the session, authentication and session-lifetime middleware and before
    `RequireTwoFactorMiddleware` (which would send the POST to the login page and lose it)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        verified = _verified(request.user)
        if request.method == "POST" and not verified and not is_public_path(request.path):
            return self._keep(request)
        token = request.COOKIES.get(KEEP_COOKIE, "")
        kept = _load(token) if verified and request.method == "GET" and token else None
        if kept is not None and kept.owner and kept.owner != _owner_of(request.user.pk):
            _forget(token)  # someone else's: never shown to this member
            kept = None
        if kept is not None and urlsplit(kept.page).path == request.path:
            request.kept_post = kept
        response = self.get_response(request)
        if verified:
            self._remember_who(request, response)
        if getattr(request, "kept_post", None) is not None:
            if response.status_code == 405:  # a form's address: give it back on the dashboard
                _forget(token)
                dashboard = reverse("dashboard")
                moved = Kept(owner=kept.owner, page=dashboard, action=kept.action, fields=kept.fields)
                redirect = HttpResponseRedirect(dashboard)
                _cookie(redirect, KEEP_COOKIE, _store(moved), KEEP_FOR)
                return redirect
            if response.status_code == 200:
                _forget(token)
                response.delete_cookie(KEEP_COOKIE, samesite="Lax")
        return response

    def _keep(self, request: HttpRequest) -> HttpResponse:
        refused = CsrfViewMiddleware(self.get_response).process_view(request, None, (), {})
        if refused is not None:  # a forged or stale form is never kept
            return refused
        fields = {key: values for key, values in request.POST.lists() if key not in NOT_KEPT}
        page = _same_site_path(request, request.META.get("HTTP_REFERER", "")) or reverse("dashboard")
        if urlsplit(page).path == reverse("login"):
            page = reverse("dashboard")
        who = request.get_signed_cookie(WHO_COOKIE, default="", salt="cocdesk.keep_typed")
        response = HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': page})}")
        if fields and sum(len(v) for values in fields.values() for v in values) <= MAX_CHARS:
            kept = Kept(owner=who, page=page, action=request.path, fields=fields)
            _cookie(response, KEEP_COOKIE, _store(kept), KEEP_FOR)
        return response

    @staticmethod
    def _remember_who(request: HttpRequest, response: HttpResponse) -> None:
        owner = _owner_of(request.user.pk)
        current = request.get_signed_cookie(WHO_COOKIE, default="", salt="cocdesk.keep_typed")
        if current != owner:
            response.set_signed_cookie(
                WHO_COOKIE,
                owner,
                salt="cocdesk.keep_typed",
                max_age=int(settings.SESSION_ABSOLUTE_LIFETIME.total_seconds()),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )


def kept_context(request: HttpRequest) -> dict:
    """For the context processor: what to give back on this page, and whether the login page
    should say that something typed is waiting."""
    kept = getattr(request, "kept_post", None)
    waiting = kept is None and request.path == settings.LOGIN_URL and bool(request.COOKIES.get(KEEP_COOKIE))
    data = {"action": kept.action, "fields": kept.fields} if kept is not None else None
    # Every key is always there: a missing variable makes Django log the whole context at DEBUG.
    return {"kept_post": kept, "kept_post_data": data, "kept_waiting": waiting}
