"""The outbox against an SMTP server that misbehaves (issue 11, "Mail" in docs/architecture.md):
slow, silent (never answers), failing N times, or accepting and then its sender is killed. No
message is lost; a resend carries the same Message-ID; nothing waits longer than EMAIL_TIMEOUT."""

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection

from cocdesk import clock
from cocdesk.outbox.models import OutboxMessage, Status
from cocdesk.outbox.services import outbox_enqueue, outbox_lease, outbox_send
from tests.deadlines.test_concurrency import database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An SMTP server that keeps what it accepts; it can be slow, refuse N times, or call back."""

    def __init__(self) -> None:
        self.accepted: list[email.message.Message] = []
        self.refuse = 0
        self.delay = 0.0
        self.on_accept = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.accepted.append(email.message_from_bytes(envelope.content))
        if self.on_accept is not None:
            self.on_accept()
        return "250 OK"


@pytest.fixture
def sink(settings):
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", controller.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def queue(n: int = 1) -> list[OutboxMessage]:
    return [
        outbox_enqueue(kind="test", subject=f"Notice {i}", body="A new report.", address=f"m{i}@example.org")
        for i in range(n)
    ]


@pytest.mark.django_db
def test_a_slow_server_still_gets_each_message_once(sink):
    sink.delay = 0.3
    messages = queue(3)
    assert outbox_send()["sent"] == 3
    assert sorted(m["Message-ID"] for m in sink.accepted) == sorted(m.message_id for m in messages)


@pytest.mark.django_db
def test_a_server_failing_three_times_gets_the_message_once_with_one_message_id(sink):
    sink.refuse = 3
    [message] = queue()
    start = clock.now()
    for hours in range(1, 5):
        with clock.frozen(start + timedelta(hours=hours)):
            outbox_send()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 3)
    [received] = sink.accepted
    assert received["Message-ID"] == message.message_id


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_server_that_never_answers_costs_one_timeout_not_a_hang(settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never says a word
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent.getsockname()[1], 1
    [message] = queue()
    outcome = {}

    def work():
        try:
            outcome.update(outbox_send())
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)  # a bound for the test itself: without EMAIL_TIMEOUT this would hang
    silent.close()
    assert not worker.is_alive()
    assert outcome["failed"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error in {"TimeoutError", "SMTPServerDisconnected", "timeout"}


def send_mail_process(port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCDESK_", "DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cocdesk.settings",
        DATABASE_URL=database_url(),
        COCDESK_DATA_DIR=str(django_settings.DATA_DIR),
        SECRET_KEY=django_settings.SECRET_KEY,
        COCDESK_FIELD_KEYS=",".join(django_settings.FIELD_KEYS),
        COCDESK_AUDIT_KEY=django_settings.AUDIT_KEY,
        COCDESK_INDEX_KEY=django_settings.INDEX_KEY,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="10",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "cocdesk.cli", "send-mail"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_after_the_server_accepted_loses_nothing_and_resends_the_same_message_id(sink):
    """SMTP accepted the message, then `cocdesk send-mail` was killed (SIGKILL) before it could mark
    the row: the row stays "sending" until its lease ends, then goes again with the same Message-ID."""
    [message] = queue()
    sender = send_mail_process(django_settings.EMAIL_PORT)
    sink.on_accept = lambda: os.kill(sender.pid, signal.SIGKILL)
    sender.communicate(timeout=120)
    assert sender.returncode == -signal.SIGKILL
    message.refresh_from_db()
    assert message.status == Status.SENDING  # the server has it; we do not know that yet
    sink.on_accept = None

    assert outbox_send()["sent"] == 0  # nobody takes it while the lease runs
    with clock.frozen(clock.now() + outbox_lease() + timedelta(seconds=1)):
        assert outbox_send()["sent"] == 1
    first, second = sink.accepted
    assert first["Message-ID"] == second["Message-ID"] == message.message_id  # one message, twice
    message.refresh_from_db()
    assert message.status == Status.SENT
