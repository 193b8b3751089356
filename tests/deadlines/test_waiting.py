""" "Waiting for you" at the top of the dashboard (issue 12): declarations to make, votes to cast,
posts since the last visit, rejoin requests, cases without owners, overdue promises; each line a
link to the exact place; urgent cases first; only cases the member may see.

alice takes part in `case` (received 30 hours ago, nobody acknowledged it); dan takes part too;
bob declared a conflict on it; erin declared one and asks to take part again.
"""

import re
from datetime import timedelta

import pytest
from django.test import TestCase

from cocdesk import clock
from cocdesk.cases.models import IncidentOwner, OwnerRole
from cocdesk.cases.services import (
    conflict_declare,
    conflict_rejoin_request,
    danger_raise,
    discussion_post_add,
    owners_set,
    proposal_create,
    vote_cast,
)
from cocdesk.deadlines.selectors import WaitingKind, waiting_for
from tests.factories import case_factory, member_factory, verified_client
from tests.mailbox import forget_delivered

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def dan(db):
    return member_factory(name="Dan Member", email="dan@example.org")


@pytest.fixture
def erin(db):
    return member_factory(name="Erin Member", email="erin@example.org")


def at(hours_ago: float):
    return clock.frozen(clock.now() - hours_ago * HOUR)


@pytest.fixture
def case(alice, bob, dan, erin):
    with at(30), TestCase.captureOnCommitCallbacks(execute=True):
        case = case_factory(participants=(alice, dan))
        conflict_declare(case=case, member=bob, has_conflict=True)
        conflict_declare(case=case, member=erin, has_conflict=True)
    forget_delivered()
    return case


def waiting_section(page: str) -> str:
    """The list under "Waiting for you"."""
    start = page.index("Waiting for you")
    return page[start : page.index("</ul>", start)]


def links(section: str) -> list[str]:
    return re.findall(r'<a href="(/[^"]*)"', section)


def test_each_thing_waiting_links_to_its_exact_place(case, alice, dan, erin):
    client = verified_client(alice)
    with at(4):
        client.get(f"/cases/{case.reference}/")  # alice has read the case: its opening line is not new
    with at(3):
        proposal = proposal_create(case=case, kind="violation", text="Yes", by=dan)
        post = discussion_post_add(case=case, author=dan, body="What do you think?")
        conflict_rejoin_request(case=case, member=erin)
    newer = case_factory(reported="Sam Other")  # alice has not answered the conflict question
    forget_delivered()

    page = client.get("/dashboard/").text
    assert page.index("Waiting for you") < page.index("My cases")
    ref = case.reference
    assert links(waiting_section(page)) == [
        f"/cases/{ref}/deadlines/#due",  # overdue first
        f"/cases/{newer.reference}/#declare",
        f"/cases/{ref}/#proposal-{proposal.pk}",
        f"/cases/{ref}/#rejoin-{erin.pk}",
        f"/cases/{ref}/#owners",
        f"/cases/{ref}/#post-{post.pk}",
    ]
    section = waiting_section(page)
    for words in (
        "Acknowledge the report within 24 hours",
        "overdue by 6",
        "A new report. Do you have a conflict of interest?",
        "A proposal waits for your vote",
        "A member asks to take part again",
        "Needs a primary and a secondary incident owner",
        "A new post in the discussion since your last visit",
    ):
        assert words in section, words
    # Each place exists where the line points.
    case_page = client.get(f"/cases/{ref}/").text
    for anchor in (f"proposal-{proposal.pk}", f"rejoin-{erin.pk}", "owners", f"post-{post.pk}"):
        assert f'id="{anchor}"' in case_page, anchor
    assert 'id="due"' in client.get(f"/cases/{ref}/deadlines/").text
    assert 'id="declare"' in client.get(f"/cases/{newer.reference}/").text


def test_posts_wait_until_the_member_opens_the_case_and_their_own_never_do(case, alice, dan):
    client = verified_client(alice)
    with at(3):
        client.get(f"/cases/{case.reference}/")

    def posts_waiting():
        items = waiting_for(member=alice, now=clock.now())
        return [item.count for item in items if item.kind == WaitingKind.POSTS]

    with at(2):
        discussion_post_add(case=case, author=dan, body="One")
        discussion_post_add(case=case, author=dan, body="Two")
        discussion_post_add(case=case, author=alice, body="Mine")
    assert posts_waiting() == [2]
    assert "2 new posts in the discussion since your last visit" in client.get("/dashboard/").text
    client.get(f"/cases/{case.reference}/")
    assert posts_waiting() == []
    discussion_post_add(case=case, author=dan, body="Three")
    assert posts_waiting() == [1]


