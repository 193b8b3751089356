"""The public report form (intake issue; D2)."""

import re

import pytest
from django.core import mail
from django.test import Client, TestCase

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, ConflictDeclaration, Kind, PartyRole
from cocdesk.intake import ratelimit
from cocdesk.outbox.models import OutboxMessage
from tests.factories import event_factory
from tests.mailbox import delivered, intake_mail

pytestmark = pytest.mark.django_db

CANARY = "canary-4c1e2 he grabbed my arm by the coffee stand"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def named_report(**overrides):
    data = {
        "kind": "named",
        "your_name": "Robin Reporter",
        "your_email": "robin@example.net",
        "preferred_contact": "email",
        "wants_updates": "yes",
        "what_happened": CANARY,
        "when": "Saturday 14:00",
        "where": "Hall B",
        "reported_1_name": "Jamie Doe",
        "reported_1_email": "jamie@example.com",
        "reported_1_handle": "@jamied",
        "witnesses": "Sam Witness\nAlex Witness",
    }
    data.update(overrides)
    return data


def submit(data, client=None, **extra):
    client = client or Client()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/report/", data, **extra)
    return client, response


def test_named_web_report_becomes_a_case_with_the_right_fields(alice, bob):
    client, response = submit(named_report())
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.reference.startswith("CoC-20")
    assert (case.channel, case.kind, case.state) == ("web", Kind.NAMED, "new")
    assert case.description == CANARY
    assert (case.occurred_when, case.occurred_where) == ("Saturday 14:00", "Hall B")
    roles = sorted(case.parties.values_list("role", flat=True))
    assert roles == ["reported", "reporter", "witness", "witness"]
    reported = case.parties.get(role=PartyRole.REPORTED)
    assert (reported.name, reported.email, reported.handle) == ("Jamie Doe", "jamie@example.com", "@jamied")
    thanks = client.get("/report/thanks/")
    assert case.reference in thanks.text
    assert "receipt code" in thanks.text.lower()


def test_receipt_code_is_shown_once_and_stored_only_as_a_hash():
    client, _ = submit(named_report())
    page = client.get("/report/thanks/").text
    code = re.sub(r"<[^>]+>", "", page.split('<p class="receipt-code"><code>')[1].split("</code>")[0])
    assert len(code.replace("-", "")) == 20  # 98 bits
    case = Case.objects.get()
    assert code not in str(Case.objects.values().get())
    assert case.receipt_hash and len(case.receipt_hash) == 64
    assert code not in client.get("/report/thanks/").text


def test_reporter_gets_a_confirmation_and_members_get_a_notice_without_details(alice, bob):
    submit(named_report())
    for message in intake_mail(Case.objects.get(), reporter="robin@example.net", members=(alice, bob)):
        text = message.subject + message.body
        assert "canary" not in text and "Jamie" not in text and "Hall B" not in text


def test_members_who_are_parties_or_excluded_get_nothing(alice, bob, carol):
    submit(named_report(reported_1_email="ALICE@example.org", exclude_members=[str(bob.pk)]))
    case = Case.objects.get()
    assert {m.to[0] for m in delivered()} == {"robin@example.net", carol.email}
    conflicts = ConflictDeclaration.objects.filter(case=case, has_conflict=True)
    assert {(d.member_id, d.source) for d in conflicts} == {(alice.pk, "party"), (bob.pk, "excluded")}


def test_the_form_refuses_to_exclude_every_member_with_a_clear_message(alice, bob):
    """The attack (by mistake or not): every member excluded, the report is invisible to everyone."""
    _client, response = submit(named_report(exclude_members=[str(alice.pk), str(bob.pk)]))
    assert response.status_code == 200
    assert "leave at least one committee member" in response.text
    assert CANARY in response.text  # nothing typed is lost
    assert not Case.objects.exists()


def test_the_chair_is_told_when_exclusions_leave_fewer_than_two_members_free(alice, bob, chair):
    submit(named_report(exclude_members=[str(alice.pk), str(bob.pk)]))
    case = Case.objects.get()
    told = [m for m in delivered() if "Fewer than two" in m.subject]
    assert [m.to for m in told] == [[chair.email]] and case.reference in told[0].subject
    assert CANARY not in told[0].body and "Alice" not in told[0].body


def test_anonymous_report_keeps_no_identity_even_if_typed(alice):
    submit(named_report(kind="anonymous"), REMOTE_ADDR="198.51.100.77")
    case = Case.objects.get()
    assert case.kind == Kind.ANONYMOUS
    assert not case.parties.filter(role=PartyRole.REPORTER).exists()
    assert [m.to[0] for m in delivered()] == [alice.email]


def test_anonymous_notification_address_gets_the_confirmation_and_is_never_shown(alice):
    submit(named_report(kind="anonymous", notify_email="ping@example.net"))
    case = Case.objects.get()
    assert case.notify_email == "ping@example.net"
    confirmation = next(m for m in delivered() if m.to == ["ping@example.net"])
    assert "/report/status/" in confirmation.body


