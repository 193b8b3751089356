"""The receipt-code portal (intake issue)."""

import pytest
from django.test import Client, TestCase

from cocdesk.cases.models import Message, MessageDirection
from cocdesk.cases.services import conflict_declare
from cocdesk.intake import ratelimit
from tests.factories import case_factory
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def open_portal(code, client=None, addr="127.0.0.1"):
    client = client or Client()
    return client, client.post("/report/status/", {"code": code}, REMOTE_ADDR=addr)


def test_receipt_code_opens_the_reporters_view_with_committee_messages():
    case = case_factory(kind="anonymous")
    Message.objects.create(
        case=case, direction=MessageDirection.TO_REPORTER, kind="question", body="Was it Saturday?"
    )
    client, response = open_portal(case.receipt_code)
    assert response.status_code == 302
    page = client.get("/report/status/case/")
    assert case.reference in page.text
    assert "Was it Saturday?" in page.text
    # The reporter's view: their own words and the messages, nothing the committee added.
    assert "What you told us" in page.text and "canary-9d2b7 the words they used" in page.text
    assert "Who does not have a conflict" not in page.text and "Jamie" not in page.text


def test_code_is_accepted_in_lower_case_and_without_dashes():
    case = case_factory(kind="anonymous")
    _, response = open_portal(case.receipt_code.replace("-", "").lower())
    assert response.status_code == 302


def test_reporter_can_add_information_and_participants_are_told(alice, bob):
    case = case_factory(kind="anonymous", participants=(alice,))
    forget_delivered()
    client, _ = open_portal(case.receipt_code)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/report/status/case/", {"body": "canary-portal it happened again today"})
    assert "The committee has your message" in response.text
    message = case.messages.get(direction=MessageDirection.FROM_REPORTER)
    assert message.body == "canary-portal it happened again today"
    assert [m.to for m in delivered()] == [[alice.email]]  # bob has not declared: only participants
    assert "canary" not in delivered()[0].body


def test_wrong_code_never_reveals_whether_a_case_exists():
    case_factory(kind="anonymous")
    _, wrong = open_portal("AAAA-BBBB-CCCC-DDDD-EEEE")
    _, empty = open_portal("")
    assert wrong.status_code == empty.status_code == 200
    assert "could not find a report with that code" in wrong.text
    assert "CoC-" not in wrong.text


def test_wrong_codes_are_rate_limited_per_client_but_a_valid_code_still_opens():
    case = case_factory(kind="anonymous")
    client = Client()
    for n in range(10):
        open_portal(f"AAAA-BBBB-CCCC-DDDD-{n:04d}", client, addr="203.0.113.1")
    _, limited = open_portal("AAAA-BBBB-CCCC-DDDD-9999", client, addr="203.0.113.1")
    assert limited.status_code == 429
    _, valid = open_portal(case.receipt_code, client, addr="203.0.113.1")
    assert valid.status_code == 302
    _, elsewhere = open_portal("AAAA-BBBB-CCCC-DDDD-9999", Client(), addr="203.0.113.2")
    assert elsewhere.status_code == 200


def test_portal_page_without_a_code_goes_back_to_the_code_form():
    response = Client().get("/report/status/case/")
    assert response.status_code == 302 and response["Location"] == "/report/status/"


def test_leaving_the_portal_forgets_the_case_on_this_device():
    case = case_factory(kind="anonymous")
    client, _ = open_portal(case.receipt_code)
    client.post("/report/status/leave/")
    assert client.get("/report/status/case/").status_code == 302


def test_a_message_on_a_case_nobody_has_declared_on_reaches_every_member_not_conflicted(alice, bob):
    case = case_factory(kind="anonymous")

    conflict_declare(case=case, member=bob, has_conflict=True)
    forget_delivered()
    client, _ = open_portal(case.receipt_code)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/report/status/case/", {"body": "more details"})
    assert [m.to for m in delivered()] == [[alice.email]]
