"""A demo member logs in with password and TOTP on a phone and reaches the dashboard."""

import pytest

from cocdesk.demo import DEMO_PASSWORD, demo_committee_seed
from cocdesk.members.models import Member
from cocdesk.members.selectors import confirmed_devices, totp_current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_demo_member_logs_in_on_a_phone_and_reaches_the_dashboard(live_server, phone):
    demo = demo_committee_seed()[1]
    device = confirmed_devices(member=Member.objects.get(email=demo.email)).get()

    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="Committee log in").click()
    phone.get_by_label("Email address").fill(demo.email)
    phone.get_by_label("Password").fill(DEMO_PASSWORD)
    phone.get_by_label("6-digit code from your authenticator app").fill(totp_current_code(device))
    phone.get_by_role("button", name="Log in").click()

    phone.wait_for_url(live_server.url + "/dashboard/")
    assert phone.get_by_role("heading", level=1).inner_text() == f"Hello, {demo.name}"
    # Nothing overflows sideways on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_wrong_code_in_the_browser_shows_a_kind_error_and_keeps_the_email(live_server, phone):
    demo = demo_committee_seed()[2]
    phone.goto(live_server.url + "/login/")
    phone.get_by_label("Email address").fill(demo.email)
    phone.get_by_label("Password").fill(DEMO_PASSWORD)
    phone.get_by_label("6-digit code from your authenticator app").fill("12345x")
    phone.get_by_role("button", name="Log in").click()
    assert phone.get_by_role("alert").is_visible()
    assert phone.get_by_label("Email address").input_value() == demo.email
    assert phone.url.startswith(live_server.url + "/login/")
