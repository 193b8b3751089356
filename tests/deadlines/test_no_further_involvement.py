"""A reporter who asked for no further involvement (`Case.wants_updates` False, D5) hears nothing
from us by any path: no confirmation, no message a member writes, no portal ping, no delay
notice, no daily update while the reported person is searched for, no "told them" record."""

import pytest
from django.test import Client, TestCase

from cocdesk import clock
from cocdesk.cases.models import Message, MessageDirection
from cocdesk.cases.services import case_search_start, case_wants_updates_set
from cocdesk.deadlines import services
from cocdesk.deadlines.models import DeadlineAction, Rule
from cocdesk.errors import Refused
from cocdesk.intake import ratelimit
from cocdesk.outbox.models import OutboxMessage
from tests.deadlines.conftest import DAY, HOUR, T, case_at, promises_waiting, tick
from tests.factories import verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

REPORTER, PING = "robin@example.net", "ping@example.net"


@pytest.fixture(params=["named", "anonymous"])
def opted_out(request, alice):
    """A named reporter with an email address, or an anonymous one with a notification address
    and a receipt code: both chose "No, I would prefer not to be involved any further"."""
    extra = {"notify_email": PING} if request.param == "anonymous" else {}
    return case_at(T, participants=(alice,), kind=request.param, wants_updates=False, keep_mail=True, **extra)


def to_reporter():
    addresses = {REPORTER, PING}
    return [m for m in OutboxMessage.objects.all() if m.recipient_address in addresses]


def messages_to_them(case):
    return Message.objects.filter(case=case, direction=MessageDirection.TO_REPORTER)


def test_no_message_of_any_kind_reaches_a_reporter_who_asked_for_no_further_involvement(opted_out, alice):
    case = opted_out
    # The member tries to write: every kind is refused, with the reason, on the page and in the service.
    client = verified_client(alice)
    for kind in ("acknowledgement", "update", "decision", "delay"):
        data = {"kind": kind, "subject": "A word", "body": "Hello from the committee.", "action": "preview"}
        with TestCase.captureOnCommitCallbacks(execute=True):
            page = client.post(f"/cases/{case.reference}/messages/new/", data)
        assert page.status_code == 200
        assert "asked for no further involvement" in page.text
        with pytest.raises(Refused, match="no further involvement"):
            services.reporter_message_send(case=case, author=alice, kind=kind, subject="s", body="b")
        with pytest.raises(Refused, match="no further involvement"):
            services.reporter_told_record(case=case, by=alice, kind=kind, how="phone", text="We called.")
    # Time passes: a search starts, the decision is late; tick runs every few hours.
    with clock.frozen(T + HOUR):
        case_search_start(case=case, by=alice)
    for hours in (25, 49, 73, 7 * 24 + 1, 8 * 24 + 1):
        tick(T + hours * HOUR)
    # Nothing was queued for them, nothing waits in the portal, nothing is due to them.
    assert to_reporter() == []
    assert [m.to for m in delivered() if m.to[0] in (REPORTER, PING)] == []
    assert not messages_to_them(case).exists()
    # Only the committee's own deadline waits for the members (in their digest), nothing owed to them.
    assert promises_waiting(alice, T + 8 * DAY, case) == [
        "Tell the reporter the decision and actions within 7 days"
    ]
    assert not DeadlineAction.objects.filter(case=case).exclude(rule=Rule.DIGEST).exists()
    ratelimit.reset()
    portal = Client()
    portal.post("/report/status/", {"code": case.receipt_code})
    page = portal.get("/report/status/case/").text
    assert "From the committee" not in page
    assert "You asked not to be involved any further" in page


def test_a_reporter_who_tells_us_they_would_like_updates_again_gets_them(alice):
    case = case_at(T, participants=(alice,), wants_updates=False)
    with clock.frozen(T + HOUR):
        case_wants_updates_set(case=case, by=alice, wants_updates=True)
    case.refresh_from_db()
    assert case.wants_updates
    assert case.timeline.filter(text__isnull=False).exists()
    with clock.frozen(T + 2 * HOUR), TestCase.captureOnCommitCallbacks(execute=True):
        services.reporter_message_send(
            case=case, author=alice, kind="acknowledgement", subject="Hello", body="Thank you."
        )
        assert [m.to for m in delivered()] == [[REPORTER]]  # sent by the outbox at that time
    tick(T + 7 * DAY + HOUR)
    assert messages_to_them(case).count() == 2  # and the delay notice is due to them again


def test_a_member_records_that_the_reporter_asked_for_no_further_involvement(alice):
    case = case_at(T, participants=(alice,))
    client = verified_client(alice)
    assert (
        client.post(f"/cases/{case.reference}/messages/wishes/", {"wants_updates": "no"}).status_code == 302
    )
    case.refresh_from_db()
    assert not case.wants_updates
    assert (
        "This reporter asked for no further involvement"
        in client.get(f"/cases/{case.reference}/messages/new/").text
    )
    queued = len(to_reporter())  # the confirmation, sent before they asked
    tick(T + 7 * DAY + HOUR)
    assert len(to_reporter()) == queued and not messages_to_them(case).exclude(kind="confirmation").exists()
