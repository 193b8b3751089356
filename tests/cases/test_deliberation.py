"""The case file and deliberation (D4; case-file issue). Tests are named after the rules."""

from datetime import date

import pytest
from django.test import TestCase

from cocdesk.cases import selectors as case_selectors
from cocdesk.cases import services as d
from cocdesk.cases.models import ConsequenceCatalogItem, ProposalStatus, State
from cocdesk.cases.services import ConsequenceInput, ConversationInput, conflict_declare, conflict_set
from cocdesk.errors import Refused
from tests.factories import case_factory, member_factory, verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, bob, carol):
    return case_factory(participants=(alice, bob, carol))


def talk(members, **overrides):
    values = dict(
        held_on=date(2026, 11, 20),
        members=members,
        behavior="You greeted people with 'hey guys'",
        impact="Women felt invisible",
        plan="Please say 'hi all' instead",
    )
    values.update(overrides)
    return ConversationInput(**values)


def test_proposal_passes_with_majority_of_participants(case, alice, bob):
    proposal = d.proposal_create(case=case, kind="violation", text="This was a violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    assert (
        proposal.__class__.objects.get(pk=proposal.pk).status == ProposalStatus.OPEN
    )  # 1 of 3 is not a majority
    decided = d.vote_cast(proposal=proposal, member=bob, choice="yes")
    assert decided.status == ProposalStatus.PASSED
    assert decided.tally == {"yes": 2, "no": 0, "abstain": 0, "participants": 3, "not_voted": 1}
    assert case.timeline.filter(kind="decision", text__isnull=False).count() == 2


def test_abstentions_do_not_count_towards_a_majority(case, alice, bob, carol):
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="abstain")
    assert d.vote_cast(proposal=proposal, member=carol, choice="abstain").status == ProposalStatus.FAILED


def test_proposal_fails_when_a_majority_is_no_longer_possible(case, alice, bob):
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="no")
    assert d.vote_cast(proposal=proposal, member=bob, choice="no").status == ProposalStatus.FAILED


def test_two_of_four_is_not_a_majority(case, alice, bob):
    dave = member_factory(name="Dave")
    conflict_declare(case=case, member=dave, has_conflict=False)
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    assert d.vote_cast(proposal=proposal, member=bob, choice="yes").status == ProposalStatus.OPEN


def test_conflicted_member_loses_vote(case, alice, bob, carol):
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=carol, choice="no")
    conflict_set(case=case, member=carol)  # carol recuses: 2 taking part, her vote is gone
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN
    assert case_selectors.proposal_tally(proposal=proposal)["no"] == 0
    assert d.vote_cast(proposal=proposal, member=bob, choice="yes").status == ProposalStatus.PASSED


def test_only_participants_can_vote(case, alice):
    outsider = member_factory(name="Olga Outsider")
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    with pytest.raises(Refused):
        d.vote_cast(proposal=proposal, member=outsider, choice="yes")


def test_consequences_from_the_catalog_and_custom_with_durations(case, alice):
    warning = ConsequenceCatalogItem.objects.get(label="A verbal or emailed warning")
    proposal = d.proposal_create(
        case=case,
        kind="consequences",
        text="Warn and keep away",
        by=alice,
        consequences=[
            ConsequenceInput(catalog_item=warning),
            ConsequenceInput(
                custom="No DMs to the reporter", duration="until 2027-06-01", until=date(2027, 6, 1)
            ),
        ],
    )
    labels = [(c.catalog_item_id, c.custom, c.duration) for c in proposal.consequences.all()]
    assert labels == [(warning.pk, "", ""), (None, "No DMs to the reporter", "until 2027-06-01")]


def test_consequence_catalog_is_seeded_with_every_example_in_the_plan():
    labels = list(ConsequenceCatalogItem.objects.values_list("label", flat=True))
    assert len(labels) == 20
    assert labels[0].startswith("Nothing")
    assert labels[-1].startswith("Publishing an account of the incident")


def test_committee_can_edit_the_catalog(alice):
    client = verified_client(alice)
    client.post("/catalog/", {"label": "Mentoring sessions", "active": "on"})
    assert ConsequenceCatalogItem.objects.filter(label="Mentoring sessions").exists()


def test_conversation_needs_at_least_two_committee_members(case, alice):
    with pytest.raises(Refused, match="at least two"):
        d.conversation_record(case=case, by=alice, talk=talk([alice]))


def test_apology_decision_needs_a_reason(case, alice, bob):
    with pytest.raises(Refused, match="why"):
        d.conversation_record(
            case=case, by=alice, talk=talk([alice, bob], apology_offered=True, apology_relayed=False)
        )


def test_refused_plan_opens_a_new_decision_round(case, alice, bob):
    d.proposal_create(case=case, kind="plan", text="Stop saying guys", by=alice)
    d.conversation_record(case=case, by=alice, talk=talk([alice, bob], plan_accepted=False))
    case.refresh_from_db()
    assert case.state == State.DELIBERATION
    assert case_selectors.case_current_round(case=case) == 2
    assert d.proposal_create(case=case, kind="refusal", text="Temporary ban", by=bob).round == 2


