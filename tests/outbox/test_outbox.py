"""Outgoing mail: queued in the transaction, sent after commit, retried, never silently dropped."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from cocdesk import clock
from cocdesk.cases.services import conflict_declare
from cocdesk.outbox.models import OutboxMessage, Status
from cocdesk.outbox.services import MAX_ATTEMPTS, outbox_enqueue, outbox_send
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def queue(**kwargs):
    kwargs.setdefault("address", "someone@example.net")
    return outbox_enqueue(kind="test", subject="Hello", body="Body", send_now=False, **kwargs)


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(kind="test", subject="s", body="b", address="x@example.net")
        raise RuntimeError
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_a_failing_message_is_retried_with_backoff_then_marked_dead(settings):
    settings.EMAIL_BACKEND = "tests.outbox.test_outbox.BrokenBackend"
    message = queue()
    start = clock.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clock.frozen(start + timedelta(days=attempt)):
            outbox_send()
        message.refresh_from_db()
        assert message.attempts == attempt
    assert message.status == Status.DEAD
    assert message.last_error == "ConnectionRefusedError"


def test_backoff_waits_before_the_next_attempt(settings):
    settings.EMAIL_BACKEND = "tests.outbox.test_outbox.BrokenBackend"
    message = queue()
    outbox_send()
    message.refresh_from_db()
    assert message.next_attempt_at > clock.now()
    assert outbox_send() == {"sent": 0, "failed": 0, "dead": 0, "withheld": 0}


def test_dead_mail_shows_on_the_dashboard(chair, settings):
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.DEAD, last_error="SMTPException")
    page = verified_client(chair).get("/dashboard/").text
    assert "Emails that could not be sent" in page and "SMTPException" in page


def test_dead_mail_about_a_case_is_not_shown_to_a_conflicted_member(alice, bob):
    case = case_factory(participants=(bob,))
    conflict_declare(case=case, member=alice, has_conflict=True)
    message = queue(case=case)
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.DEAD)
    assert case.reference not in verified_client(alice).get("/dashboard/").text
    assert case.reference in verified_client(bob).get("/dashboard/").text


def test_a_notice_is_withheld_if_the_member_declared_a_conflict_before_it_went(alice):
    case = case_factory()
    OutboxMessage.objects.all().delete()
    queue(case=case, member=alice, address="")
    conflict_declare(case=case, member=alice, has_conflict=True)
    assert outbox_send()["withheld"] == 1
    assert mail.outbox == []


def test_the_same_dedupe_key_is_queued_once():
    assert queue(dedupe_key="k1") is not None
    assert queue(dedupe_key="k1") is None
    assert OutboxMessage.objects.count() == 1


def test_tick_drains_the_outbox_and_a_second_run_sends_nothing():
    queue()
    out = StringIO()
    call_command("tick", stdout=out)
    assert "1 sent" in out.getvalue()
    call_command("tick", stdout=out)
    assert len(mail.outbox) == 1


def test_a_claimed_message_is_not_sent_by_a_second_sender():
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=clock.now() + timedelta(minutes=5))
    assert outbox_send()["sent"] == 0
