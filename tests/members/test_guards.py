"""Every committee page needs 2FA and is never cached (foundation issue)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cocdesk.middleware import is_public_path
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def _committee_paths():
    """Every non-public, argument-free URL of the site, found from the URL resolver."""
    paths = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif (
                isinstance(entry, URLPattern)
                and "<" not in str(entry.pattern)
                and "^" not in str(entry.pattern)
            ):
                paths.append("/" + prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return [p for p in paths if not is_public_path(p)]


def test_committee_pages_are_found():
    assert "/dashboard/" in _committee_paths()
    assert "/admin/" in _committee_paths()


@pytest.mark.parametrize("path", ["/dashboard/", "/admin/"])
def test_committee_page_without_login_redirects_to_login(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_password_without_totp_is_not_enough_for_any_committee_page(alice):
    client = Client()
    client.force_login(alice)  # password checked, no TOTP
    for path in _committee_paths():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/"), path


def test_django_admin_needs_2fa_even_for_the_superuser(operator):
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/").status_code == 302


def test_every_page_sends_no_store(alice):
    client = verified_client(alice)
    for path in ["/", "/login/", *_committee_paths()]:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path


def test_pages_send_a_content_security_policy():
    policy = Client().get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_public_home_page_invites_a_report():
    response = Client().get("/")
    assert response.status_code == 200
    assert "Report an incident" in response.text
    assert '<main id="main"' in response.text


def test_login_page_is_public():
    response = Client().get("/login/")
    assert response.status_code == 200
    assert 'autocomplete="one-time-code"' in response.text


def test_form_errors_and_hints_are_tied_to_their_fields_for_screen_readers():

    response = Client().post("/report/", {"kind": "named", "what_happened": ""})
    text = response.text
    assert 'aria-invalid="true"' in text
    assert 'aria-describedby="id_what_happened_helptext id_what_happened_error"' in text
    assert 'id="id_what_happened_error"' in text and 'id="id_what_happened_helptext"' in text
