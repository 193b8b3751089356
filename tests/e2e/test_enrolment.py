"""A new member enrols on a 390 px phone (issue 17): the QR code cannot be scanned with the phone
it is on, so an "Open in your authenticator app" link opens the app, and the key is in groups of four."""

import re

import pytest

from cocdesk.members.models import TOTPDevice
from cocdesk.members.selectors import totp_current_code, totp_secret_base32
from cocdesk.members.services import member_add
from tests.e2e.conftest import phone_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_390(browser):
    with phone_page(browser, 390, 844) as page:
        yield page


def test_a_new_member_enrols_on_a_phone_with_the_otpauth_link(live_server, phone_390):
    member, link = member_add(email="nia@example.org", name="Nia New")
    phone = phone_390
    phone.goto(live_server.url + link.split("127.0.0.1:8000", 1)[1])
    device = TOTPDevice.objects.get(user=member, confirmed=False)

    open_app = phone.get_by_role("link", name="Open in your authenticator app")
    assert open_app.is_visible()
    href = open_app.get_attribute("href")
    assert href.startswith("otpauth://totp/") and f"secret={totp_secret_base32(device)}" in href
    key = phone.locator("code.secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", key) and key.replace(" ", "") == totp_secret_base32(
        device
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the side

    phone.get_by_label("Choose a password").fill("river stone lantern orbit")
    phone.get_by_label("Type it again").fill("river stone lantern orbit")
    phone.get_by_label("6-digit code your authenticator app now shows").fill(totp_current_code(device))
    phone.get_by_role("button", name="Finish setting up").click()
    assert phone.get_by_text("You're set up").first.is_visible()