def test_accepted_plan_moves_the_case_to_response(case, alice, bob):
    d.proposal_create(case=case, kind="plan", text="Stop saying guys", by=alice)
    d.conversation_record(case=case, by=alice, talk=talk([alice, bob], plan_accepted=True))
    case.refresh_from_db()
    assert case.state == State.RESPONSE


def test_invalid_state_transition_is_refused(case, alice):
    assert case.state == State.TRIAGE  # someone declared no conflict
    with pytest.raises(Refused):
        d.case_transition(case=case, to=State.FOLLOW_UP, by=alice)


def test_closing_needs_a_resolution_and_a_closed_case_can_reopen(case, alice):
    with pytest.raises(Refused, match="resolved"):
        d.case_transition(case=case, to=State.CLOSED, by=alice)
    closed = d.case_transition(case=case, to=State.CLOSED, by=alice, resolution="withdrawn")
    assert (closed.state, closed.resolution) == (State.CLOSED, "withdrawn") and closed.closed_at
    reopened = d.case_transition(case=case, to=State.TRIAGE, by=alice)
    assert (reopened.state, reopened.resolution, reopened.closed_at) == (State.TRIAGE, "", None)


def test_owners_must_be_two_different_participants(case, alice, bob):
    outsider = member_factory(name="Olga Outsider")
    with pytest.raises(Refused):
        d.owners_set(case=case, primary=alice, secondary=alice, by=alice)
    with pytest.raises(Refused):
        d.owners_set(case=case, primary=alice, secondary=outsider, by=alice)
    d.owners_set(case=case, primary=alice, secondary=bob, by=alice)
    assert not case_selectors.case_needs_owners(case=case)


def test_case_without_both_owners_is_flagged_on_the_dashboard(case, alice, bob):
    client = verified_client(alice)
    assert "needs owners" in client.get("/dashboard/").text
    d.owners_set(case=case, primary=alice, secondary=bob, by=alice)
    assert "needs owners" not in client.get("/dashboard/").text


def test_an_owner_who_recuses_stops_being_an_owner(case, alice, bob):
    d.owners_set(case=case, primary=alice, secondary=bob, by=alice)
    conflict_set(case=case, member=bob)
    assert case_selectors.case_needs_owners(case=case)


def test_discussion_opens_with_the_plans_question(case, alice):
    first = case.posts.first()
    assert first.body == (
        "Jamie Doe (@jamied) has been reported by web form. Who does not have a conflict of interest?"
    )


def test_law_enforcement_only_at_the_reporters_request(case, alice):
    with pytest.raises(Refused):
        d.law_enforcement_record(case=case, by=alice, shared="Timeline", shared_on=date(2026, 11, 21))


def test_community_manager_is_told_and_sees_exactly_the_shared_record(case, alice, community_manager):
    d.law_enforcement_request_record(case=case, by=alice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        record = d.law_enforcement_record(
            case=case, by=alice, shared="The timeline, canary-shared", shared_on=date(2026, 11, 21)
        )
    notice = next(m for m in delivered() if m.to == [community_manager.email])
    assert f"/shared/{record.pk}/" in notice.body and "canary" not in notice.body
    client = verified_client(community_manager)
    prompt = client.get(f"/shared/{record.pk}/")  # the same rule as members: a declaration first
    assert "Jamie Doe (@jamied) has been reported by web form." in prompt.text
    assert "canary-shared" not in prompt.text and "canary-9d2b7" not in prompt.text
    client.post(f"/shared/{record.pk}/declare/", {"answer": "no_conflict"})
    page = client.get(f"/shared/{record.pk}/")
    assert "canary-shared" in page.text
    assert "canary-9d2b7" not in page.text  # nothing else of the case
    assert client.get(f"/cases/{case.reference}/").status_code == 404


def test_conflicted_member_cannot_post_vote_or_propose_over_http(case, alice):
    proposal = d.proposal_create(case=case, kind="violation", text="Violation?", by=alice)
    outsider = member_factory(name="Olga Outsider")
    conflict_declare(case=case, member=outsider, has_conflict=True)
    client = verified_client(outsider)
    ref = case.reference
    assert client.post(f"/cases/{ref}/discussion/", {"body": "hi"}).status_code == 404
    assert client.post(f"/cases/{ref}/proposals/{proposal.pk}/vote/", {"choice": "no"}).status_code == 404
    assert client.post(f"/cases/{ref}/proposals/", {"kind": "violation", "text": "x"}).status_code == 404
    assert proposal.votes.count() == 0 and case.posts.count() == 1 and case.proposals.count() == 1


def test_form_errors_keep_the_text_typed(case, alice):
    response = verified_client(alice).post(
        f"/cases/{case.reference}/proposals/", {"kind": "consequences", "text": "my careful words"}
    )
    assert response.status_code == 400
    assert "my careful words" in response.text
    assert "at least one consequence" in response.text
