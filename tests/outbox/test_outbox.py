"""Outgoing mail (docs/architecture.md, "Mail"): queued in the transaction that caused it, sent only by
the outbox worker (`tick`, `send-mail`), one lease per message, retried, never silently dropped."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from cocdesk import clock
from cocdesk.cases.services import conflict_declare
from cocdesk.outbox.models import OutboxMessage, Status
from cocdesk.outbox.services import (
    MAX_ATTEMPTS,
    outbox_connection,
    outbox_enqueue,
    outbox_lease,
    outbox_send,
)
from tests.factories import case_factory, verified_client

pytestmark = pytest.mark.django_db


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def queue(**kwargs):
    kwargs.setdefault("address", "someone@example.net")
    return outbox_enqueue(kind="test", subject="Hello", body="Body", **kwargs)


class ClockBackend:
    """An SMTP server that takes a minute per message and notes what the row said meanwhile."""

    seen: list[tuple[int, str, object, object]] = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        for email in messages:
            row = OutboxMessage.objects.get(message_id=email.extra_headers["Message-ID"])
            ClockBackend.seen.append((row.pk, row.status, row.claimed_until, clock.now()))
            clock.set_now(clock.now() + timedelta(minutes=1))
            mail.outbox.append(email)
        return len(messages)


def test_nothing_is_queued_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(kind="test", subject="s", body="b", address="x@example.net")
        raise RuntimeError
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_committing_queues_mail_but_never_sends_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(kind="test", subject="s", body="b", address="x@example.net")
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert outbox_send()["sent"] == 1 and len(mail.outbox) == 1


def test_each_message_is_leased_from_its_own_start_and_marked_sending(settings):
    settings.EMAIL_BACKEND = "tests.outbox.test_outbox.ClockBackend"
    ClockBackend.seen = []
    with clock.frozen(clock.now()):
        for _n in range(12):  # 12 minutes of sending: longer than any lease stamped at the start
            queue()
        assert outbox_send()["sent"] == 12
    for _pk, status, claimed_until, at in ClockBackend.seen:
        assert status == Status.SENDING
        assert claimed_until > at  # still ours: no second worker may take it meanwhile
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_every_message_carries_its_own_stable_message_id(settings):
    first, second = queue(), queue()
    assert first.message_id and first.message_id != second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith(">")
    settings.EMAIL_BACKEND = "tests.outbox.test_outbox.BrokenBackend"
    outbox_send()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen(clock.now() + timedelta(hours=1)):
        outbox_send()
    sent = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert sent == {first.message_id, second.message_id}
    assert {m.message()["Message-ID"] for m in mail.outbox} == sent


def test_a_worker_killed_mid_send_leaves_the_message_sending_until_its_lease_ends():
    """SMTP accepted, then the worker died before marking the row: the row stays "sending". Nobody
    sends it again while the lease runs; afterwards it is sent again with the same Message-ID, so
    the two copies are recognisably one message, and the interruption counts as an attempt."""
    message = queue()
    now = clock.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_until=now + outbox_lease()
    )
    with clock.frozen(now + outbox_lease() - timedelta(seconds=1)):
        assert outbox_send()["sent"] == 0
    with clock.frozen(now + outbox_lease() + timedelta(seconds=1)):
        assert outbox_send()["sent"] == 1
    [resent] = mail.outbox
    assert resent.extra_headers["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)


def test_a_message_interrupted_every_time_ends_dead_not_in_an_endless_loop():
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, attempts=MAX_ATTEMPTS - 1, claimed_until=clock.now()
    )
    with clock.frozen(clock.now() + timedelta(seconds=1)):
        assert outbox_send()["dead"] == 1
    message.refresh_from_db()
    assert message.status == Status.DEAD and mail.outbox == []


def test_smtp_waits_at_most_the_configured_timeout(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 7
    assert outbox_connection().timeout == 7


def test_the_lease_outlasts_the_slowest_smtp_conversation(settings):
    settings.EMAIL_TIMEOUT = 120
    assert outbox_lease() >= timedelta(seconds=120 * 10)


def test_send_mail_loop_delivers_until_stopped():
    queue()
    out = StringIO()
    call_command("send_mail", loop=True, rounds=2, interval=0, stdout=out)
    assert len(mail.outbox) == 1
    assert "1 sent" in out.getvalue()


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
