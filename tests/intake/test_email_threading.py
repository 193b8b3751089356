"""Email threading (issue 16): a reply reaches its case only by the case's reply token or by naming
one of our own outgoing messages; a reference in the subject never adds to a case; a sender is
labelled by what can be checked, with the receiving mail server's Authentication-Results beside it."""

from email import message_from_bytes
from email.utils import getaddresses

import pytest
from django.db import connection
from django.test import TestCase

from cocdesk.cases import services as cases
from cocdesk.cases.models import Case, Channel, Kind, Message, MessageDirection, TimelineKind
from cocdesk.deadlines.services import reporter_message_send
from cocdesk.intake.models import InboundEmail
from tests.factories import case_factory, open_report, verified_client
from tests.intake.test_email_ingest import SUBJECT_CANARY, ingest, make_email
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

PASS = (
    "mx.example.org; spf=pass smtp.mailfrom=robin@example.net; dkim=pass header.d=example.net; "
    "dmarc=pass header.from=example.net"
)
FAIL = (
    "mx.example.org; spf=fail smtp.mailfrom=robin@example.net; dkim=none; dmarc=fail header.from=example.net"
)


def to_reporter(address: str = "robin@example.net"):
    return [m for m in delivered() if m.to == [address]]


def reply_address(sent) -> str:
    (_name, address), *_rest = getaddresses(sent.reply_to)
    return address


def from_reporter(case: Case) -> list[Message]:
    return list(case.messages.filter(direction=MessageDirection.FROM_REPORTER))


def new_emailed_case(tmp_path, **kwargs) -> Case:
    _, (reference,), _ = ingest(tmp_path, make_email(**kwargs))
    return Case.objects.get(reference=reference)


# --- the reply token and our own Message-IDs ---------------------------------------------------------


def test_reply_token_threads_reply_into_case(tmp_path, settings):
    settings.REPLY_ADDRESS = "conduct@example.org"
    case = new_emailed_case(tmp_path, headers={"Authentication-Results": PASS})
    (confirmation,) = to_reporter()
    address = reply_address(confirmation)
    local, _, domain = address.partition("@")
    assert domain == "example.org" and local.startswith("conduct+")
    token = local.removeprefix("conduct+")
    assert len(token) >= 16 and case.reference.split("-")[-1].lower() not in token.lower()
    # The confirmation answers the reporter's own email, so their client shows one conversation.
    raw = confirmation.message()
    assert raw["In-Reply-To"] == "<first.1@mail.example.net>"
    assert "<first.1@mail.example.net>" in raw["References"]
    # The token is not in the database in the clear (only a keyed hash and an encrypted copy).
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_case WHERE id = %s", [case.pk])
        assert token not in repr(cursor.fetchall())
    reply = make_email(
        body="canary-token-reply and a photo later",
        subject="my own subject, no reference",
        message_id="<tokenreply.1@mail.example.net>",
        to=address,
        headers={"Authentication-Results": PASS},
    )
    assert ingest(tmp_path, reply)[1] == [case.reference]
    assert [m.body for m in from_reporter(case)] == ["canary-token-reply and a photo later"]
    assert InboundEmail.objects.order_by("pk").last().details["threaded_by"] == "token"


def test_a_reply_naming_our_message_id_threads_into_case(tmp_path):
    case = new_emailed_case(tmp_path)
    (confirmation,) = to_reporter()
    ours = confirmation.extra_headers["Message-ID"]
    reply = make_email(
        body="replying without the token",
        subject="Re: something",
        message_id="<ourreply.1@mail.example.net>",
        headers={"In-Reply-To": ours, "References": f"<first.1@mail.example.net> {ours}"},
    )
    assert ingest(tmp_path, reply)[1] == [case.reference]
    assert [m.body for m in from_reporter(case)] == ["replying without the token"]
    assert InboundEmail.objects.order_by("pk").last().details["threaded_by"] == "our-message"


def test_a_member_notice_message_id_threads_nothing(tmp_path, alice):
    case = new_emailed_case(tmp_path)
    notice = next(m for m in delivered() if m.to == [alice.email])
    reply = make_email(
        sender="Alice <alice-other@example.com>",
        body="a reply to a member notice",
        message_id="<member.1@example.com>",
        headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
    )
    _, (reference,), _ = ingest(tmp_path, reply)
    assert reference != case.reference and not from_reporter(case)


