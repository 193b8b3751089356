"""A member whose session ended loses nothing they typed (D14; issue 13): a POST after the session
expired is kept, encrypted, for that member, and given back after login on the page it came from.
Logging in never ends on a bare "405 Method Not Allowed"."""

import json
import re
from importlib import import_module

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, TestCase

from cocdesk import keep_typed
from cocdesk.cases.models import DiscussionPost
from cocdesk.members.selectors import totp_current_code
from tests.factories import PASSWORD, case_factory, device_of, verified_client

pytestmark = pytest.mark.django_db

TYPED = "canary-kept I have been writing this for twenty minutes, please keep it."


def expire(client: Client) -> None:
    """The session ends on the server (idle timeout), whatever the session engine."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()


def log_in(client, member):
    """The login form, as the member fills it in on the page they were sent to."""
    code = totp_current_code(device_of(member))
    data = {"email": member.email, "password": PASSWORD, "code": code, "next": client.kept_next}
    return client.post(f"/login/?next={client.kept_next}", data)


def post_after_expiry(client, case, *, referer=True, page=None):
    expire(client)
    page = page or f"/cases/{case.reference}/"
    extra = {"HTTP_REFERER": f"http://testserver{page}"} if referer else {}
    response = client.post(f"/cases/{case.reference}/discussion/", {"body": TYPED}, **extra)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    client.kept_next = re.search(r"next=([^&]+)", response["Location"]).group(1).replace("%2F", "/")
    return response


def test_a_post_after_the_session_expired_is_kept_and_given_back_after_login_on_its_page(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    assert client.get(f"/cases/{case.reference}/").status_code == 200  # the member is known here

    post_after_expiry(client, case)
    assert client.kept_next == f"/cases/{case.reference}/"  # the page, not the form's address
    assert TYPED not in [post.body for post in DiscussionPost.objects.all()]
    token = client.cookies[keep_typed.KEEP_COOKIE].value
    stored = cache.get(keep_typed.cache_key(token))
    assert stored and TYPED not in stored and "canary" not in stored  # encrypted at rest
    login_page = client.get(f"/login/?next={client.kept_next}").text
    assert "What you typed is kept" in login_page

    landed = log_in(client, alice)
    assert landed.status_code == 302 and landed["Location"] == f"/cases/{case.reference}/"
    page = client.get(landed["Location"])
    assert page.status_code == 200
    kept = json.loads(
        re.search(r'<script id="kept-post" type="application/json">(.*?)</script>', page.text).group(1)
    )
    assert kept["action"] == f"/cases/{case.reference}/discussion/" and kept["fields"]["body"] == [TYPED]
    assert "csrfmiddlewaretoken" not in kept["fields"]
    assert TYPED in page.text.split('id="kept-post"')[0]  # also readable without JavaScript
    assert cache.get(keep_typed.cache_key(token)) is None  # given back once
    assert TYPED not in client.get(f"/cases/{case.reference}/").text


def test_without_a_referer_the_text_comes_back_on_the_dashboard_never_a_405(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    client.get("/dashboard/")
    post_after_expiry(client, case, referer=False)
    landed = log_in(client, alice)
    assert landed.status_code == 302
    page = client.get(landed["Location"])
    assert page.status_code == 200 and TYPED in page.text


def test_a_page_that_only_takes_forms_sends_the_text_to_the_dashboard_not_to_a_405(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    client.get("/dashboard/")
    # The case page as re-shown after a refused note has the note form's address.
    post_after_expiry(client, case, page=f"/cases/{case.reference}/notes/")
    landed = log_in(client, alice)
    first = client.get(landed["Location"])
    assert first.status_code == 302 and first["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and TYPED in page.text


def test_another_member_logging_in_on_that_browser_does_not_get_it(alice, bob):
    case = case_factory(participants=(alice, bob))
    client = verified_client(alice)
    client.get("/dashboard/")
    post_after_expiry(client, case)
    landed = log_in(client, bob)
    page = client.get(landed["Location"])
    assert TYPED not in page.text


def test_a_forged_post_is_not_kept(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    client.get("/dashboard/")
    expire(client)
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = client.cookies
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = forged.post(f"/cases/{case.reference}/discussion/", {"body": TYPED})
    assert response.status_code == 403
    assert keep_typed.KEEP_COOKIE not in response.cookies
