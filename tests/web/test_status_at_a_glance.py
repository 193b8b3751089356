"""Status at a glance (issue 17): passed, did not pass and open look different in colour, icon and
words; a success message looks like one; dates have one format; plurals agree; no copy slips."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from django.test import override_settings

from cocdesk.cases import selectors as case_selectors
from cocdesk.cases import services as d
from cocdesk.cases.models import PartyRole
from cocdesk.cases.services import ConversationInput, PartyInput
from cocdesk.templatetags.cocdesk_tags import day, deadline, moment
from tests.factories import case_factory, open_report, verified_client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "cocdesk"


def badge(status: str, label: str) -> str:
    return render_to_string("status_badge.html", {"status": status, "label": label})


def test_passed_did_not_pass_and_open_have_their_own_colour_icon_and_words():
    passed, failed, open_ = badge("passed", "Passed"), badge("failed", "Did not pass"), badge("open", "Open")
    assert 'class="badge status status-passed"' in passed and "✓" in passed and "Passed" in passed
    assert 'class="badge status status-failed"' in failed and "✕" in failed and "Did not pass" in failed
    assert 'class="badge status status-open"' in open_ and "●" in open_
    assert 'aria-hidden="true"' in passed  # the icon is decoration: the words say it
    css = (TEMPLATES / "static" / "cocdesk" / "site.css").read_text()
    rules = {
        name: re.search(rf"\.status-{name} \{{([^}}]*)\}}", css).group(1)
        for name in ("passed", "failed", "open")
    }
    assert len(set(rules.values())) == 3


def test_a_case_page_shows_each_proposal_with_its_badge(alice, bob):
    case = case_factory(participants=(alice, bob))
    passed = d.proposal_create(case=case, kind="violation", text="It was a violation", by=alice)
    for member in (alice, bob):
        d.vote_cast(proposal=passed, member=member, choice="yes")
    d.proposal_create(case=case, kind="plan", text="A plan", by=alice)
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "status-passed" in page and "status-open" in page


def test_success_messages_look_like_success_not_a_warning():
    assert constants.DEFAULT_TAGS[constants.SUCCESS] == "success"
    css = (TEMPLATES / "static" / "cocdesk" / "site.css").read_text()
    assert ".messages .message-success { background: var(--ok-bg)" in css
    assert ".messages .message-warning { background: var(--warn-bg)" in css


def test_a_message_after_an_action_carries_its_level_as_its_class(rf):
    sent = Message(constants.SUCCESS, "The message is sent to the reporter.")
    page = render_to_string("base.html", {"messages": [sent]}, request=rf.get("/"))
    assert '<p class="message message-success">The message is sent to the reporter.</p>' in page


@override_settings(TIME_ZONE="Europe/Berlin", LANGUAGE_CODE="en")
def test_one_date_format_the_locales_with_the_time_zone_on_deadlines():
    at = datetime(2026, 11, 27, 15, 5, tzinfo=UTC)
    assert day(at) == "Nov. 27, 2026" and day(date(2026, 11, 27)) == "Nov. 27, 2026"
    assert moment(at) == "Nov. 27, 2026, 4:05 p.m."
    assert deadline(at) == "Nov. 27, 2026, 4:05 p.m. CET"


def test_no_template_formats_a_date_its_own_way():
    formatted = []
    for path in TEMPLATES.rglob("templates/**/*"):
        if path.is_file():
            for found in re.findall(r"\|date:[\"']([^\"']*)[\"']", path.read_text()):
                if found != "c":  # machine-readable, in <time datetime="…">
                    formatted.append(f"{path.name}: {found}")
    assert formatted == []


def test_one_member_taking_part_is_not_the_1_members(alice):
    case = case_factory(participants=(alice,))
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "the 1 members" not in page and "1 members" not in page
    assert "Only 1 member takes part so far" in page


def test_a_name_typed_with_a_trailing_comma_reads_as_a_sentence():
    case = open_report(parties=[PartyInput(role=PartyRole.REPORTED, name="Kevin D.,")], description="x").case
    assert case_selectors.case_prompt(case=case).text == "Kevin D. has been reported by web form."


def test_the_apology_answer_and_its_reason_are_apart(alice, bob):
    case = case_factory(participants=(alice, bob))
    d.conversation_record(
        case=case,
        by=alice,
        talk=ConversationInput(
            held_on=date(2026, 11, 20),
            members=[alice, bob],
            behavior="b",
            impact="i",
            plan="p",
            apology_offered=True,
            apology_relayed=False,
            apology_reason="Centred on themself",
        ),
    )
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "no Centred" not in page
    assert re.search(r"No<br><span class=\"hint\">Why:</span> Centred on themself", page)
