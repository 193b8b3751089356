"""Chair succession (D8, issue 17): the committee elects a chair by the same vote as a removal (more
than half of ALL active committee members), and while no chair is left, two different members
together act for the chair's off-boarding steps.

Four committee members of the cast: alice and bob, the chair (carla), and carol.
"""

import pytest
from django.test import TestCase

from cocdesk.audit.models import AuditEntry
from cocdesk.errors import Refused
from cocdesk.members import selectors, services
from cocdesk.members.models import (
    CHECKLIST,
    ChairElection,
    ElectionStatus,
    Member,
    Offboarding,
    OffboardingStep,
    Role,
)
from tests.factories import member_factory, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def to(address: str) -> list:
    return [m for m in delivered() if address in m.to]


def _vote(election, *members_and_votes):
    for member, elect in members_and_votes:
        election = services.chair_election_vote(election=election, member=member, elect=elect)
    return election


def _role(member) -> str:
    return Member.objects.get(pk=member.pk).role


# --- electing a chair ------------------------------------------------------------------------


def test_a_chair_election_passes_with_yes_votes_from_more_than_half_of_all_members(alice, bob, chair, carol):
    with committed():
        election = services.chair_election_open(candidate=alice, by=bob)
    # Everyone else is asked to vote, without the candidate's name in the email.
    assert {a for m in delivered() for a in m.to} == {alice.email, chair.email, carol.email}
    assert all("Alice" not in m.body for m in delivered() if alice.email not in m.to)

    election = _vote(election, (alice, True), (bob, True))
    assert election.status == ElectionStatus.OPEN  # 2 of 4 is not more than half
    assert selectors.chair_election_tally(election=election) == {
        "yes": 2,
        "no": 0,
        "not_voted": 2,
        "members": 4,
    }
    assert _role(alice) == Role.MEMBER

    election = _vote(election, (carol, True))
    assert election.status == ElectionStatus.PASSED
    assert election.tally == {"yes": 3, "no": 0, "not_voted": 1, "members": 4}
    assert _role(alice) == Role.CHAIR
    assert _role(chair) == Role.CHAIR  # the chair is not demoted: a committee may have two chairs
    assert AuditEntry.objects.filter(action="chair_election.passed", object_id=str(election.pk)).count() == 1
    role_change = AuditEntry.objects.get(action="member.role_changed.member.chair", object_id=str(alice.pk))
    assert role_change.actor == f"chair-election:{election.pk}"  # the committee's vote decided it
    # The vote is closed: a late vote is refused.
    with pytest.raises(Refused):
        services.chair_election_vote(election=election, member=chair, elect=False)


def test_a_chair_election_fails_once_a_majority_of_all_members_is_out_of_reach(alice, bob, chair, carol):
    election = services.chair_election_open(candidate=bob, by=bob)  # proposing oneself is fine
    election = _vote(election, (bob, True), (alice, True), (chair, False))
    assert election.status == ElectionStatus.OPEN  # carol's yes would still make 3 of 4
    election = _vote(election, (carol, False))
    assert election.status == ElectionStatus.FAILED  # 2 of 4: half is not enough
    assert election.tally == {"yes": 2, "no": 2, "not_voted": 0, "members": 4}
    assert _role(bob) == Role.MEMBER
    assert AuditEntry.objects.filter(action="chair_election.failed").count() == 1
    assert not AuditEntry.objects.filter(action__startswith="member.role_changed").exists()


def test_not_voting_is_not_a_yes_in_a_chair_election(alice, bob, chair, carol):
    erin = member_factory(name="Erin Member")  # five members: three yes votes are needed
    election = services.chair_election_open(candidate=alice, by=bob)
    election = _vote(election, (alice, True), (bob, True), (chair, False), (carol, False))
    assert election.status == ElectionStatus.OPEN  # erin has not voted: 2 of 5 does not pass
    assert _role(alice) == Role.MEMBER
    election = _vote(election, (erin, True))
    assert election.status == ElectionStatus.PASSED and _role(alice) == Role.CHAIR


