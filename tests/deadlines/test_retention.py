"""Retention: closed cases are expunged at their date, keeping only what statistics need."""

from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.test import Client, TestCase

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, ConsequenceCatalogItem, PartyRole
from cocdesk.cases.selectors import case_consequences_in_force
from cocdesk.cases.services import FileInput, PartyInput
from cocdesk.deadlines import rules
from cocdesk.intake import ratelimit
from tests.deadlines.conftest import DAY, HOUR, T, case_at, send, tick
from tests.factories import CASE_CANARY, case_factory, open_report, passed_consequence, verified_client
from tests.intake.test_anonymity import every_stored_value

pytestmark = pytest.mark.django_db

FILE_CANARY = b"canary-file-51f0 screenshot of the messages"
CLOSED = T + 10 * DAY


def close(case, *, severity="minor", at=CLOSED):
    Case.objects.filter(pk=case.pk).update(
        state="closed", closed_at=at, severity=severity, resolution="resolved_with_action"
    )
    case.refresh_from_db()


def tick_captured(moment):
    with TestCase.captureOnCommitCallbacks(execute=True):  # files are deleted after commit
        return tick(moment)


def test_a_closed_minor_case_is_expunged_at_its_date_and_its_content_is_gone_everywhere(alice):
    case = case_at(T, participants=(alice,), files=[FileInput(name="messages.txt", data=FILE_CANARY)])
    send(case, alice, "acknowledgement", T + HOUR, body="Thank you, canary-reply-77aa")
    storage_names = list(case.attachments.values_list("storage_name", flat=True))
    assert storage_names and all(default_storage.exists(n) for n in storage_names)
    close(case, severity="minor")

    out = tick_captured(CLOSED + HOUR)
    case.refresh_from_db()
    expected = rules.add_months(CLOSED, 6)
    assert case.expunge_at == expected
    assert f"retention  {case.reference}  content deleted on {expected:%Y-%m-%d}" in out
    assert AuditEntry.objects.filter(action="case.expunge_scheduled", object_id=str(case.pk)).exists()

    out = tick_captured(expected - 30 * DAY)  # the chair is told 30 days before
    assert f"deletion notice  {case.reference}  content deleted on {expected:%Y-%m-%d}" in out
    tick_captured(expected - HOUR)
    assert CASE_CANARY in every_stored_value()  # not a moment early

    out = tick_captured(expected + HOUR)
    assert f"expunged  {case.reference}" in out
    stored = every_stored_value()
    for secret in (CASE_CANARY, "canary-reply-77aa", "Jamie Doe", "jamie@example.com", "robin@example.net"):
        assert secret not in stored, secret
    assert not any(default_storage.exists(n) for n in storage_names)

    case.refresh_from_db()
    assert case.expunged_at == expected + HOUR
    kept = (case.reference, case.channel, case.kind, case.state, case.resolution, case.severity)
    assert kept == (case.reference, "web", "named", "closed", "resolved_with_action", "minor")
    assert (case.received_at, case.closed_at) == (T, CLOSED)
    assert (case.description, case.receipt_hash, case.intake_details) == ("", None, {})
    assert (
        AuditEntry.objects.filter(action="case.expunged", object_id=str(case.pk), actor="system").count() == 1
    )

    # Irreversible and invisible: nothing more happens, the page and the receipt code find nothing.
    assert "expunged" not in tick_captured(expected + 2 * DAY)
    assert verified_client(alice).get(f"/cases/{case.reference}/").status_code == 404
    ratelimit.reset()
    portal = Client().post("/report/status/", {"code": case.receipt_code})
    assert "We could not find a report" in portal.text


def test_a_new_report_naming_the_same_person_postpones_the_expunge_date(alice):
    case = case_at(T, participants=(alice,))
    close(case, severity="minor")
    tick_captured(CLOSED + HOUR)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(CLOSED, 6)

    again = CLOSED + 90 * DAY  # three months later, someone reports the same person (by email address)
    with clock.frozen(again):
        case_factory(description="another report")  # the same name, address and handle
    out = tick_captured(again + HOUR)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(again, 6)
    assert f"retention  {case.reference}  content deleted on {case.expunge_at:%Y-%m-%d}" in out
    assert AuditEntry.objects.filter(action="case.expunge_postponed", object_id=str(case.pk)).exists()

    tick_captured(rules.add_months(CLOSED, 6) + DAY)  # the old date passes: kept
    case.refresh_from_db()
    assert case.expunged_at is None and case.description == CASE_CANARY

    tick_captured(rules.add_months(again, 6) - 30 * DAY)  # the notice of the new date
    tick_captured(rules.add_months(again, 6) + HOUR)
    case.refresh_from_db()
    assert case.expunged_at is not None and case.description == ""


def test_a_report_about_someone_else_does_not_postpone(alice):
    case = case_at(T, participants=(alice,))
    close(case, severity="minor")
    with clock.frozen(CLOSED + 30 * DAY):
        open_report(
            channel="web",
            description="unrelated",
            parties=[PartyInput(role=PartyRole.REPORTED, name="Someone Else", email="else@example.com")],
        )
    tick_captured(CLOSED + 31 * DAY)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(CLOSED, 6)


@pytest.mark.parametrize(("severity", "months"), [("moderate", 12), ("severe", 24), ("", 24)])
def test_more_serious_cases_are_kept_longer(alice, severity, months):
    case = case_at(T, participants=(alice,))
    close(case, severity=severity)
    tick_captured(rules.add_months(CLOSED, 6) + DAY)
    case.refresh_from_db()
    assert case.expunged_at is None and case.expunge_at == rules.add_months(CLOSED, months)


def test_open_cases_are_never_expunged(alice):
    case = case_at(T, participants=(alice,))
    tick_captured(T + 800 * DAY)
    case.refresh_from_db()
    assert (case.expunge_at, case.expunged_at, case.description) == (None, None, CASE_CANARY)


def test_a_case_with_a_consequence_still_in_force_is_not_expunged(alice):

    case = case_at(T, participants=(alice,))
    passed_consequence(
        case, alice, custom="No DMs to the reporter", duration="until 2030", until=date(2030, 1, 1)
    )
    close(case, severity="minor")
    tick_captured(CLOSED + HOUR)
    case.refresh_from_db()
    assert case.expunge_at is None
    assert case_consequences_in_force(case=case, today=T.replace(year=2030, month=1, day=2).date()) is False


def test_a_one_off_warning_does_not_keep_a_case_forever(alice):

    case = case_at(T, participants=(alice,))
    passed_consequence(
        case, alice, catalog_item=ConsequenceCatalogItem.objects.get(label="A verbal or emailed warning")
    )
    close(case, severity="minor")
    tick_captured(CLOSED + HOUR)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(CLOSED, 6)
