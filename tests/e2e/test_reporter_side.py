"""The reporter's side and the safety path in a phone-sized browser (issue 13).

Screenshots go to $COCDESK_SCREENSHOTS when it is set (for a person to look at them)."""

import os
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cocdesk.cases.models import Message
from cocdesk.intake import ratelimit
from cocdesk.members.selectors import totp_current_code
from tests.factories import PASSWORD, SAFETY_NUMBERS, case_factory, device_of, event_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTH = 375


def shot(page, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("COCDESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def fits_a_phone(page) -> None:
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, wide


def log_in_as(page, live_server, member):
    """A verified session, as after a real login, put into the browser."""
    client = verified_client(member)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])


def body_text(page) -> str:
    return page.get_by_role("textbox", name="Message").input_value()


def test_compose_preview_send_with_a_placeholder_refused(live_server, phone, alice):
    case = case_factory(participants=(alice,))
    forget_delivered()
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/messages/new/?template=decision")
    assert phone.get_by_label("Decision and actions").is_checked()  # the template sets the kind
    phone.get_by_role("button", name="Preview").click()
    phone.get_by_role("alert").wait_for()
    assert "Please replace the parts in square brackets" in phone.get_by_role("alert").inner_text()
    assert "[What the committee decided" in body_text(phone)  # the text is kept
    shot(phone, "compose-placeholder-refused")

    text = body_text(phone)
    text = re.sub(
        r"\[What the committee decided[^\]]*\]", "We spoke with them; they agreed to stay away.", text
    )
    phone.get_by_role("textbox", name="Message").fill(text)
    phone.get_by_role("button", name="Preview").click()
    phone.get_by_role("heading", name="Check your message before it goes").wait_for()
    assert "ro•••@example.net" in phone.content()
    assert "counts as telling the reporter the committee's decision" in phone.content()
    fits_a_phone(phone)
    shot(phone, "compose-preview")
    assert delivered() == []

    phone.get_by_role("checkbox", name="Yes, send it to the reporter.").check()
    phone.get_by_role("button", name="Send to the reporter").click()
    phone.get_by_text("Your message is on its way").wait_for()
    [sent] = delivered()
    assert sent.to == ["robin@example.net"] and "they agreed to stay away" in sent.body
    assert Message.objects.get(case=case, kind="decision").author == alice


def test_switching_template_asks_and_keeps_what_was_typed(live_server, phone, alice):
    case = case_factory(participants=(alice,))
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/messages/new/")
    assert phone.get_by_role("button", name="Start from this kind's template").is_hidden()  # JS does it
    phone.get_by_role("textbox", name="Message").fill("I wrote this myself, please keep it.")
    phone.get_by_label("Update", exact=True).check()
    phone.get_by_role("button", name="Keep my text").wait_for()
    shot(phone, "compose-ask-before-replacing")
    phone.get_by_role("button", name="Keep my text").click()
    assert body_text(phone) == "I wrote this myself, please keep it."
    assert phone.get_by_label("Update", exact=True).is_checked()

    phone.get_by_label("Decision and actions").check()
    phone.get_by_role("button", name="Replace my text").click()
    assert "[What the committee decided" in body_text(phone)
    phone.get_by_label("Update", exact=True).check()  # the decision template, untouched: no question
    assert phone.get_by_role("button", name="Keep my text").is_hidden()
    assert "This is an update on your report" in body_text(phone)


def test_escape_inside_what_happened_keeps_the_report(live_server, phone):
    phone.route("https://www.wikipedia.org/**", lambda route: route.fulfill(status=200, body="neutral"))
    phone.goto(live_server.url + "/")
    phone.goto(live_server.url + "/report/")
    story = phone.get_by_label("What happened?")
    story.fill("He followed me to the hallway after the talk.")
    story.press("Escape")
    phone.get_by_role("heading", name="Tell us what happened").click()  # focus leaves the field
    phone.keyboard.press("Escape")  # something is typed: still not leaving
    assert phone.url == live_server.url + "/report/"
    assert story.input_value() == "He followed me to the hallway after the talk."
    fits_a_phone(phone)
    shot(phone, "report-form-after-escape")

    phone.goto(live_server.url + "/report/status/")  # nothing typed, no field focused: Escape leaves
    phone.get_by_role("heading", name="Check on a report").click()
    phone.keyboard.press("Escape")
    phone.wait_for_url("https://www.wikipedia.org/**")
    phone.go_back()
    assert "/report/status/" not in phone.url  # the page was replaced in the history too


