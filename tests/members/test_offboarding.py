"""Leaving the committee (D8): resignation, removal by a vote of all members, and off-boarding
that ends every access before the notice to the member goes.

Four committee members of the cast: alice and bob, the chair, and carol, who is leaving.
"""

import pytest
from django.test import TestCase

from cocdesk import access
from cocdesk.audit.models import AuditEntry
from cocdesk.cases import selectors as case_selectors
from cocdesk.cases import services as deliberation
from cocdesk.cases.models import IncidentOwner
from cocdesk.errors import Refused
from cocdesk.members import selectors, services
from cocdesk.members.models import CHECKLIST, Member, Offboarding, Removal, RemovalStatus
from cocdesk.outbox.models import OutboxMessage
from tests.factories import CASE_CANARY, case_factory, member_factory, verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db


def committed():
    """Run on-commit callbacks (the outbox sends after the transaction)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def to(address: str) -> list:
    return [m for m in delivered() if address in m.to]


def logged_out(client) -> bool:
    response = client.get("/dashboard/")
    return response.status_code == 302 and "/login/" in response["Location"]


def test_stepping_down_at_the_check_in_starts_offboarding(alice, chair, carol):
    client = verified_client(carol)
    asked = client.post("/check-in/", {"answer": "step_down"})  # first the confirmation page
    assert asked.status_code == 200 and "Step down from the committee?" in asked.text
    assert not Offboarding.objects.filter(member=carol).exists()
    with committed():
        response = client.post("/check-in/", {"answer": "step_down", "confirming": "1", "confirm": "on"})
    assert response.status_code == 200
    assert b"Thank you for serving on the committee" in response.content
    carol.refresh_from_db()
    assert carol.is_active is False
    offboarding = Offboarding.objects.get(member=carol)
    assert offboarding.reason == "resignation" and offboarding.access_revoked_at is not None
    assert logged_out(client)
    [note] = to(chair.email)
    assert "Carol Hartmann" in note.body and "step down" in note.body
    assert f"/offboarding/{offboarding.pk}/" in note.body
    assert to(carol.email) == []  # the notice comes only after the checklist


def test_the_resign_page_starts_offboarding_for_oneself(alice, chair, carol):
    client = verified_client(carol)
    assert client.get("/resign/").status_code == 200
    unconfirmed = client.post("/resign/")  # without the box ticked nothing happens
    assert unconfirmed.status_code == 400 and "Nothing has been done yet" in unconfirmed.text
    assert not Offboarding.objects.filter(member=carol).exists()
    response = client.post("/resign/", {"confirm": "on"})
    assert response.status_code == 200
    assert Offboarding.objects.get(member=carol).reason == "resignation"
    assert Member.objects.get(pk=carol.pk).is_active is False
    assert logged_out(client)


def _vote(removal, *members_and_votes):
    for member, remove in members_and_votes:
        removal = services.removal_vote(removal=removal, member=member, remove=remove)
    return removal


def test_two_yes_votes_of_four_members_do_not_remove(alice, bob, chair, carol):
    removal = services.removal_open(member=carol, by=alice, text="what happened at the meetup")
    removal = _vote(removal, (alice, True), (bob, True))
    assert removal.status == RemovalStatus.OPEN  # 2 is not more than half of 4; the chair has not voted
    assert selectors.removal_tally(removal=removal) == {"yes": 2, "no": 0, "not_voted": 1, "members": 4}
    removal = _vote(removal, (chair, False))
    assert removal.status == RemovalStatus.FAILED
    assert removal.tally == {"yes": 2, "no": 1, "not_voted": 0, "members": 4}
    carol.refresh_from_db()
    assert carol.is_active is True and not Offboarding.objects.filter(member=carol).exists()
    assert AuditEntry.objects.filter(action="removal.failed", object_id=str(removal.pk)).count() == 1


def test_three_yes_votes_of_four_members_remove_and_start_offboarding(alice, bob, chair, carol):
    removal = services.removal_open(member=carol, by=alice)
    removal = _vote(removal, (alice, True), (bob, True), (chair, True))
    assert removal.status == RemovalStatus.PASSED
    assert removal.tally == {"yes": 3, "no": 0, "not_voted": 0, "members": 4}
    offboarding = Offboarding.objects.get(member=carol)
    assert offboarding.reason == "removal" and offboarding.removal == removal
    assert Member.objects.get(pk=carol.pk).is_active is False
    assert AuditEntry.objects.filter(action="removal.passed", object_id=str(removal.pk)).count() == 1


def test_a_vote_is_final_and_the_member_concerned_cannot_vote(alice, bob, chair, carol):
    removal = services.removal_open(member=carol, by=alice)
    _vote(removal, (alice, True))
    with pytest.raises(Refused):
        services.removal_vote(removal=removal, member=alice, remove=False)
    with pytest.raises(Refused):
        services.removal_vote(removal=removal, member=carol, remove=False)
    with pytest.raises(Refused):
        services.removal_open(member=alice, by=alice)  # not about oneself
    assert removal.votes.count() == 1


def test_the_member_concerned_never_learns_of_the_discussion(alice, bob, chair, carol):
    with committed():
        removal = services.removal_open(member=carol, by=alice, text="canary-removal-4f1 their words")
    # Others are told, without a name; the member concerned gets nothing.
    assert to(carol.email) == []
    assert {address for m in delivered() for address in m.to} == {bob.email, chair.email}
    assert all("Carol" not in m.body and "canary-removal" not in m.body for m in delivered())

    carols = verified_client(carol)
    for path in (f"/removals/{removal.pk}/", "/roster/", f"/offboarding/{removal.pk}/"):
        assert carols.get(path).status_code == 404, path
    assert carols.post(f"/removals/{removal.pk}/post/", {"text": "probe"}).status_code == 404
    assert carols.post(f"/removals/{removal.pk}/vote/", {"choice": "no"}).status_code == 404
    assert removal.posts.count() == 1 and removal.votes.count() == 0
    listing = carols.get("/removals/")
    assert listing.status_code == 200
    assert f"/removals/{removal.pk}/".encode() not in listing.content
    assert b"canary-removal" not in listing.content and b"About " not in listing.content
    assert access.removals_visible_to(carol).count() == 0
    assert not access.may_see_removal(carol, removal)

    # Everyone else sees it.
    for member in (alice, bob, chair):
        page = verified_client(member).get(f"/removals/{removal.pk}/")
        assert page.status_code == 200 and b"canary-removal-4f1" in page.content
    assert f"/removals/{removal.pk}/".encode() in verified_client(chair).get("/roster/").content


def test_a_discussion_about_the_chair_is_hidden_from_the_chair_too(alice, bob, chair, carol):
    removal = services.removal_open(member=chair, by=alice)
    chairs = verified_client(chair)
    assert chairs.get(f"/removals/{removal.pk}/").status_code == 404
    assert f"/removals/{removal.pk}/".encode() not in chairs.get("/roster/").content
    assert f"/removals/{removal.pk}/".encode() not in chairs.get("/removals/").content


def test_members_discuss_and_vote_through_the_pages(alice, bob, chair, carol):
    client = verified_client(alice)
    response = client.post("/removals/new/", {"member": carol.pk, "text": "first words"})
    removal = Removal.objects.get(member=carol)
    assert response.status_code == 302 and response["Location"] == f"/removals/{removal.pk}/"
    assert client.post(f"/removals/{removal.pk}/post/", {"text": "more words"}).status_code == 302
    assert [p.body for p in removal.posts.all()] == ["first words", "more words"]
    assert client.post(f"/removals/{removal.pk}/vote/", {"choice": "yes"}).status_code == 302
    assert removal.votes.get().remove is True
    assert AuditEntry.objects.filter(action="removal.viewed").count() == 0
    client.get(f"/removals/{removal.pk}/")
    assert AuditEntry.objects.filter(action="removal.viewed", object_id=str(removal.pk)).count() == 1


def _counts(proposal) -> dict:
    tally = case_selectors.proposal_tally(proposal=proposal)
    return {"yes": tally["yes"], "participants": tally["participants"]}


def test_offboarding_ends_sessions_ownerships_and_participation(alice, bob, chair, carol):
    case = case_factory(participants=(alice, bob, chair, carol))
    deliberation.owners_set(case=case, primary=carol, secondary=alice, by=alice)
    proposal = deliberation.proposal_create(case=case, kind="violation", text="a violation", by=alice)
    deliberation.vote_cast(proposal=proposal, member=alice, choice="yes")
    deliberation.vote_cast(proposal=proposal, member=carol, choice="yes")
    assert _counts(proposal) == {"yes": 2, "participants": 4}
    carols = verified_client(carol)
    assert carols.get(f"/cases/{case.reference}/").status_code == 200

    services.offboarding_start(member=carol, reason="resignation", actor=carol)

    assert logged_out(carols)
    assert not IncidentOwner.objects.filter(member=carol).exists()
    assert case_selectors.case_needs_owners(case=case)
    assert not access.case_participants(case).filter(pk=carol.pk).exists()
    assert not access.may_view_case(carol, case)
    assert _counts(proposal) == {"yes": 1, "participants": 3}  # carol's vote no longer counts
    proposal.refresh_from_db()
    assert proposal.status == "open"
    deliberation.vote_cast(proposal=proposal, member=bob, choice="yes")
    proposal.refresh_from_db()
    assert proposal.status == "passed"  # 2 of the 3 remaining participants
    # Starting again changes nothing.
    assert services.offboarding_start(member=carol, reason="resignation", actor=carol).pk == (
        Offboarding.objects.get(member=carol).pk
    )


def test_an_open_vote_is_counted_again_when_a_member_leaves(alice, bob, chair, carol):
    erin = member_factory(name="Erin Member")
    removal = services.removal_open(member=carol, by=alice)
    removal = _vote(removal, (alice, True), (bob, True))  # 2 of 5
    assert removal.status == RemovalStatus.OPEN
    services.offboarding_start(member=erin, reason="resignation", actor=erin)  # now 4
    removal.refresh_from_db()
    assert removal.status == RemovalStatus.OPEN  # 2 of 4 is still not more than half; the chair may vote
    _vote(removal, (chair, True))
    removal.refresh_from_db()
    assert removal.status == RemovalStatus.PASSED


def test_the_notice_waits_for_the_checklist_and_goes_once(alice, chair, carol):
    case_factory(participants=(alice, carol))
    with committed():
        offboarding = services.offboarding_start(member=carol, reason="removal", actor=chair)
    chairs = verified_client(chair)
    page = chairs.get(f"/offboarding/{offboarding.pk}/")
    assert page.status_code == 200 and b"Send the notice" not in page.content

    # Refused before every item is ticked, by the service and through the page.
    with pytest.raises(Refused):
        services.offboarding_notice_send(offboarding=offboarding, by=chair)
    for item, _label in CHECKLIST[:-1]:
        assert (
            chairs.post(f"/offboarding/{offboarding.pk}/tick/", {"item": item, "done": "1"}).status_code
            == 302
        )
    with committed():
        chairs.post(f"/offboarding/{offboarding.pk}/notice/")
    offboarding.refresh_from_db()
    assert offboarding.notice_sent_at is None and to(carol.email) == []
    services.offboarding_tick(offboarding=offboarding, item=CHECKLIST[-1][0], done=True, by=chair)

    # Refused while the account is active (say, re-enabled by mistake), even with every item ticked.
    Member.objects.filter(pk=carol.pk).update(is_active=True)
    with pytest.raises(Refused):
        services.offboarding_notice_send(offboarding=offboarding, by=chair)
    Member.objects.filter(pk=carol.pk).update(is_active=False)

    # Not for another member, not even a committee member.
    assert verified_client(alice).post(f"/offboarding/{offboarding.pk}/notice/").status_code == 404
    with committed():
        response = chairs.post(f"/offboarding/{offboarding.pk}/notice/")
    assert response.status_code == 302
    [notice] = to(carol.email)
    assert "removed" in notice.subject and CASE_CANARY not in notice.body and "CoC-" not in notice.body
    # Access was revoked before the notice was queued: the audit chain shows the order.
    disabled = AuditEntry.objects.get(action="member.disabled", object_id=str(carol.pk))
    sent = AuditEntry.objects.get(action="offboarding.notice_sent", object_id=str(offboarding.pk))
    assert disabled.seq < sent.seq
    assert OutboxMessage.objects.get(kind="offboarding_notice").created_at >= offboarding.access_revoked_at

    # Once only.
    with pytest.raises(Refused):
        services.offboarding_notice_send(offboarding=offboarding, by=chair)
    with committed():
        chairs.post(f"/offboarding/{offboarding.pk}/notice/")
    assert len(to(carol.email)) == 1 and OutboxMessage.objects.filter(kind="offboarding_notice").count() == 1


def test_a_resignation_notice_says_it_is_complete(alice, chair, carol):
    offboarding = services.offboarding_start(member=carol, reason="resignation", actor=carol)
    for item, _label in CHECKLIST:
        services.offboarding_tick(offboarding=offboarding, item=item, done=True, by=chair)
    with committed():
        services.offboarding_notice_send(offboarding=offboarding, by=chair)
    [notice] = to(carol.email)
    assert "resignation" in notice.subject and "complete" in notice.subject


def test_the_roster_and_checklists_are_for_the_chair_only(alice, chair, carol):
    offboarding = services.offboarding_start(member=carol, reason="resignation", actor=carol)
    alices = verified_client(alice)
    assert alices.get("/roster/").status_code == 404
    assert alices.get(f"/offboarding/{offboarding.pk}/").status_code == 404
    assert (
        alices.post(
            f"/offboarding/{offboarding.pk}/tick/", {"item": "mailing_lists", "done": "1"}
        ).status_code
        == 404
    )
    offboarding.refresh_from_db()
    assert offboarding.ticked == {}
    roster = verified_client(chair).get("/roster/")
    assert roster.status_code == 200
    assert b"Alice Member" in roster.content and f"/offboarding/{offboarding.pk}/".encode() in roster.content
    assert AuditEntry.objects.filter(action="offboarding.started.resignation").count() == 1
