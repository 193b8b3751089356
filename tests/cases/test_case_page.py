"""The case page on a phone (issue 12): a short summary at the top, sections reachable by anchors,
after every POST the section acted on with the message or the error at the top of it, and no
action forms on a closed case."""

import re

import pytest

from cocdesk.cases.services import case_transition, owners_set, proposal_create
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db

ACTION_FORMS = (
    "discussion/",
    "proposals/",
    "owners/",
    "notes/",
    "context/",
    "follow-ups/",
    "law-enforcement",
)


def section(page: str, anchor: str) -> str:
    """The HTML of one section of the page, from its opening tag to the next section."""
    start = page.index(f'<section id="{anchor}"')
    end = page.find("<section", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_the_summary_shows_state_owners_what_waits_and_the_next_deadline(alice, bob):
    case = case_factory(participants=(alice, bob), channel="email")
    proposal = proposal_create(case=case, kind="violation", text="It was a violation.", by=bob)
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    summary = section(page, "summary")
    case.refresh_from_db()
    assert case.get_state_display() in summary and "None yet" in summary  # state; no owners
    assert 'href="#owners"' in summary and "Needs a primary and a secondary owner" in summary
    assert f'href="#proposal-{proposal.pk}"' in summary and "Your vote" in summary
    assert "Acknowledge" in summary  # the next deadline, from the deadline rules
    assert page.index('id="summary"') < page.index('id="report"')  # before the report's long text
    for anchor in ("report", "people", "reporter", "discussion", "decisions", "evidence", "timeline"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page


def test_a_post_returns_to_its_section_with_the_message_at_the_top(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    response = client.post(f"/cases/{case.reference}/discussion/", {"body": "I can take this one."})
    assert response["Location"] == f"/cases/{case.reference}/?at=discussion#discussion"
    page = client.get(response["Location"]).text
    discussion = section(page, "discussion")
    assert discussion.index("Your post is in the discussion.") < discussion.index("I can take this one.")
    assert "Your post is in the discussion." not in page[: page.index('id="discussion"')]


def test_a_failed_close_shows_its_error_at_the_top_of_the_state_section(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    response = client.post(f"/cases/{case.reference}/state/", {"to": "closed"})  # no resolution
    assert response.status_code == 400
    page = response.text
    state = section(page, "state")
    assert 'class="error-summary"' in state
    assert state.index("error-summary") < state.index("<form")
    assert 'class="error-summary"' not in page[: page.index('id="state"')]
    assert re.search(r'action="/cases/[^"]+/state/#state"', page)  # the browser lands on the section


def test_a_closed_case_shows_no_action_forms(alice, bob):
    case = case_factory(participants=(alice, bob))
    owners_set(case=case, primary=alice, secondary=bob, by=alice)
    proposal_create(case=case, kind="violation", text="It was a violation.", by=bob)
    case_transition(case=case, to="closed", by=alice, resolution="withdrawn")
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    actions = re.findall(r'<form[^>]*action="([^"]+)"', page)
    assert not [a for a in actions if any(part in a for part in ACTION_FORMS)], actions
    assert not [a for a in actions if "/vote/" in a or "/recuse/" in a]
    assert f"/cases/{case.reference}/state/#state" in actions  # reopening stays possible
    assert "Reopen the case" in page and "This case is closed" in page
    assert 'href="/cases/' + case.reference + '/recuse/"' not in page


def test_an_open_case_shows_its_action_forms(alice, bob):
    case = case_factory(participants=(alice, bob))
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    actions = " ".join(re.findall(r'<form[^>]*action="([^"]+)"', page))
    for part in ACTION_FORMS:
        assert part in actions, part


def test_a_vote_returns_to_its_proposal_with_the_message_in_it(alice, bob):
    case = case_factory(participants=(alice, bob))
    proposal = proposal_create(case=case, kind="violation", text="It was a violation.", by=bob)
    client = verified_client(alice)
    response = client.post(f"/cases/{case.reference}/proposals/{proposal.pk}/vote/", {"choice": "yes"})
    assert (
        response["Location"] == f"/cases/{case.reference}/?at=proposal-{proposal.pk}#proposal-{proposal.pk}"
    )
    page = client.get(response["Location"]).text
    article = page[page.index(f'id="proposal-{proposal.pk}"') :]
    assert article.index('id="section-message"') < article.index("</article>")
