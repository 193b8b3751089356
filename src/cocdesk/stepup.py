"""Step-up authentication: re-enter the TOTP code before the most sensitive reads (a named
reporter's contact details, exports). Valid for 15 minutes in this session only."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.members.forms import totp_code_field
from cocdesk.members.services import totp_verify

SESSION_KEY = "cocdesk_stepup_at"
VALID_FOR = timedelta(minutes=15)


class StepUpForm(forms.Form):
    code = totp_code_field(_("Your 6-digit code, to confirm it is you"))


def verify(request: HttpRequest, code: str) -> bool:
    if totp_verify(member=request.user, code=code) is None:
        return False
    request.session[SESSION_KEY] = clock.now().isoformat()
    return True


def is_fresh(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    return bool(at) and clock.now() - datetime.fromisoformat(at) < VALID_FOR