def test_a_vote_in_a_chair_election_is_final_and_only_committee_members_take_part(
    alice, bob, chair, carol, community_manager
):
    election = services.chair_election_open(candidate=alice, by=bob)
    _vote(election, (bob, True))
    with pytest.raises(Refused):
        services.chair_election_vote(election=election, member=bob, elect=False)
    with pytest.raises(Refused):
        services.chair_election_vote(election=election, member=community_manager, elect=True)
    with pytest.raises(Refused):
        services.chair_election_open(candidate=alice, by=carol)  # one open vote per candidate
    with pytest.raises(Refused):
        services.chair_election_open(candidate=chair, by=carol)  # already a chair
    with pytest.raises(Refused):
        services.chair_election_open(candidate=community_manager, by=carol)  # not a committee member
    assert verified_client(community_manager).get(f"/chair-elections/{election.pk}/").status_code == 404
    assert verified_client(community_manager).get("/chair-elections/").status_code == 404


def test_a_chair_election_ends_when_the_candidate_leaves(alice, bob, chair, carol):
    election = services.chair_election_open(candidate=carol, by=alice)
    services.offboarding_start(member=carol, reason="resignation", actor=carol)
    election.refresh_from_db()
    assert election.status == ElectionStatus.ENDED
    assert _role(carol) == Role.MEMBER


def test_members_elect_a_chair_through_the_pages(alice, bob, chair, carol):
    bobs = verified_client(bob)
    page = bobs.get("/chair-elections/")
    assert page.status_code == 200 and "more than half of all committee members" in page.text
    response = bobs.post("/chair-elections/", {"candidate": alice.pk})
    election = ChairElection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chair-elections/{election.pk}/"
    for member in (alice, bob, carol):
        assert (
            verified_client(member)
            .post(f"/chair-elections/{election.pk}/vote/", {"choice": "yes"})
            .status_code
            == 302
        )
    assert _role(alice) == Role.CHAIR
    detail = bobs.get(f"/chair-elections/{election.pk}/")
    assert "Passed: the candidate is a chair" in detail.text and "3 yes and 0 no, out of 4" in detail.text


# --- without a chair, two members act for the chair ---------------------------------------------


@pytest.fixture
def chair_left(alice, bob, chair, carol):
    """The only chair stepped down: off-boarding started, and nobody is chair."""
    with committed():
        offboarding = services.offboarding_start(member=chair, reason="resignation", actor=chair)
    return offboarding


def test_when_the_only_chair_leaves_every_member_is_asked_to_finish_offboarding(
    alice, bob, carol, chair_left
):
    told = {a for m in delivered() if "off-boarding has started" in m.subject for a in m.to}
    assert told == {alice.email, bob.email, carol.email}
    assert all("two members act for the chair together" in m.body for m in delivered())
    alices = verified_client(alice)
    roster = alices.get("/roster/")
    assert roster.status_code == 200 and f"/offboarding/{chair_left.pk}/" in roster.text
    page = alices.get(f"/offboarding/{chair_left.pk}/")
    assert page.status_code == 200 and "two members act for the chair together" in page.text


def test_without_a_chair_a_step_needs_a_second_member_to_confirm_it(alice, bob, carol, chair, chair_left):
    item = CHECKLIST[0][0]
    forget_delivered()
    with committed():
        step = services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=alice)
    chair_left.refresh_from_db()
    assert chair_left.ticked == {}  # nothing happens on one member's word
    assert {a for m in delivered() for a in m.to} == {bob.email, carol.email}  # asked to confirm

    step = services.offboarding_step_confirm(step=step, by=bob)
    chair_left.refresh_from_db()
    assert item in chair_left.ticked
    assert (step.proposed_by, step.confirmed_by) == (alice, bob) and step.confirmed_at is not None
    proposed = AuditEntry.objects.get(action=f"offboarding.step_proposed.tick.{item}")
    confirmed = AuditEntry.objects.get(action=f"offboarding.step_confirmed.tick.{item}")
    ticked = AuditEntry.objects.get(action=f"offboarding.ticked.{item}")
    assert proposed.actor == f"member:{alice.pk}"
    assert confirmed.actor == ticked.actor == f"member:{bob.pk}"


