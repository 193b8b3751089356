"""Who sees that an email could not be sent (the dashboard's failed-mail list, D12, issue 16).

The attack: during a mail outage every member saw the kind of every dead message, so the member a
removal discussion is about read "removal_opened" on their own dashboard.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.template.loader import get_template

from cocdesk import notices
from cocdesk.cases.services import conflict_declare
from cocdesk.members.models import Role
from cocdesk.members.services import offboarding_start, removal_open
from cocdesk.outbox.models import OutboxMessage, Status
from cocdesk.outbox.selectors import COMMITTEE_KINDS, SEALED_KINDS, outbox_dead_for
from cocdesk.outbox.services import outbox_enqueue
from tests.factories import case_factory, member_factory, verified_client

pytestmark = pytest.mark.django_db

NEUTRAL = "a message about the committee"


def all_dead() -> None:
    OutboxMessage.objects.update(status=Status.DEAD, last_error="SMTPServerDisconnected")


def dashboard(member) -> str:
    return verified_client(member).get("/dashboard/").text


def dead_for(member) -> list:
    """The selector, for a member logged in with their second factor (as the dashboard calls it)."""
    member.is_verified = lambda: True
    return outbox_dead_for(member)


def queue(**kwargs) -> OutboxMessage:
    kwargs.setdefault("address", "someone@example.net")
    return outbox_enqueue(kind="test", subject="Hello", body="Body", **kwargs)


def test_the_member_a_removal_discussion_is_about_never_sees_its_failed_mail(chair, alice, bob):
    removal_open(member=alice, by=bob, text="about Alice")
    assert OutboxMessage.objects.filter(kind="removal_opened").count() == 1  # to the chair
    all_dead()
    page = dashboard(alice)
    assert "removal_opened" not in page and NEUTRAL not in page and "could not be sent" not in page
    assert list(dead_for(alice)) == []


def test_the_chair_sees_failed_mail_about_the_committee_without_its_kind(chair, alice, bob, carol):
    removal_open(member=alice, by=bob)
    all_dead()
    page = dashboard(chair)
    assert NEUTRAL in page and "removal_opened" not in page and "SMTPServerDisconnected" in page
    # The other voters are members: the chair's list, not theirs.
    assert "could not be sent" not in dashboard(carol)


def test_the_chair_never_sees_failed_mail_about_a_process_concerning_themself(chair, alice, bob):
    removal_open(member=chair, by=alice)
    co_chair = member_factory(name="Cora Chair", role=Role.CHAIR)
    all_dead()
    assert list(dead_for(chair)) == []
    assert "could not be sent" not in dashboard(chair)
    assert NEUTRAL in dashboard(co_chair)


def test_off_boarding_mail_shows_to_the_chair_without_its_kind(chair, alice):
    offboarding = offboarding_start(member=alice, reason="resignation", actor=alice)
    notices.offboarding_notice(offboarding=offboarding, by=chair)  # to alice's address
    all_dead()
    rows = dead_for(chair)
    assert [row.label for row in rows] == [NEUTRAL, NEUTRAL]
    assert OutboxMessage.objects.filter(about_member=alice).count() == 2


def test_members_see_failed_mail_of_the_cases_they_take_part_in_only(chair, alice, bob):
    mine = case_factory(participants=(bob,))
    awaiting = case_factory(reported="Sam Smith")
    conflicted = case_factory(reported="Pat Poe", participants=(alice,))
    conflict_declare(case=conflicted, member=chair, has_conflict=True)
    OutboxMessage.objects.all().delete()
    for case in (mine, awaiting, conflicted):
        queue(case=case)
    queue(member=alice, address="")  # not about a case: a check-in, say
    all_dead()

    assert {row.reference for row in dead_for(bob)} == {mine.reference}
    assert {row.reference for row in dead_for(alice)} == {conflicted.reference}  # not her check-in
    # The chair: every case they are not conflicted on, and the mail about no case.
    assert {row.reference for row in dead_for(chair)} == {mine.reference, awaiting.reference, ""}
    assert {row.label for row in dead_for(chair)} == {"test"}
    assert f"{mine.reference} · " in dashboard(bob) and "to Alice Member" in dashboard(chair)


def test_nobody_but_the_committee_sees_failed_mail(chair, community_manager):
    queue()
    all_dead()
    assert list(dead_for(community_manager)) == []
    assert "could not be sent" not in dashboard(community_manager)


def test_the_neutral_labels_name_real_notices():
    """A renamed notice would otherwise show its kind again."""
    for kind in COMMITTEE_KINDS | SEALED_KINDS:
        assert callable(getattr(notices, kind)), kind
        get_template(f"email/{kind}.subject.txt")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_migrating_gives_mail_already_queued_the_member_it_is_about(alice, bob):
    removal = removal_open(member=alice, by=bob)  # notifies nobody else: there is no one
    before = [("outbox", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        Old = executor.loader.project_state(before).apps.get_model("outbox", "OutboxMessage")
        old = Old.objects.create(
            kind="removal_opened",
            recipient_member_id=bob.pk,
            subject="s",
            body="b",
            dedupe_key=f"removal_opened:{removal.pk}:{bob.pk}",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("outbox"))
    assert OutboxMessage.objects.get(pk=old.pk).about_member_id == alice.pk
