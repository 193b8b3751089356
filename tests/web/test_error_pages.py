"""Error pages in the app's own look (D14; issue 13): a viewport, navigation, a way back, and on
public pages the quick exit; the CSRF page on a public form says nothing was sent and to reload."""

import pytest
from django.test import Client, override_settings

from cocdesk.cases.services import conflict_declare
from cocdesk.intake import ratelimit
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def looks_like_the_app(page: str) -> None:
    assert VIEWPORT in page
    assert '<link rel="stylesheet" href="/static/cocdesk/site.css">' in page
    assert '<header class="site-header">' in page and 'aria-label="Main"' in page


def test_a_404_on_a_case_the_member_may_not_see_has_navigation_and_a_way_back(alice, bob):
    case = case_factory(participants=(alice,))
    conflict_declare(case=case, member=bob, has_conflict=True)
    page = verified_client(bob).get(f"/cases/{case.reference}/")
    assert page.status_code == 404
    looks_like_the_app(page.text)
    assert "We could not find that page" in page.text
    assert 'href="/dashboard/"' in page.text and 'href="/cases/"' in page.text
    assert case.reference not in page.text and "quick-exit-link" not in page.text
    missing = verified_client(bob).get("/cases/CoC-1999-9999/")
    assert missing.text == page.text  # the same as for a case that does not exist


def test_a_public_404_has_the_quick_exit_and_a_way_back():
    page = Client().get("/report/nope/", HTTP_REFERER="http://testserver/report/")
    assert page.status_code == 404
    looks_like_the_app(page.text)
    assert "quick-exit-link" in page.text and 'href="/"' in page.text


def test_opening_a_form_address_after_login_is_a_page_not_a_bare_405(alice):
    case = case_factory(participants=(alice,))
    page = verified_client(alice).get(
        f"/cases/{case.reference}/notes/", HTTP_REFERER="http://testserver/cases/"
    )
    assert page.status_code == 405 and page["Allow"] == "POST"
    looks_like_the_app(page.text)
    assert (
        "That page cannot be opened this way" in page.text and 'href="http://testserver/cases/"' in page.text
    )


def test_the_csrf_page_on_the_public_status_form_says_nothing_was_sent_and_to_reload():
    ratelimit.reset()
    page = Client(enforce_csrf_checks=True).post("/report/status/", {"code": "ABCD-EFGH"})
    assert page.status_code == 403
    looks_like_the_app(page.text)
    assert "Nothing you wrote was sent or stored" in page.text and "reload the page" in page.text
    assert "CSRF" not in page.text and "quick-exit-link" in page.text


def test_the_csrf_page_gives_back_what_was_typed_in_a_report():
    story = "canary-csrf I wrote all of this and the form expired."
    page = Client(enforce_csrf_checks=True).post("/report/", {"what_happened": story, "kind": "named"})
    assert page.status_code == 403 and story in page.text and "readonly" in page.text


def test_a_400_is_in_the_apps_look():
    page = Client().get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    looks_like_the_app(page.text)


@override_settings(ROOT_URLCONF="tests.web.urls_failing")
def test_a_500_is_in_the_apps_look_and_shows_nothing_of_the_error():
    client = Client(raise_request_exception=False)
    page = client.get("/report/boom/")
    assert page.status_code == 500
    looks_like_the_app(page.text)
    assert "Something went wrong on our side" in page.text and "canary-500" not in page.text