def test_a_member_cannot_confirm_their_own_step(alice, bob, chair_left):
    item = CHECKLIST[0][0]
    step = services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=alice)
    with pytest.raises(Refused, match="Another committee member needs to confirm"):
        services.offboarding_step_confirm(step=step, by=alice)
    with pytest.raises(Refused, match="Another committee member needs to confirm"):
        services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=alice)
    alices = verified_client(alice)
    alices.post(f"/offboarding/{chair_left.pk}/steps/{step.pk}/confirm/")
    alices.post(f"/offboarding/{chair_left.pk}/tick/", {"item": item, "done": "1"})
    chair_left.refresh_from_db()
    step.refresh_from_db()
    assert chair_left.ticked == {} and step.confirmed_at is None


def test_without_a_chair_two_members_send_the_notice_signed_by_both(alice, bob, carol, chair, chair_left):
    for item, _label in CHECKLIST:
        step = services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=alice)
        services.offboarding_step_confirm(step=step, by=carol)
    forget_delivered()
    with committed():
        step = services.offboarding_step_propose(offboarding=chair_left, kind="notice", by=bob)
    assert to(chair.email) == []
    with committed():
        services.offboarding_step_confirm(step=step, by=alice)
    [notice] = to(chair.email)
    assert "resignation" in notice.subject
    assert "Bob Member and Alice Member, for the Code of Conduct committee" in notice.body
    chair_left.refresh_from_db()
    assert chair_left.notice_sent_at is not None and chair_left.notice_sent_by == alice
    assert (
        AuditEntry.objects.filter(action="offboarding.notice_sent", object_id=str(chair_left.pk)).count() == 1
    )
    assert OffboardingStep.objects.filter(kind="notice", proposed_by=bob, confirmed_by=alice).count() == 1


def test_two_members_act_for_the_chair_through_the_page(alice, bob, chair_left):
    item = CHECKLIST[1][0]
    alices, bobs = verified_client(alice), verified_client(bob)
    response = alices.post(f"/offboarding/{chair_left.pk}/tick/", {"item": item, "done": "1"}, follow=True)
    assert "It happens once another committee member confirms it" in response.text
    step = OffboardingStep.objects.get()
    assert f"/offboarding/{chair_left.pk}/steps/{step.pk}/confirm/" not in response.text  # not for alice
    page = bobs.get(f"/offboarding/{chair_left.pk}/")
    assert f"/offboarding/{chair_left.pk}/steps/{step.pk}/confirm/" in page.text
    response = bobs.post(f"/offboarding/{chair_left.pk}/steps/{step.pk}/confirm/", follow=True)
    assert "Confirmed. It is done." in response.text
    chair_left.refresh_from_db()
    assert item in chair_left.ticked


def test_two_members_who_both_tick_the_same_item_confirm_each_other(alice, bob, chair_left):
    item = CHECKLIST[2][0]
    services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=alice)
    step = services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=item, by=bob)
    assert (step.proposed_by, step.confirmed_by) == (alice, bob)
    chair_left.refresh_from_db()
    assert item in chair_left.ticked


def test_while_there_is_a_chair_members_cannot_act_for_the_chair(alice, bob, chair, carol):
    offboarding = services.offboarding_start(member=carol, reason="resignation", actor=carol)
    with pytest.raises(Refused):
        services.offboarding_step_propose(
            offboarding=offboarding, kind="tick", item=CHECKLIST[0][0], by=alice
        )
    assert verified_client(alice).get(f"/offboarding/{offboarding.pk}/").status_code == 404
    assert not OffboardingStep.objects.exists()


def test_a_newly_elected_chair_finishes_an_offboarding_alone(alice, bob, carol, chair_left):
    election = services.chair_election_open(candidate=bob, by=alice)
    _vote(election, (alice, True), (bob, True))  # 2 of the 3 remaining members
    assert _role(bob) == Role.CHAIR
    bob.refresh_from_db()
    with pytest.raises(Refused):  # two-member steps are over once there is a chair
        services.offboarding_step_propose(offboarding=chair_left, kind="tick", item=CHECKLIST[0][0], by=alice)
    for item, _label in CHECKLIST:
        services.offboarding_tick(offboarding=chair_left, item=item, done=True, by=bob)
    offboarding = services.offboarding_notice_send(offboarding=chair_left, by=bob)
    assert offboarding.notice_sent_by == bob
    assert Offboarding.objects.get(pk=chair_left.pk).notice_sent_at is not None
