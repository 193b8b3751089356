"""The menu (issue 17): every item named for what is behind it, one place for transparency, what each
role is offered decided by `access.navigation` (never role names in templates), no JavaScript."""

import re

import pytest

from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def menu_links(page: str) -> dict[str, str]:
    nav = page.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return {
        re.sub(r"\s+", " ", label).strip(): href
        for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)
    }


def test_a_member_finds_removal_votes_under_their_own_name_never_as_committee(alice, chair):
    links = menu_links(verified_client(alice).get("/dashboard/").text)
    assert links["Removing a member (private votes)"] == "/removals/"
    assert "Committee" not in links and "More" not in links
    assert links["Electing a chair"] == "/chair-elections/"
    assert "Roster, roles and leaving" not in links and "Events and their responders" not in links


def test_transparency_is_one_place_in_the_menu_and_it_leads_to_the_statistics(alice):
    client = verified_client(alice)
    links = menu_links(client.get("/dashboard/").text)
    transparency = [label for label in links if "ransparency" in label or "tatistics" in label]
    assert transparency == ["Transparency: yearly reports and statistics"]
    page = client.get(links[transparency[0]]).text
    assert 'href="/statistics/"' in page


def test_the_chair_is_offered_the_roster_check_ins_and_events(chair):
    links = menu_links(verified_client(chair).get("/dashboard/").text)
    assert links["Roster, roles and leaving"] == "/roster/"
    assert links["Members' check-in answers"] == "/check-ins/"
    assert links["Events and their responders"] == "/events/"


def test_the_menu_opens_without_javascript(alice):
    page = verified_client(alice).get("/dashboard/").text
    assert '<details class="more-menu">' in page and "<summary>Menu</summary>" in page


def test_every_menu_item_opens_for_those_it_is_offered_to(alice, chair):
    for member in (alice, chair):
        client = verified_client(member)
        for label, href in menu_links(client.get("/dashboard/").text).items():
            assert client.get(href).status_code == 200, label
