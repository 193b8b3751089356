"""Retention as the committee's choice (D5, issue 17): the chair sets the periods (or "never
delete") on a page that explains them; each closed case shows its deletion date; the chair is told
30 days before a deletion, once, and can keep a case longer with a reason (audited, encrypted).

alice takes part in the cases, bob is another member (the cast of tests/conftest.py)."""

from datetime import date

import pytest
from django.db import connection
from django.test import TestCase

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.cases.services import conflict_declare
from cocdesk.deadlines import rules, selectors, services
from cocdesk.deadlines.models import RetentionExtension
from cocdesk.errors import Refused
from cocdesk.templatetags.cocdesk_tags import day as day_shown
from tests.deadlines.conftest import DAY, HOUR, T, case_at, tick
from tests.factories import CASE_CANARY, verified_client
from tests.mailbox import delivered, forget_delivered

pytestmark = pytest.mark.django_db

CLOSED = T + 10 * DAY
REASON = "canary-reason-3e9 the same person was reported at another event"


def close(case, *, severity="minor", at=CLOSED):
    Case.objects.filter(pk=case.pk).update(
        state="closed", closed_at=at, severity=severity, resolution="resolved_with_action"
    )
    case.refresh_from_db()


def tick_captured(moment) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return tick(moment)


def set_policy(chair, **changes):
    values = {
        "minor_months": 6,
        "moderate_months": 12,
        "severe_months": 24,
        "unassessed_months": 24,
        "never_delete": False,
        "extend_months": 6,
        **changes,
    }
    with clock.frozen(T):
        return services.retention_policy_update(by=chair, **values)


def deletion_notices(address: str) -> list:
    return [m for m in delivered() if address in m.to and "will be deleted on" in m.subject]


def test_changing_the_settings_changes_the_computed_deletion_date(alice, chair):
    case = case_at(T, participants=(alice, chair))
    close(case, severity="minor")
    assert selectors.case_retention(case=case, now=CLOSED).deletion_at == rules.add_months(CLOSED, 6)

    set_policy(chair, minor_months=3)
    assert selectors.case_retention(case=case, now=CLOSED).deletion_at == rules.add_months(CLOSED, 3)
    tick_captured(CLOSED + HOUR)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(CLOSED, 3)
    assert (
        AuditEntry.objects.filter(action="retention.policy_updated", actor=f"member:{chair.pk}").count() == 1
    )

    set_policy(chair, minor_months=18)  # longer: the stored date follows at the next tick
    tick_captured(CLOSED + 2 * HOUR)
    case.refresh_from_db()
    assert case.expunge_at == rules.add_months(CLOSED, 18)

    set_policy(chair, never_delete=True)
    tick_captured(CLOSED + 3 * HOUR)
    case.refresh_from_db()
    assert case.expunge_at is None
    tick_captured(CLOSED + 800 * DAY)
    case.refresh_from_db()
    assert case.expunged_at is None and case.description == CASE_CANARY


def test_the_case_page_shows_the_deletion_date_of_a_closed_case(alice, chair):
    case = case_at(T, participants=(alice, chair))
    with clock.frozen(CLOSED):
        open_page = verified_client(alice).get(f"/cases/{case.reference}/")
    assert "will be deleted for good" not in open_page.text
    close(case, severity="moderate")
    with clock.frozen(CLOSED + HOUR):  # before any tick: computed on the page
        page = verified_client(alice).get(f"/cases/{case.reference}/")
        chairs = verified_client(chair).get(f"/cases/{case.reference}/")
    day = rules.add_months(CLOSED, 12)
    assert f"will be deleted for good on {day_shown(day)}" in page.text  # the one date format
    assert "/deadlines/retention/" in page.text
    assert f"/cases/{case.reference}/retention/" not in page.text  # alice is not the chair
    assert f"/cases/{case.reference}/retention/" in chairs.text


def test_the_settings_page_explains_retention_and_only_the_chair_edits_it(alice, chair):
    page = verified_client(alice).get("/deadlines/retention/")
    assert page.status_code == 200
    for words in ("deletes its content for good", "does not say how long reports are kept", "30 days before"):
        assert words in page.text
    assert "Only the chair can change these." in page.text and "<form" not in page.text.split("<main")[1]
    assert verified_client(alice).post("/deadlines/retention/", {"minor_months": 1}).status_code == 404
    with pytest.raises(Refused):
        services.retention_policy_update(
            by=alice,
            minor_months=1,
            moderate_months=1,
            severe_months=1,
            unassessed_months=1,
            never_delete=False,
            extend_months=1,
        )

    chairs = verified_client(chair)
    data = {
        "minor_months": "4",
        "moderate_months": "8",
        "severe_months": "30",
        "unassessed_months": "30",
        "extend_months": "3",
    }
    assert chairs.post("/deadlines/retention/", {**data, "minor_months": "0"}).status_code == 400
    assert chairs.post("/deadlines/retention/", data).status_code == 302
    periods = selectors.retention_periods()
    assert (periods.minor, periods.moderate, periods.severe, periods.unassessed, periods.never) == (
        4,
        8,
        30,
        30,
        False,
    )
    assert "Last changed on" in verified_client(alice).get("/deadlines/retention/").text