def test_an_urgent_reports_thank_you_page(live_server, phone, alice):
    ratelimit.reset()
    event_factory(**SAFETY_NUMBERS)
    phone.goto(live_server.url + "/report/")
    phone.get_by_label("Your name").fill("Robin")
    phone.get_by_label("What happened?").fill("Someone grabbed my arm and will not leave me alone.")
    phone.get_by_label("Was it at an event?").select_option(label="CommunityConf")
    phone.get_by_label("Someone is in danger right now").check()
    phone.get_by_role("button", name="Send my report").click()
    phone.get_by_role("heading", name="Thank you for telling us").wait_for()
    text = phone.locator("main").inner_text()
    assert "The committee has been alerted now." in text
    for what in ("112", "Front desk, +351 555 0100", "Ana Safety, +351 555 0101"):
        assert what in text
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){4}", phone.locator(".receipt-code code").inner_text())
    assert phone.locator(".code-group").count() == 5
    expect(phone.get_by_role("button", name="Copy the code")).to_be_visible()  # once the script ran
    fits_a_phone(phone)
    shot(phone, "urgent-thank-you")


def test_a_session_timeout_keeps_a_post(live_server, phone, alice):
    case = case_factory(participants=(alice,))
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/")
    typed = "I can talk to them tomorrow morning, before the keynote."
    phone.get_by_label("Write to the members taking part").fill(typed)

    engine = import_module(settings.SESSION_ENGINE)  # the idle timeout ends the session on the server
    session_key = next(
        c["value"] for c in phone.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    )
    engine.SessionStore(session_key=session_key).delete()

    phone.get_by_role("button", name="Post", exact=True).click()
    phone.get_by_role("heading", name="Committee log in").wait_for()
    assert "What you typed is kept" in phone.locator("main").inner_text()
    shot(phone, "session-ended-login")
    phone.get_by_label("Email address").fill(alice.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_label("6-digit code from your authenticator app").fill(totp_current_code(device_of(alice)))
    phone.get_by_role("button", name="Log in").click()
    # Back on the case page; the browser keeps the form's #discussion through the redirects.
    phone.wait_for_url(
        re.compile(re.escape(f"{live_server.url}/cases/{case.reference}/") + "(#discussion)?$")
    )
    assert phone.get_by_label("Write to the members taking part").input_value() == typed
    assert "It is back in the form below" in phone.locator("main").inner_text()
    fits_a_phone(phone)
    shot(phone, "session-ended-text-back", full_page=False)
    phone.get_by_role("heading", name="The report", exact=True).scroll_into_view_if_needed()
    shot(phone, "case-page-report-facts", full_page=False)
    phone.get_by_label("Write to the members taking part").scroll_into_view_if_needed()
    shot(phone, "session-ended-text-in-the-form", full_page=False)


def test_the_404_page_has_navigation(live_server, phone, alice):
    log_in_as(phone, live_server, alice)
    response = phone.goto(f"{live_server.url}/cases/CoC-1999-9999/")
    assert response.status == 404
    nav = phone.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    assert nav.get_by_role("link", name="Cases").is_visible()
    assert phone.get_by_role("link", name="Your dashboard").is_visible()
    fits_a_phone(phone)
    shot(phone, "404-member")

    phone.context.clear_cookies()
    response = phone.goto(f"{live_server.url}/report/no-such-page/")
    assert response.status == 404
    assert phone.get_by_role("complementary", name="Quick exit").get_by_role("link").is_visible()
    assert phone.get_by_role("link", name="Back to the start").is_visible()
    fits_a_phone(phone)
    shot(phone, "404-public")


def test_someone_may_be_in_danger_from_the_case_page(live_server, phone, alice, bob):
    event = event_factory(venue_security="+351 555 0100")
    case = case_factory(participants=(alice,), event=event)
    forget_delivered()
    log_in_as(phone, live_server, alice)
    phone.goto(f"{live_server.url}/cases/{case.reference}/")
    phone.get_by_role("link", name="Someone may be in danger").click()
    phone.get_by_role("heading", name="Someone may be in danger").wait_for()
    assert "sexual assault or groping" in phone.locator("main").inner_text()
    fits_a_phone(phone)
    shot(phone, "safety-page")
    phone.get_by_label("Called venue security").check()
    phone.get_by_label("Note").fill("Security is with the reporter at the front desk.")
    phone.get_by_role("button", name="Record it and alert the committee").click()
    phone.wait_for_url(f"{live_server.url}/cases/{case.reference}/")
    assert "Immediate danger reported" in phone.locator("main").inner_text()
    assert [m.to for m in delivered()] == [[bob.email]]
