"""Sessions in the shared cache, stored so that a copy of the database or of Redis is no account
(issue 16), and no entry for anonymous visitors (issue 15). Each test runs on the database cache
and on Redis (`shared_cache`)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from cocdesk import sessions
from cocdesk.members import services
from cocdesk.members.selectors import totp_current_code
from tests.factories import PASSWORD, device_of, verified_client
from tests.shared_state import cache_entries, copy_of_everything

pytestmark = pytest.mark.django_db


def logged_in(member) -> Client:
    client = Client()
    code = totp_current_code(device_of(member))
    response = client.post("/login/", {"email": member.email, "password": PASSWORD, "code": code})
    assert response.status_code == 302
    return client


def session_entries() -> list[str]:
    return [key for key in cache_entries() if sessions.KEY_PREFIX in key]


def test_a_copy_of_the_database_and_cache_holds_no_usable_session_cookie(alice, shared_cache):
    client = logged_in(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/dashboard/").status_code == 200
    stolen = copy_of_everything()
    assert cookie not in stolen
    assert Session.objects.count() == 0  # nothing in django_session
    candidates = set(re.findall(r"[a-z0-9]{32}", stolen)) | {
        key.rsplit(":", 1)[-1] for key in cache_entries()
    }
    assert candidates
    for candidate in candidates:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = candidate
        assert thief.get("/dashboard/").status_code == 302


def test_the_session_contents_cannot_be_read_from_a_copy(alice, shared_cache):
    client = logged_in(alice)
    client.get("/dashboard/")
    stolen = copy_of_everything()
    assert "_auth_user_id" not in stolen
    assert "cocdesk_login_at" not in stolen


def test_anonymous_visitors_leave_no_session_behind(shared_cache):
    visitor = Client()
    for path in ("/", "/report/", "/report/status/", "/login/", "/healthz"):
        visitor.get(path)
    visitor.post("/report/", {})
    visitor.post("/report/status/", {"code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert session_entries() == []
    assert Session.objects.count() == 0


def test_disabling_a_member_ends_every_one_of_their_sessions_at_once(alice, bob, chair, shared_cache):
    phone, laptop, other = verified_client(alice), verified_client(alice), verified_client(bob)
    assert len(session_entries()) == 3
    services.member_disable(member=alice, actor=chair)
    assert len(session_entries()) == 1  # deleted, not merely refused on their next request
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 302
    assert other.get("/dashboard/").status_code == 200


def test_a_login_on_another_device_keeps_the_first_session(alice, shared_cache):
    first = logged_in(alice)
    second = verified_client(alice)
    assert first.get("/dashboard/").status_code == 200
    assert second.get("/dashboard/").status_code == 200
    assert len(session_entries()) == 2


def test_logging_out_deletes_the_stored_session(alice, shared_cache):
    client = logged_in(alice)
    assert len(session_entries()) == 1
    client.post("/logout/")
    assert session_entries() == []


def test_tick_clears_expired_entries_from_the_database_cache(alice):
    verified_client(alice)
    table = connection.ops.quote_name("cocdesk_cache")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET expires = %s",
            [connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(minutes=1))],
        )
    call_command("tick")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] == 0


def test_migrate_creates_the_database_cache_table():
    assert "cocdesk_cache" in connection.introspection.table_names()