def test_subject_reference_from_stranger_opens_new_report_not_thread(tmp_path):
    case = new_emailed_case(tmp_path)
    forget_delivered()
    stranger = make_email(
        sender="Someone Else <else@example.com>",
        subject=f"Re: [{case.reference}] We received your report",
        message_id="<stranger.1@example.com>",
        body="canary-stranger I want to add to this",
    )
    code, (reference,), _ = ingest(tmp_path, stranger)
    assert code == 0 and reference != case.reference
    assert not from_reporter(case)
    new = Case.objects.get(reference=reference)
    assert new.description == "canary-stranger I want to add to this"
    # The stranger's confirmation is for the new report only: nothing says the other case exists.
    (confirmation,) = to_reporter("else@example.com")
    assert case.reference not in confirmation.subject + confirmation.body
    assert reference in confirmation.subject


def test_subject_reference_from_the_reporters_address_alone_threads_nothing(tmp_path):
    case = new_emailed_case(tmp_path)
    again = make_email(
        subject=f"About {case.reference}",
        message_id="<subjectonly.1@mail.example.net>",
        body="I forgot something",
    )
    _, (reference,), _ = ingest(tmp_path, again)
    assert reference != case.reference and not from_reporter(case)


def test_sealed_case_cannot_be_reached_by_subject_reference(tmp_path):
    with TestCase.captureOnCommitCallbacks(execute=True):
        sealed = open_report(
            channel=Channel.WEB,
            kind=Kind.ESCROWED,
            description="escrowed report",
            notify_email="ping@example.net",
            with_receipt=True,
            actor="public",
        ).case
    assert sealed.sealed
    forget_delivered()
    probe = make_email(
        sender="Prober <probe@example.com>",
        subject=f"Re: [{sealed.reference}] You have a new message",
        message_id="<probe.1@example.com>",
        body="is this case there?",
    )
    _, (reference,), _ = ingest(tmp_path, probe)
    assert reference != sealed.reference
    assert not from_reporter(sealed) and not sealed.timeline.filter(kind=TimelineKind.EMAIL_IN).exists()
    (confirmation,) = to_reporter("probe@example.com")
    assert sealed.reference not in confirmation.subject + confirmation.body


def test_a_strangers_reply_to_the_reporters_own_email_opens_a_new_report(tmp_path):
    case = new_emailed_case(tmp_path)
    cc_d = make_email(
        sender="Jamie Doe <jamie@example.com>",
        subject="Re: " + SUBJECT_CANARY,
        message_id="<cc.1@example.com>",
        headers={"In-Reply-To": "<first.1@mail.example.net>"},
        body="I was copied on this",
    )
    _, (reference,), _ = ingest(tmp_path, cc_d)
    assert reference != case.reference and not from_reporter(case)


def test_the_reporters_own_thread_needs_a_verified_sender_in_production(tmp_path, settings):
    settings.MAIL_AUTHSERV_ID = "mx.example.org"
    case = new_emailed_case(tmp_path, headers={"Authentication-Results": PASS})
    forged = make_email(
        subject="Re: " + SUBJECT_CANARY,
        message_id="<forged.9@attacker.example>",
        headers={"In-Reply-To": "<first.1@mail.example.net>"},  # no check by our server: unverified
        body="canary-forged-thread",
    )
    _, (reference,), _ = ingest(tmp_path, forged)
    assert reference != case.reference and not from_reporter(case)
    genuine = make_email(
        subject="Re: " + SUBJECT_CANARY,
        message_id="<genuine.9@mail.example.net>",
        headers={"In-Reply-To": "<first.1@mail.example.net>", "Authentication-Results": PASS},
        body="canary-genuine-thread",
    )
    assert ingest(tmp_path, genuine)[1] == [case.reference]
    assert [m.body for m in from_reporter(case)] == ["canary-genuine-thread"]


# --- who sent it ---------------------------------------------------------------------------------------


