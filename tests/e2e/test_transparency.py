"""On a phone: a committee member reads the statistics, and anyone reads a published transparency
report with its charts. Screenshots go to var/screenshots/ (look at them: the file viewer shows PNGs)."""

from pathlib import Path

import pytest
from django.conf import settings

from cocdesk import clock
from cocdesk.transparency import selectors, services
from tests.factories import verified_client
from tests.transparency.bulk import bulk_year
from tests.transparency.conftest import AFTER

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE_WIDTH = 375


def _log_in(page, member, live_server) -> None:
    client = verified_client(member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def _shots(phone, name: str) -> None:
    """The whole page, its top, and each chart, for a person to look at."""
    phone.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    phone.screenshot(path=str(SHOTS / f"{name}-top.png"))
    figures = phone.locator("figure.chart-figure")
    for i in range(figures.count()):
        figures.nth(i).screenshot(path=str(SHOTS / f"{name}-chart-{i + 1}.png"))


def test_statistics_and_the_public_report_on_a_phone(live_server, phone, chair, alice):
    SHOTS.mkdir(parents=True, exist_ok=True)
    clock.set_now(AFTER)
    bulk_year(year=2026, count=90, taking_part=[chair, alice], every=1)
    report = services.report_draft_create(year=2026, by=chair)
    report = services.report_edit(
        report=report,
        by=chair,
        promotion="The Code of Conduct is linked from every event page and read out at each opening.",
        include_statistics=True,
    )
    assert services.report_publish(report=report, by=chair, read=selectors.text_digest(report.body)).published

    _log_in(phone, alice, live_server)
    phone.goto(live_server.url + "/statistics/?year=2026")
    phone.get_by_role("heading", name="Statistics 2026").wait_for()
    assert phone.locator("svg[role=img]").count() >= 5
    _fits(phone)
    _shots(phone, "statistics-phone")

    phone.context.clear_cookies()
    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="Transparency report 2026").click()
    phone.get_by_role("heading", name="Code of Conduct transparency report 2026").wait_for()
    assert phone.get_by_text("The Code of Conduct is linked from every event page").is_visible()
    assert phone.locator("svg[role=img]").count() >= 2
    _fits(phone)
    _shots(phone, "public-report-phone")
