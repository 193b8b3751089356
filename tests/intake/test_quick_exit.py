"""The quick exit (D14): on every public page, the home page included, inside a landmark."""

import re

import pytest
from django.test import Client

from cocdesk.intake import ratelimit
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db

QUICK_EXIT = re.compile(
    r'<aside class="quick-exit" aria-label="Quick exit">\s*<a class="button button-danger quick-exit-link"'
)


def test_every_public_page_has_the_quick_exit_inside_a_landmark():
    ratelimit.reset()
    case = case_factory(kind="anonymous")
    client = Client()
    pages = ["/", "/report/", "/report/status/", "/report/thanks/", "/login/", "/report/no-such-page/"]
    for path in pages:
        page = client.get(path).content.decode()
        assert QUICK_EXIT.search(page), path
        assert "quick-exit.js" in page
    client.post("/report/status/", {"code": case.receipt_code})
    assert QUICK_EXIT.search(client.get("/report/status/case/").text)


def test_members_pages_have_no_quick_exit(alice):
    page = verified_client(alice).get("/dashboard/").text
    assert "quick-exit-link" not in page
