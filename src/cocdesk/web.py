"""The view edge (docs/architecture.md, "Views"): what every view declares before it runs.

- `require(predicate)`: the request's user must satisfy an `access` predicate, or the answer is 404.
- `with_case`: the URL's `reference` becomes the case, fetched through the access policy, or 404.
- `step_up_required`: the view runs only within minutes of re-entering the TOTP code (as
  healthchecks' `require_sudo_mode`); otherwise the code is asked for, and the view runs after.
- `found_or_404`: an object a selector fetched through `access`, or 404.
- `refusal_to_form` / `refusal_to_messages`: the one way a domain refusal (`errors.Refused`)
  reaches the person — next to the form, or as a message.
- `cocdesk.confirm`: the one pattern for an irreversible step (a confirmation page).

Denial always looks like "not found", so nobody learns that something they may not see exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cocdesk import stepup
from cocdesk.audit.services import audit_record
from cocdesk.cases.selectors import case_visible

View = Callable[..., HttpResponse]
T = TypeVar("T")

# The references of the reports a taker filed from this session (newest last): the dashboard and
# the safety page reach them by position, so the taker is not shown a reference again (D2, D3).
TAKEN_SESSION_KEY = "cocdesk_reports_taken"


def taken_reference(request: HttpRequest, index: int) -> str | None:
    taken = request.session.get(TAKEN_SESSION_KEY, [])
    return taken[index] if 0 <= index < len(taken) else None


def require(predicate: Callable[[object], bool]) -> Callable[[View], View]:
    """404 unless `predicate(request.user)` (a function of `cocdesk.access`)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not predicate(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def with_case(view: View) -> View:
    """Pass the case named by the URL's `reference`, if the user may read its file; else 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, reference: str, *args: object, **kwargs: object) -> HttpResponse:
        case = case_visible(user=request.user, reference=reference)
        if case is None:
            raise Http404
        return view(request, case, *args, **kwargs)

    return wrapped


def found_or_404(found: T | None) -> T:
    """What a selector found through the access policy, or "not found"."""
    if found is None:
        raise Http404
    return found


def step_up_required(view: View) -> View:
    """Run the view only after a fresh TOTP code; ask for it first if needed (then run the view)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if stepup.is_fresh(request):
            return view(request, *args, **kwargs)
        form = stepup.StepUpForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            if stepup.verify(request, form.cleaned_data["code"]):
                audit_record(actor=request.user, action="member.step_up", target=request.user)
                return view(request, *args, **kwargs)
            form.add_error("code", _("That code did not match. Please try again."))
        return render(request, "stepup.html", {"form": form}, status=400 if form.errors else 200)

    return wrapped


def refusal_to_form(form: forms.Form, exc: ValidationError, *, field: str | None = None) -> None:
    """Show a refusal next to the form (at the top, or beside `field`)."""
    for message in exc.messages:
        form.add_error(field, message)


def refusal_to_messages(request: HttpRequest, exc: ValidationError) -> None:
    """Show a refusal as a message on the next page."""
    for message in exc.messages:
        messages.error(request, message)