def test_escrowed_report_is_sealed_and_notifies_no_member(alice):
    submit(named_report(kind="escrowed"))
    case = Case.objects.get()
    assert case.sealed and case.kind == Kind.ESCROWED
    assert not OutboxMessage.objects.filter(recipient_member__isnull=False).exists()


def test_immediate_danger_marks_the_case_urgent_and_alerts_every_member(alice, bob):
    submit(named_report(immediate_danger="on"))
    case = Case.objects.get()
    assert case.urgent
    urgent = [m for m in delivered() if "URGENT" in m.subject]
    assert {m.to[0] for m in urgent} == {alice.email, bob.email}


def test_missing_description_keeps_everything_typed():
    data = named_report(what_happened="")
    _, response = submit(data)
    assert response.status_code == 200
    assert "This field is required" in response.text
    assert 'value="Robin Reporter"' in response.text
    assert 'value="Jamie Doe"' in response.text and 'value="@jamied"' in response.text
    assert "Hall B" in response.text
    assert Case.objects.count() == 0


def test_named_reporter_who_wants_email_updates_is_asked_for_an_address():
    _, response = submit(named_report(your_email=""))
    assert response.status_code == 200
    assert "so we can reach you" in response.text


def test_public_form_is_rate_limited_without_storing_the_address():
    client = Client()
    for _ in range(10):
        assert submit(named_report(), client, REMOTE_ADDR="203.0.113.5")[1].status_code == 302
    assert submit(named_report(), client, REMOTE_ADDR="203.0.113.5")[1].status_code == 429
    assert submit(named_report(), Client(), REMOTE_ADDR="203.0.113.6")[1].status_code == 302


def test_report_is_audited_as_public_without_an_address():
    submit(named_report(), REMOTE_ADDR="198.51.100.23")
    entry = AuditEntry.objects.get(action="case.created")
    assert entry.actor == "public"
    assert "198.51.100.23" not in str(list(AuditEntry.objects.values()))


def test_report_pages_offer_a_quick_exit():
    page = Client().get("/report/").text
    assert "Leave this page quickly" in page
    assert "quick-exit.js" in page


def test_public_report_form_needs_no_login():
    assert Client().get("/report/").status_code == 200


def test_the_report_request_only_queues_mail_the_outbox_worker_sends_it(alice):
    """An SMTP server that is slow or gone can never hold a reporter's request (issue 11)."""
    submit(named_report())
    assert mail.outbox == []  # nothing left during the request
    assert OutboxMessage.objects.filter(status="pending").count() == 2


# --- form truth, danger and escrow (issue 13) ----------------------------------------------------


def test_no_way_of_contact_is_chosen_until_the_reporter_chooses_one():
    page = Client().get("/report/").text
    assert not re.search(r'name="preferred_contact"[^>]*checked', page)
    assert re.search(r'for="id_what_happened">What happened\? <span class="required">', page)
    assert page.count('class="required"') == 1  # only "What happened?" is truly required


def test_a_name_a_story_and_someone_in_danger_is_enough(alice):
    data = {"kind": "named", "your_name": "Robin", "what_happened": CANARY, "immediate_danger": "on"}
    data.update(wants_updates="yes")
    _, response = submit(data)
    assert response.status_code == 302, response.text
    assert Case.objects.get().urgent


def test_a_danger_report_cannot_be_held_in_escrow_and_is_filed_as_the_reporter_chooses(alice):
    page = Client().get("/report/").text
    assert "cannot be held in escrow" in page
    _, refused = submit(named_report(kind="escrowed", immediate_danger="on"))
    assert refused.status_code == 200 and not Case.objects.exists()
    assert "cannot be held in escrow" in refused.text and CANARY in refused.text  # nothing lost
    submit(named_report(kind="anonymous", immediate_danger="on"))
    case = Case.objects.get()
    assert (case.kind, case.urgent, case.sealed) == ("anonymous", True, False)
    assert any("URGENT" in m.subject for m in delivered() if m.to == [alice.email])


def test_an_urgent_reports_thank_you_page_says_what_to_do_now_and_that_the_committee_was_alerted(alice):
    event = event_factory(
        venue_security="+1 555 0199 (front desk)",
        safety_contact="Sam Safety, +1 555 0123",
        emergency_number="911",
    )
    client, _ = submit(named_report(immediate_danger="on", event=str(event.pk)))
    page = client.get("/report/thanks/").text
    assert "The committee has been alerted" in page
    for what in ("911", "+1 555 0199 (front desk)", "Sam Safety, +1 555 0123"):
        assert what in page


def test_the_escrow_thank_you_page_does_not_promise_a_review():
    client, _ = submit(named_report(kind="escrowed"))
    page = client.get("/report/thanks/").text
    assert "held in escrow" in page and "review it right away" not in page


def test_choosing_anonymously_discards_typed_contact_details_and_says_so(alice):
    client, _ = submit(named_report(kind="anonymous", your_phone="+1 555 0100"))
    assert not Case.objects.get().parties.filter(role=PartyRole.REPORTER).exists()
    page = client.get("/report/thanks/").text
    assert "we did not keep the name and contact details you typed" in page
