"""Daily use on a phone (390 px) and a laptop (1366 px), issue 17: every page the menu leads to fits
the screen, for a chair and for a member, with the menu open too; the vote badges are told apart by
more than their words; enrolment offers the otpauth: link. The README's screenshots are made here, so
they show the app as it is: every run writes them to var/screenshots/ (look at them there), and
`make screenshots` writes them into docs/screenshots/ for the README, so a test run never leaves the
repository changed."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from cocdesk.cases import services as d
from cocdesk.cases.models import PartyRole
from cocdesk.cases.services import ConversationInput, PartyInput
from cocdesk.intake import ratelimit
from cocdesk.members.models import TOTPDevice
from cocdesk.members.selectors import totp_secret_base32
from cocdesk.members.services import member_add
from tests.factories import cast_member, open_report, verified_client

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ("docs" if os.environ.get("COCDESK_README_SCREENSHOTS") else "var") / "screenshots"
WIDTHS = {"phone": 390, "laptop": 1366}


@pytest.fixture(params=list(WIDTHS))
def screen(request, browser):
    width = WIDTHS[request.param]
    phone = request.param == "phone"
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 768}, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.width = width
    yield page
    context.close()


def log_in_as(page, live_server, member) -> None:
    """A verified session, as after a real login, put into the browser."""
    client = verified_client(member)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])


def fits(page, where: str) -> None:
    width = page.width
    wide = page.evaluate(
        f"""() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > {width} + 1)
            .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (where, wide)


def shot(page, name: str, *, full_page: bool = False) -> None:
    """What the phone's screen shows (a whole long page would be unreadable in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def a_committee():
    """The cast's chair, alice and bob (tests/conftest.py), made now."""
    return cast_member("chair"), cast_member("alice"), cast_member("bob")


def a_case_with_every_outcome(chair, member, other):
    """A case as a committee sees it mid-way: people, a conversation, and one proposal that passed,
    one that did not and one still open."""
    case = open_report(
        description="During the closing social, Kevin repeatedly commented on my appearance after I asked "
        "him to stop, and followed me to the coat room.",
        parties=[
            PartyInput(role=PartyRole.REPORTED, name="Kevin D.", handle="@kdev_42"),
            PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email="robin@example.net"),
        ],
        urgent=False,
    ).case
    for person in (chair, member, other):
        d.conflict_declare(case=case, member=person, has_conflict=False)
    passed = d.proposal_create(
        case=case, kind="violation", text="This was a Code of Conduct violation.", by=member
    )
    for person in (chair, member):
        d.vote_cast(proposal=passed, member=person, choice="yes")
    failed = d.proposal_create(
        case=case,
        kind="consequences",
        text="Removal from the event.",
        by=other,
        consequences=[d.ConsequenceInput(custom="Removal from the event")],
    )
    for person in (chair, member):
        d.vote_cast(proposal=failed, member=person, choice="no")
    d.proposal_create(case=case, kind="plan", text="A call-in conversation and a written plan.", by=chair)
    d.conversation_record(
        case=case,
        by=member,
        talk=ConversationInput(
            held_on=date(2026, 11, 20),
            members=[member, other],
            behavior="Comments on someone's appearance after being asked to stop.",
            impact="The person felt unsafe at the social.",
            plan="No comments on appearance; keep distance at the next events.",
            apology_offered=True,
            apology_relayed=False,
            apology_reason="Centred on his own intentions, not on the impact.",
        ),
    )
    return case


def menu_links(page) -> list[str]:
    hrefs = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href for href in hrefs if href.startswith("/")]