def test_votes_wait_until_the_member_has_voted(case, alice, dan):
    proposal = proposal_create(case=case, kind="violation", text="Yes", by=dan)
    assert [i.kind for i in waiting_for(member=alice, now=clock.now())].count(WaitingKind.VOTE) == 1
    vote_cast(proposal=proposal, member=alice, choice="yes")
    assert WaitingKind.VOTE not in [i.kind for i in waiting_for(member=alice, now=clock.now())]


def test_a_yes_on_one_alternative_answers_the_question_for_the_waiting_list(case, alice, dan):
    """Alternatives (issue 12): a member's yes goes to one answer per question, so once they chose
    one, the others on the same question no longer wait for their vote; another question still does."""
    yes = proposal_create(case=case, kind="violation", text="Yes, a violation", by=dan)
    proposal_create(case=case, kind="violation", text="No, not a violation", by=dan)

    def votes_waiting():
        return [i.count for i in waiting_for(member=alice, now=clock.now()) if i.kind == WaitingKind.VOTE]

    assert votes_waiting() == [2]
    vote_cast(proposal=yes, member=alice, choice="yes")
    assert votes_waiting() == []
    proposal_create(case=case, kind="plan", text="A plan", by=dan)
    assert votes_waiting() == [1]


def test_overdue_promises_wait_for_the_owners_once_the_case_has_them(case, alice, dan):
    def overdue(member):
        return [i.rule for i in waiting_for(member=member, now=clock.now()) if i.kind == WaitingKind.OVERDUE]

    assert overdue(alice) == overdue(dan) == ["Acknowledge the report within 24 hours"]
    IncidentOwner.objects.create(case=case, member=dan, role=OwnerRole.PRIMARY)
    assert overdue(alice) == [] and overdue(dan) == ["Acknowledge the report within 24 hours"]
    kinds = [i.kind for i in waiting_for(member=alice, now=clock.now())]
    assert WaitingKind.OWNERS in kinds  # one owner is not enough
    owners_set(case=case, primary=dan, secondary=alice, by=dan)
    kinds = [i.kind for i in waiting_for(member=alice, now=clock.now())]
    assert WaitingKind.OWNERS not in kinds and WaitingKind.OVERDUE in kinds


def test_a_conflicted_member_never_finds_the_case_in_waiting_for_you_not_even_as_a_count(
    case, bob, dan, erin
):
    """Everything waits on `case` — overdue, a vote, posts, a rejoin request, no owners, danger —
    and bob, who declared a conflict, learns nothing of it: not a line, not a count."""
    with at(3):
        proposal_create(case=case, kind="violation", text="Yes", by=dan)
        discussion_post_add(case=case, author=dan, body="Hello")
        danger_raise(case=case, by=dan, action="none_yet")
    assert waiting_for(member=bob, now=clock.now()) == []
    page = verified_client(bob).get("/dashboard/").text
    assert case.reference not in page
    assert "Nothing is waiting for you." in page
    # erin asked to rejoin: still conflicted, she sees nothing either.
    conflict_rejoin_request(case=case, member=erin)
    assert waiting_for(member=erin, now=clock.now()) == []
    assert case.reference not in verified_client(erin).get("/dashboard/").text


def test_a_member_named_in_a_report_never_finds_it_waiting(alice):
    jamie = member_factory(name="Jamie Doe", email="jamie@example.com")
    case = case_factory(participants=(alice,))  # names Jamie Doe: a party, conflicted automatically
    assert all(item.reference != case.reference for item in waiting_for(member=jamie, now=clock.now()))
    assert case.reference not in verified_client(jamie).get("/dashboard/").text


def test_urgent_cases_come_first_in_waiting_for_you_and_in_my_cases(case, alice, dan):
    calm = case_factory(participants=(alice,), reported="Sam Other")  # new, nothing overdue
    with at(1):
        danger = case_factory(participants=(alice, dan), reported="Lee Third")
    danger_raise(case=danger, by=dan, action="none_yet")
    page = verified_client(alice).get("/dashboard/").text
    waiting = waiting_section(page)
    assert waiting.index(danger.reference) < waiting.index(case.reference) < waiting.index(calm.reference)
    assert 'class="badge badge-urgent">urgent' in waiting[: waiting.index(case.reference)]
    mine = page[page.index("My cases") :]
    # Immediate danger, then an overdue promise, then the rest.
    assert mine.index(danger.reference) < mine.index(case.reference) < mine.index(calm.reference)
    assert "overdue by" in mine[mine.index(case.reference) : mine.index(calm.reference)]


def test_the_check_in_waits_on_the_dashboard_once_it_is_due(alice):
    assert verified_client(alice).get("/dashboard/").text.count("check-in: would you like") == 0
    with clock.frozen(alice.joined_at + timedelta(days=190)):  # six months after joining (the day before T)
        page = verified_client(alice).get("/dashboard/").text
    assert 'href="/check-in/"' in waiting_section(page)