def test_forged_from_is_labelled_not_on_this_case(tmp_path, alice):
    case = new_emailed_case(tmp_path)
    address = reply_address(to_reporter()[0])
    other = make_email(
        sender="Someone Else <else@example.com>",
        subject="a reply from elsewhere",
        message_id="<else.2@example.com>",
        to=address,
        body="canary-else I saw it too",
    )
    assert ingest(tmp_path, other)[1] == [case.reference]
    (message,) = from_reporter(case)
    assert "not on this case" in message.sender_check
    assert "reporter's address" not in message.sender_check
    entry = case.timeline.get(kind=TimelineKind.EMAIL_IN)
    assert "not on this case" in entry.text and "reporter's address" not in entry.text
    cases.conflict_declare(case=case, member=alice, has_conflict=False)
    page = verified_client(alice).get(f"/cases/{case.reference}/").content.decode()
    assert "canary-else I saw it too" in page and "from an address not on this case" in page.lower()


def test_a_forged_reporters_address_that_failed_the_check_is_never_called_the_reporters(tmp_path, alice):
    case = new_emailed_case(tmp_path)
    address = reply_address(to_reporter()[0])
    forged = make_email(
        subject="it's me",
        message_id="<forged.3@attacker.example>",
        to=address,
        headers={"Authentication-Results": FAIL},
        body="canary-forged",
    )
    assert ingest(tmp_path, forged)[1] == [case.reference]
    (message,) = from_reporter(case)
    assert "Sent from the reporter's address" not in message.sender_check
    assert "dmarc=fail" in message.sender_check
    assert "may be forged" in message.sender_check


def test_authentication_results_shown_beside_the_message_on_the_case_page(tmp_path, alice):
    case = new_emailed_case(tmp_path, headers={"Authentication-Results": PASS})
    address = reply_address(to_reporter()[0])
    reply = make_email(
        subject="more",
        message_id="<verified.4@mail.example.net>",
        to=address,
        headers={"Authentication-Results": PASS},
        body="canary-verified reply",
    )
    ingest(tmp_path, reply)
    cases.conflict_declare(case=case, member=alice, has_conflict=False)
    page = verified_client(alice).get(f"/cases/{case.reference}/").content.decode()
    assert "canary-verified reply" in page
    assert page.count("dmarc=pass") >= 2  # beside the report (its facts) and beside the reply
    assert "Sent from the reporter&#x27;s address" in page or "Sent from the reporter's address" in page
    assert "dmarc=pass" in page


def test_only_our_mail_servers_authentication_results_count(tmp_path, settings):
    settings.MAIL_AUTHSERV_ID = "mx.example.org"
    # A header the sender wrote themself (another authserv-id) is not believed.
    new_emailed_case(
        tmp_path,
        headers={"Authentication-Results": "evil.example; dmarc=pass header.from=example.net"},
    )
    assert to_reporter() == []


# --- confirmations of new emailed reports -----------------------------------------------------------


def test_a_new_report_whose_sender_failed_the_check_gets_no_confirmation(tmp_path, alice):
    case = new_emailed_case(tmp_path, headers={"Authentication-Results": FAIL})
    assert to_reporter() == []  # never to a forged From
    assert [m.to[0] for m in delivered()] == [alice.email]  # the committee still hears of it
    note = case.timeline.filter(kind=TimelineKind.NOTE).values_list("text", flat=True)
    assert any("no confirmation" in text.lower() for text in note)
    assert "dmarc=fail" in case.intake_details["authentication_results"]


def test_a_new_report_that_passed_the_check_is_confirmed(tmp_path):
    new_emailed_case(tmp_path, headers={"Authentication-Results": PASS})
    assert len(to_reporter()) == 1


def test_a_threaded_reply_twice_is_stored_once(tmp_path):
    case = new_emailed_case(tmp_path)
    address = reply_address(to_reporter()[0])
    reply = make_email(subject="twice", message_id="<twice.1@mail.example.net>", to=address, body="once")
    assert ingest(tmp_path, reply, reply)[1] == [case.reference, case.reference]
    assert len(from_reporter(case)) == 1


# --- mail to reporters --------------------------------------------------------------------------------


def test_a_members_message_to_the_reporter_carries_reply_to_and_references(tmp_path, alice):
    case = case_factory(participants=(alice,))
    forget_delivered()
    with TestCase.captureOnCommitCallbacks(execute=True):
        reporter_message_send(case=case, author=alice, kind="update", subject="An update", body="Hello")
    (sent,) = to_reporter()
    assert "+" in reply_address(sent)
    raw = message_from_bytes(sent.message().as_bytes())
    assert raw["Reply-To"] and case.reference not in raw["Reply-To"]
    earlier = case.messages.filter(direction=MessageDirection.TO_REPORTER).count()
    assert earlier >= 1