@pytest.mark.parametrize("who", ["chair", "member"])
def test_every_page_the_menu_leads_to_fits_the_screen(live_server, screen, who):
    chair, member, other = a_committee()
    a_case_with_every_outcome(chair, member, other)
    log_in_as(screen, live_server, chair if who == "chair" else member)
    screen.goto(live_server.url + "/dashboard/")
    fits(screen, "dashboard")
    screen.get_by_text("Menu", exact=True).click()
    panel = screen.locator(".more-menu-panel")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= screen.width  # the open menu is on the screen
    fits(screen, "dashboard, menu open")
    review = os.environ.get("COCDESK_SCREENSHOTS")  # for a person to look at every width
    if review:
        Path(review).mkdir(parents=True, exist_ok=True)
        screen.screenshot(path=f"{review}/menu-{who}-{screen.width}.png")
    links = menu_links(screen)
    assert len(links) >= 14 and "/removals/" in links and "/transparency/" in links
    assert ("/roster/" in links) == (who == "chair")
    for href in links:
        response = screen.goto(live_server.url + href)
        assert response.status == 200, href
        fits(screen, href)


@pytest.mark.parametrize("width", [320, 1920])
def test_the_narrowest_and_widest_screens_fit_with_the_menu_open(live_server, browser, width):
    """Between 320 and 1920 px nothing runs off the side: the extremes, on the busiest pages."""
    chair, member, other = a_committee()
    case = a_case_with_every_outcome(chair, member, other)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.width = width
    try:
        log_in_as(page, live_server, chair)
        for path in ("/dashboard/", "/cases/?q=kev", f"/cases/{case.reference}/", "/statistics/", "/roster/"):
            page.goto(live_server.url + path)
            page.get_by_text("Menu", exact=True).click()
            box = page.locator(".more-menu-panel").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, path
            fits(page, path)
            review = os.environ.get("COCDESK_SCREENSHOTS")
            if review:
                page.get_by_text("Menu", exact=True).click()  # closed again, to see the page
                name = re.sub(r"\W+", "-", path).strip("-")
                page.screenshot(path=f"{review}/{width}-{name}.png", full_page=True)
    finally:
        context.close()


def test_the_vote_badges_differ_in_colour_icon_and_words(live_server, screen):
    chair, member, other = a_committee()
    case = a_case_with_every_outcome(chair, member, other)
    log_in_as(screen, live_server, member)
    screen.goto(f"{live_server.url}/cases/{case.reference}/")
    looks = {}
    for status, words, icon in (
        ("passed", "Passed", "✓"),
        ("failed", "Did not pass", "✕"),
        ("open", "Open for votes", "●"),
    ):
        found = screen.locator(f".status-{status}").first
        assert found.is_visible()
        assert found.inner_text().strip() == f"{icon} {words}"
        looks[status] = found.evaluate(
            "e => { const s = getComputedStyle(e);"
            " return [s.color, s.backgroundColor, s.borderStyle].join(' ') }"
        )
    assert len(set(looks.values())) == 3
    fits(screen, "case page")
    if screen.width == WIDTHS["phone"]:
        shot(screen, "case-page-phone")
        screen.evaluate("document.getElementById('decisions').scrollIntoView()")
        shot(screen, "case-decisions-phone")


def test_the_enrolment_page_offers_the_otpauth_link_and_fits(live_server, screen):
    member, link = member_add(email="nia@example.org", name="Nia New")
    screen.goto(live_server.url + link.split("127.0.0.1:8000", 1)[1])
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    open_app = screen.get_by_role("link", name="Open in your authenticator app")
    assert open_app.is_visible()
    assert open_app.get_attribute("href").startswith("otpauth://totp/")
    assert f"secret={totp_secret_base32(device)}" in open_app.get_attribute("href")
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", screen.locator("code.secret").inner_text())
    fits(screen, "enrolment")


def test_screenshots_for_the_readme(live_server, browser):
    """The report form, the dashboard and a case page on a phone (390 px), for README.md."""
    ratelimit.reset()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.width = 390
    try:
        page.goto(live_server.url + "/report/")
        fits(page, "report form")
        shot(page, "report-form-phone")
        chair, member, other = a_committee()
        a_case_with_every_outcome(chair, member, other)
        open_report(
            description="Unwanted messages after the meetup.",
            parties=[PartyInput(role=PartyRole.REPORTED, name="Sam Sample")],
        )
        log_in_as(page, live_server, member)
        page.goto(live_server.url + "/dashboard/")
        fits(page, "dashboard")
        shot(page, "dashboard-phone", full_page=True)
    finally:
        context.close()
    for name in ("report-form-phone", "dashboard-phone"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
