"""The login lockout behind the documented proxy (issue 16): django-axes locks an account for one
client only, sees the real client through the trusted proxy, and keeps nothing about the client."""

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client

from cocdesk.members.selectors import totp_current_code
from tests.factories import PASSWORD, device_of
from tests.shared_state import copy_of_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings):
    settings.COCDESK_PROXY_COUNT = 1


def via_proxy(address: str, forged: str = "") -> dict:
    return {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"{forged}, {address}" if forged else address}


def login(member, *, password=PASSWORD, code=None, **meta):
    code = code if code is not None else totp_current_code(device_of(member))
    return Client().post("/login/", {"email": member.email, "password": password, "code": code}, **meta)


def test_a_stranger_behind_the_proxy_cannot_lock_the_member_out(alice, behind_proxy, shared_cache):
    # The attack from issue 16: every visitor was 127.0.0.1, so 5 bad passwords locked Alice out.
    for n in range(6):
        login(alice, password="guess", **via_proxy("203.0.113.9", forged=f"10.0.0.{n}"))
    response = login(alice, **via_proxy("198.51.100.7"))
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_the_stranger_stays_locked_out_whatever_forwarded_for_they_forge(alice, behind_proxy, shared_cache):
    for n in range(5):
        login(alice, password="guess", **via_proxy("203.0.113.9", forged=f"10.0.0.{n}"))
    assert login(alice, **via_proxy("203.0.113.9", forged="198.51.100.7")).status_code == 429


def test_failed_logins_keep_no_address_user_agent_or_form_data(alice, behind_proxy, shared_cache, caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(6):
        login(
            alice,
            password="canary-password-guess",
            code="123456",
            HTTP_USER_AGENT="CanaryAgent/1.0",
            **via_proxy("203.0.113.9"),
        )
    assert AccessAttempt.objects.count() == AccessLog.objects.count() == AccessFailureLog.objects.count() == 0
    kept = copy_of_everything() + caplog.text
    for secret in ("203.0.113.9", "CanaryAgent", "canary-password-guess", "123456"):
        assert secret not in kept
    assert alice.email not in caplog.text
