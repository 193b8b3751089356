"""Login with password and TOTP, lockout, sessions (D1; foundation issue)."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.members import services, views
from cocdesk.members.selectors import totp_current_code
from tests.factories import PASSWORD, device_of, verified_client

pytestmark = pytest.mark.django_db


def _login(client, member, *, password=PASSWORD, code=None, addr="127.0.0.1"):
    code = code if code is not None else totp_current_code(device_of(member))
    return client.post(
        "/login/", {"email": member.email, "password": password, "code": code}, REMOTE_ADDR=addr
    )


def test_login_requires_password_and_totp_code(alice):
    client = Client()
    response = _login(client, alice)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "Hello, Alice Member" in page.text


def test_wrong_totp_code_is_refused(alice):
    right = totp_current_code(device_of(alice))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client = Client()
    response = _login(client, alice, code=wrong)
    assert response.status_code == 200
    assert "do not match" in response.text
    assert SESSION_KEY not in client.session
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_refused(alice):
    client = Client()
    response = _login(client, alice, password="not the password")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_five_wrong_passwords_lock_the_account(alice):
    client = Client()
    for _ in range(5):
        _login(client, alice, password="guess")
    response = _login(client, alice)  # the right password and code, too late
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert SESSION_KEY not in client.session


def test_wrong_codes_count_towards_the_lockout(alice):
    client = Client()
    for _ in range(5):
        _login(client, alice, code="000000" if totp_current_code(device_of(alice)) != "000000" else "111111")
    assert _login(client, alice).status_code == 429


def test_stranger_guessing_an_email_does_not_lock_the_member_out(alice):
    stranger = Client()
    for _ in range(6):
        _login(stranger, alice, password="guess", addr="203.0.113.9")
    assert _login(stranger, alice, addr="203.0.113.9").status_code == 429
    response = _login(Client(), alice, addr="198.51.100.7")
    assert response.status_code == 302


def test_login_starts_a_new_session_key(alice):
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    _login(client, alice)
    assert client.session.session_key != before


def test_passwords_are_hashed_with_argon2(alice):
    assert alice.password.startswith("argon2$")


def test_login_form_hides_password_and_code_from_error_reports():
    request = RequestFactory().post("/login/", {"email": "x@example.org", "password": "p", "code": "123456"})
    views.login_view(request_with_session(request))
    assert set(request.sensitive_post_parameters) == {"password", "code"}


def request_with_session(request):

    request.session, request.user = SessionStore(), AnonymousUser()
    return request


def test_disabling_an_account_ends_all_its_sessions(alice, chair):
    phone, laptop = verified_client(alice), verified_client(alice)
    assert phone.get("/dashboard/").status_code == 200
    services.member_disable(member=alice, actor=chair)
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 302


def test_session_ends_after_its_absolute_lifetime(alice, settings):
    client = verified_client(alice)
    assert client.get("/dashboard/").status_code == 200
    with clock.frozen(clock.now() + settings.SESSION_ABSOLUTE_LIFETIME + timedelta(minutes=1)):
        assert client.get("/dashboard/").status_code == 302


def test_session_expires_after_inactivity(alice, settings):
    client = verified_client(alice)
    client.get("/dashboard/")
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert 0 < client.session.get_expiry_age() <= 30 * 60


def test_logout_ends_the_session(alice):
    client = verified_client(alice)
    client.post("/logout/")
    assert client.get("/dashboard/").status_code == 302


def test_login_is_audited(alice):

    _login(Client(), alice)
    entry = AuditEntry.objects.filter(action="member.login").get()
    assert (entry.actor, entry.object_id) == (f"member:{alice.pk}", str(alice.pk))


def test_login_next_must_stay_on_this_site(alice):
    response = Client().post(
        "/login/?next=https://evil.example/",
        {"email": alice.email, "password": PASSWORD, "code": totp_current_code(device_of(alice))},
    )
    assert response["Location"] == "/dashboard/"


def test_disabled_member_cannot_log_in(alice, bob):
    code = totp_current_code(device_of(alice))
    services.member_disable(member=alice, actor="system")
    assert _login(Client(), alice, code=code).status_code == 200
    assert _login(Client(), bob).status_code == 302
