"""Login, logout and enrolment. Thin: parse, call a service, render."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from cocdesk import clock
from cocdesk.members import selectors, services
from cocdesk.members.forms import EnrolmentForm, LoginForm
from cocdesk.middleware import SessionLifetimeMiddleware

LOGIN_FAILED = _("That email address, password and code do not match an account. Please try again.")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok and target.startswith("/") else settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password", "code")
def login_view(request: HttpRequest) -> HttpResponse:
    """Password and TOTP code on one form: a wrong password and a wrong code look the same."""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        member = authenticate(request, username=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "members/locked_out.html", status=429)
        device = services.totp_verify(member=member, code=form.cleaned_data["code"]) if member else None
        if member is not None and device is not None and member.is_active:
            login(request, member)  # a new session key
            otp_login(request, device)
            request.session[SessionLifetimeMiddleware.KEY] = clock.now().isoformat()
            services.member_login_recorded(member=member)
            return redirect(_safe_next(request))
        if member is not None:
            # Right password, wrong code: counts towards the lockout like a wrong password.
            user_login_failed.send(sender=__name__, credentials={"username": email}, request=request)
            if getattr(request, "axes_locked_out", False):
                return render(request, "members/locked_out.html", status=429)
        services.member_login_failed(member=selectors.member_by_email(email=email))
        form.add_error(None, LOGIN_FAILED)
    return render(request, "members/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


@sensitive_post_parameters("password", "password_again", "code")
def enrol_view(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password and enrol an authenticator app from a one-time link."""
    enrolment = selectors.enrolment_token_find(token=token)
    if enrolment is None:
        return render(request, "members/enrol_invalid.html", status=404)
    device = services.enrolment_device(member=enrolment.member)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_complete(
                token=enrolment, password=form.cleaned_data["password"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field, message)
        else:
            return render(request, "members/enrol_done.html")
    context = {
        "form": form,
        "member": enrolment.member,
        "qr_svg": _qr_svg(device.config_url),
        "secret": selectors.totp_secret_base32(device),
    }
    return render(request, "members/enrol.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()
