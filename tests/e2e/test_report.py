"""A frightened reporter on a phone: report anonymously, keep the receipt code, check back later."""

import re

import pytest

from cocdesk.cases.models import Case, Message
from cocdesk.intake import ratelimit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_anonymous_report_on_a_phone_then_reading_the_committees_reply(live_server, phone):

    ratelimit.reset()
    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="Report an incident").click()
    phone.get_by_label("Anonymously: no name or contact details are kept").check()
    phone.get_by_label("What happened?").fill("Someone followed me to the hallway after the talk.")
    phone.get_by_role("button", name="Send my report").click()

    phone.get_by_role("heading", name="Thank you for telling us").wait_for()
    code = phone.locator(".receipt-code code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){4}", code)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    case = Case.objects.get()
    Message.objects.create(
        case=case, direction="to_reporter", kind="question", body="Are you safe right now?"
    )

    phone.goto(live_server.url + "/report/status/")
    phone.get_by_label("Your receipt code").fill(code.lower())
    phone.get_by_role("button", name="Open my report").click()
    phone.get_by_text("Are you safe right now?").wait_for()
    phone.get_by_label("Add information or answer a question").fill("Yes, I am with friends.")
    phone.get_by_role("button", name="Send to the committee").click()
    phone.get_by_text("The committee has your message").wait_for()
    assert case.messages.filter(direction="from_reporter").get().body == "Yes, I am with friends."


def test_quick_exit_replaces_the_page_without_a_history_entry(live_server, phone):
    phone.route("https://www.wikipedia.org/**", lambda route: route.fulfill(status=200, body="neutral"))
    phone.goto(live_server.url + "/")
    phone.goto(live_server.url + "/report/")
    phone.get_by_role("link", name="Leave this page quickly").click()
    phone.wait_for_url("https://www.wikipedia.org/**")
    phone.go_back()
    assert "/report/" not in phone.url  # the report page is no longer in the history
