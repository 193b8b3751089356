"""An anonymous reporter's notification address (D5): every email to it says only "there is a new
message; read it with your receipt code". No reference, no subject from the case, no text."""

import re

import pytest

from cocdesk.outbox.models import OutboxMessage
from tests.deadlines.conftest import DAY, HOUR, T, case_at, send, tick
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

PING = "ping@example.net"
REFERENCE = re.compile(r"CoC-\d{4}-\w+", re.IGNORECASE)


def test_the_notify_only_address_never_receives_a_reference(alice):
    with_mail = case_at(T, participants=(alice,), kind="anonymous", notify_email=PING, keep_mail=True)
    send(
        with_mail, alice, "acknowledgement", T + HOUR, subject="About CoC-x", body="canary-notify we read it"
    )
    tick(T + 7 * DAY + HOUR)  # the delay notice
    pings = [m for m in delivered() if m.to == [PING]]
    assert len(pings) == 3  # the confirmation, the member's message, the delay notice
    for message in pings:
        text = message.subject + "\n" + message.body
        assert not REFERENCE.search(text), text
        assert with_mail.reference not in text and "canary" not in text and "About" not in text
        assert "receipt code" in message.body and "/report/status/" in message.body
    stored = [m for m in OutboxMessage.objects.all() if m.recipient_address == PING]
    assert not any(REFERENCE.search(m.subject + m.body + (m.dedupe_key or "")) for m in stored)
