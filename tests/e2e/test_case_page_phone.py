"""The case page on a phone (issue 12): a failed close shows its error in view, a post returns to
its section with the message in view, and stepping away goes through its confirmation page.

Screenshots go to $COCDESK_SCREENSHOTS when it is set (look at them)."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from cocdesk import access
from cocdesk.cases.services import discussion_post_add, proposal_create, timeline_add
from tests.factories import case_factory, member_factory, verified_client

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTH = 375
LONG = "The reporter described what happened at the evening event in detail. " * 30


def shot(page, name: str, *, full_page: bool = False) -> None:
    folder = os.environ.get("COCDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def log_in_as(page, live_server, member) -> None:
    client = verified_client(member)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])


def in_view(page, selector: str) -> bool:
    """The element's top edge is inside the viewport (the person sees it without scrolling)."""
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.top < window.innerHeight && box.height > 0; }""",
        selector,
    )


def busy_case(alice, bob):
    """A case as long as a real one: a long report, a long discussion, proposals, a long timeline."""
    case = case_factory(participants=(alice, bob), description=LONG)
    for n in range(12):
        discussion_post_add(case=case, author=alice if n % 2 else bob, body=f"Post {n}. " + LONG[:400])
        timeline_add(case=case, author=alice, kind="note", text=f"Note {n}. " + LONG[:300])
    for n in range(3):
        proposal_create(case=case, kind="violation", text=f"Proposal {n}. " + LONG[:300], by=bob)
    return case


def test_a_failed_close_shows_its_error_in_view_on_a_phone(live_server, phone):
    alice = member_factory(name="Alice Member", email="alice@example.org")
    bob = member_factory(name="Bob Member", email="bob@example.org")
    case = busy_case(alice, bob)
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/")
    height = phone.evaluate("document.documentElement.scrollHeight")
    print(f"case page on a phone: {height}px tall")  # measured, for the record
    assert in_view(phone, "#summary")  # the summary is the first thing on the page
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(phone, "case-phone-top")
    shot(phone, "case-phone-full", full_page=True)

    phone.locator("nav.case-nav").get_by_role("link", name="Close").click()
    phone.get_by_label("Move the case to").select_option("closed")  # and no resolution: refused
    phone.get_by_role("button", name="Change state").click()
    phone.locator("#state .error-summary").wait_for()
    assert in_view(phone, "#state .error-summary"), f"page {height}px tall, error out of view"
    assert "how the case was resolved" in phone.locator("#state .error-summary").inner_text()
    shot(phone, "case-phone-failed-close")

    phone.locator("nav.case-nav").get_by_role("link", name="Discussion").click()
    phone.get_by_label("Write to the members taking part").fill("I can call the reporter tomorrow.")
    phone.get_by_role("button", name="Post").click()
    phone.locator("#section-message").wait_for()
    assert in_view(phone, "#section-message")
    assert "Your post is in the discussion." in phone.locator("#section-message").inner_text()
    shot(phone, "case-phone-posted")


def test_stepping_away_on_a_phone_confirms_first(live_server, phone):
    alice = member_factory(name="Alice Member", email="alice@example.org")
    case = case_factory(participants=(alice,), urgent=True)
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/")
    phone.get_by_role("link", name="I have a conflict: step away…").click()
    phone.get_by_role("heading", name=f"Step away from {case.reference}?").wait_for()
    assert in_view(phone, "#unattended")  # the warning names the case it leaves unattended
    shot(phone, "step-away-confirm", full_page=True)
    phone.get_by_role("button", name="Step away from this case").click()  # box not ticked
    phone.locator(".error-summary").wait_for()
    assert access.case_participants(case).filter(pk=alice.pk).exists()
    phone.get_by_label("Yes, I have a conflict. Step me away from this case.").check()
    phone.get_by_role("button", name="Step away from this case").click()
    phone.get_by_text("You have stepped away from this case.").wait_for()
    assert not access.case_participants(case).filter(pk=alice.pk).exists()


def test_closing_on_a_phone_leaves_a_page_without_action_forms(live_server, phone):
    alice = member_factory(name="Alice Member", email="alice@example.org")
    bob = member_factory(name="Bob Member", email="bob@example.org")
    case = busy_case(alice, bob)
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/#state")
    phone.get_by_label("Move the case to").select_option("closed")
    phone.get_by_label("Resolution (when closing)").select_option("withdrawn")
    phone.get_by_role("button", name="Change state").click()
    phone.locator("#state #section-message").wait_for()
    assert in_view(phone, "#state #section-message")
    assert phone.locator("form textarea").count() == 1  # only the transparency summary
    assert phone.get_by_role("button", name="Reopen the case").count() == 1
    phone.goto(f"{live_server.url}/cases/{case.reference}/")
    shot(phone, "case-phone-closed-top")


def test_stepping_down_on_a_phone_names_the_cases_it_leaves(live_server, phone):
    alice = member_factory(name="Alice Member", email="alice@example.org")
    bob = member_factory(name="Bob Member", email="bob@example.org")
    urgent = case_factory(participants=(alice, bob), urgent=True)
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/resign/")
    phone.get_by_role("heading", name="Step down from the committee?").wait_for()
    assert urgent.reference in phone.locator("#unattended").inner_text()
    assert in_view(phone, "#unattended")
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(phone, "step-down-confirm", full_page=True)