def test_the_chair_is_told_30_days_before_a_deletion_once(alice, bob, chair):
    case = case_at(T, participants=(alice, chair))
    close(case, severity="minor")
    due = rules.add_months(CLOSED, 6)
    tick_captured(CLOSED + HOUR)
    tick_captured(due - 31 * DAY)
    assert deletion_notices(chair.email) == []

    out = tick_captured(due - 30 * DAY)
    assert f"deletion notice  {case.reference}  content deleted on {due:%Y-%m-%d}, told 1 member(s)" in out
    [notice] = deletion_notices(chair.email)
    assert case.reference in notice.subject
    assert f"http://127.0.0.1:8000/cases/{case.reference}/#retention" in notice.body
    assert CASE_CANARY not in notice.body and "Jamie" not in notice.body
    assert deletion_notices(alice.email) == deletion_notices(bob.email) == []  # the chair is told

    for moment in (due - 30 * DAY + HOUR, due - 10 * DAY, due - HOUR):
        assert "deletion notice" not in tick_captured(moment)
    assert len(deletion_notices(chair.email)) == 1
    out = tick_captured(due + HOUR)
    assert f"expunged  {case.reference}" in out
    assert len(deletion_notices(chair.email)) == 1


def test_without_a_chair_free_of_conflict_the_members_taking_part_are_told(alice, bob, chair):
    case = case_at(T, participants=(alice,))
    conflict_declare(case=case, member=chair, has_conflict=True)
    close(case, severity="minor")
    due = rules.add_months(CLOSED, 6)
    tick_captured(due - 30 * DAY)
    assert deletion_notices(chair.email) == []  # a conflicted chair hears nothing of the case
    assert len(deletion_notices(alice.email)) == 1
    assert deletion_notices(bob.email) == []  # not taking part


def test_a_case_is_never_deleted_sooner_than_30_days_after_the_notice(alice, chair):
    case = case_at(T, participants=(alice, chair))
    close(case, severity="minor")
    tick_captured(CLOSED + HOUR)
    later = CLOSED + 200 * DAY  # past six months; nobody was told yet (say, tick did not run)
    set_policy(chair, minor_months=1)  # and the periods got shorter meanwhile
    out = tick_captured(later)
    assert f"deletion notice  {case.reference}  content deleted on {later + 30 * DAY:%Y-%m-%d}" in out
    assert "expunged" not in out
    tick_captured(later + 29 * DAY)
    case.refresh_from_db()
    assert case.expunged_at is None and case.expunge_at == later + 30 * DAY
    tick_captured(later + 30 * DAY + HOUR)
    case.refresh_from_db()
    assert case.expunged_at is not None


def test_an_extension_postpones_the_expunge(alice, chair):
    case = case_at(T, participants=(alice, chair))
    close(case, severity="minor")
    due = rules.add_months(CLOSED, 6)
    tick_captured(due - 30 * DAY)  # scheduled, and the chair told
    with clock.frozen(due - 20 * DAY):
        extension = services.retention_extend(case=case, by=chair, reason=REASON)
    kept = rules.add_months(due, 6)  # the committee's extension period
    assert extension.until == kept
    case.refresh_from_db()
    assert case.expunge_at == kept
    assert AuditEntry.objects.filter(action="case.retention_extended", object_id=str(case.pk)).count() == 1
    assert AuditEntry.objects.filter(
        action="case.expunge_postponed", object_id=str(case.pk), actor=f"member:{chair.pk}"
    ).exists()
    with connection.cursor() as cursor:  # the reason is encrypted at rest
        cursor.execute("SELECT reason FROM deadlines_retentionextension")
        assert all("canary-reason" not in str(row) for row in cursor.fetchall())

    tick_captured(due + HOUR)  # the old date passes: kept
    case.refresh_from_db()
    assert case.expunged_at is None and case.description == CASE_CANARY
    forget_delivered()
    tick_captured(kept - 30 * DAY)  # the new date is announced again
    assert len(deletion_notices(chair.email)) == 1
    tick_captured(kept + HOUR)
    case.refresh_from_db()
    assert case.expunged_at is not None and case.description == ""
    assert not RetentionExtension.objects.filter(case=case).exists()  # the reason goes with the content


def test_the_chair_keeps_a_case_until_a_date_through_the_page(alice, chair):
    case = case_at(T, participants=(alice, chair))
    close(case, severity="minor")
    due = rules.add_months(CLOSED, 6)
    with clock.frozen(CLOSED + DAY):
        chairs = verified_client(chair)
        page = chairs.get(f"/cases/{case.reference}/retention/")
        assert page.status_code == 200 and "6 more months" in page.text
        too_early = chairs.post(
            f"/cases/{case.reference}/retention/", {"how": "date", "until": "2027-05-01", "reason": REASON}
        )
        assert too_early.status_code == 400 and "Please choose a date after" in too_early.text
        no_reason = chairs.post(f"/cases/{case.reference}/retention/", {"how": "period", "reason": ""})
        assert no_reason.status_code == 400
        done = chairs.post(
            f"/cases/{case.reference}/retention/", {"how": "date", "until": "2029-01-15", "reason": REASON}
        )
        assert done.status_code == 302
        case.refresh_from_db()
        assert case.expunge_at.date() == date(2029, 1, 15) and case.expunge_at > due
        assert REASON in chairs.get(f"/cases/{case.reference}/retention/").text
        # A member who is not the chair may not, and does not see the page.
        assert verified_client(alice).get(f"/cases/{case.reference}/retention/").status_code == 404
        refused = verified_client(alice).post(
            f"/cases/{case.reference}/retention/", {"how": "period", "reason": "x"}
        )
        assert refused.status_code == 404
    assert RetentionExtension.objects.filter(case=case).count() == 1
