"""Transparency pages: only the chair drafts and publishes, committee members read published
reports, members taking part set a case's type and public summary; everyone else gets 404."""

import pytest
from django.test import Client

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.cases.services import conflict_declare
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport
from tests.factories import verified_client
from tests.transparency.conftest import AFTER, incident

pytestmark = pytest.mark.django_db


def test_only_the_chair_drafts_and_publishes(alice, bob, chair):
    incident(by=alice, category="harassment", summary="A remark.")
    member = verified_client(alice)
    assert member.post("/transparency/new/", {"year": "2026"}).status_code == 404
    assert not TransparencyReport.objects.exists()

    with clock.frozen(AFTER):
        head = verified_client(chair)
        response = head.post("/transparency/new/", {"year": "2026"})
        assert response.status_code == 302 and response["Location"] == "/transparency/2026/"
        report = TransparencyReport.objects.get()
        page = head.get("/transparency/2026/")
        assert page.status_code == 200 and "A remark." in page.text and "Check and publish" in page.text

    for path, data in [
        ("/transparency/2026/", None),
        ("/transparency/2026/report.md", None),
        ("/transparency/2026/promotion/", {"promotion": "probe"}),
        ("/transparency/2026/refresh/", {}),
        ("/transparency/2026/publish/", {}),
    ]:
        for client in (member, verified_client(bob)):
            response = client.get(path) if data is None else client.post(path, data)
            assert response.status_code == 404, path
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and "probe" not in report.promotion
    assert Client().get("/transparency/2026/").status_code == 302  # to the login page

    with clock.frozen(AFTER):
        head = verified_client(chair)
        assert (
            head.post("/transparency/2026/promotion/", {"promotion": "Linked from every page."}).status_code
            == 302
        )
        assert head.post("/transparency/2026/publish/").status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED and "Linked from every page." in report.body

    # Published: every committee member may read it, but nobody may change it any more.
    page = verified_client(bob).get("/transparency/2026/")
    assert page.status_code == 200 and "Linked from every page." in page.text
    assert "Check and publish" not in page.text
    assert verified_client(bob).get("/transparency/2026/report.html").status_code == 200
    assert AuditEntry.objects.filter(action="transparency.read", actor=f"member:{bob.pk}").exists()
    with clock.frozen(AFTER):
        assert (
            verified_client(chair).post("/transparency/2026/promotion/", {"promotion": "x"}).status_code
            == 302
        )
    report.refresh_from_db()
    assert "Linked from every page." in report.promotion


def test_a_blocked_publication_shows_the_chair_which_case_and_kind(alice, chair):
    case = incident(by=alice, category="harassment", summary="Jamie Doe apologized.")
    hidden = incident(by=alice, category="harassment", summary="A remark.", reported="Sam Vimes")
    conflict_declare(case=case, member=chair, has_conflict=False)  # the chair takes part in `case` only
    with clock.frozen(AFTER):
        head = verified_client(chair)
        head.post("/transparency/new/", {"year": "2026"})
        head.post("/transparency/2026/promotion/", {"promotion": "Thanks to sam.vimes@example.com."})
        response = head.post("/transparency/2026/publish/")
    assert response.status_code == 400
    assert "so it was not published" in response.text
    assert f"{case.reference}</a>: name “Jamie Doe”" in response.text
    assert "A case you are not taking part in: email address." in response.text
    assert (
        hidden.reference not in response.text and "sam.vimes@example.com." in response.text
    )  # their own text
    assert TransparencyReport.objects.get().status == ReportStatus.DRAFT


def test_a_member_taking_part_sets_the_type_and_summary_on_the_case_page(alice, bob):
    case = incident(by=alice)
    page = verified_client(alice).get(f"/cases/{case.reference}/")
    assert page.status_code == 200 and 'id="transparency"' in page.text

    response = verified_client(alice).post(
        f"/cases/{case.reference}/category/",
        {
            "category": "unwanted_contact",
            "summary": "Repeated messages after being asked to stop.",
            "anonymizable": "on",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/#transparency"
    case.refresh_from_db()
    assert case.category == "unwanted_contact"
    summary = IncidentSummary.objects.get(case=case)
    assert (summary.text, summary.anonymizable, summary.updated_by) == (
        "Repeated messages after being asked to stop.",
        True,
        alice,
    )
    assert AuditEntry.objects.filter(action="case.public_summary_set", object_id=str(case.pk)).exists()
    page = verified_client(alice).get(f"/cases/{case.reference}/")
    assert "Repeated messages after being asked to stop." in page.text


def test_others_cannot_set_the_type_or_summary(alice, bob, chair):
    case = incident(by=alice)
    conflict_declare(case=case, member=bob, has_conflict=True)
    for member in (bob, chair):  # conflicted; not declared yet
        response = verified_client(member).post(
            f"/cases/{case.reference}/category/",
            {"category": "harassment", "summary": "probe", "anonymizable": "on"},
        )
        assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).category == ""
    assert not IncidentSummary.objects.exists()
    assert verified_client(alice).get(f"/cases/{case.reference}/category/").status_code == 405


def test_an_unknown_type_keeps_what_was_typed(alice):
    case = incident(by=alice)
    response = verified_client(alice).post(
        f"/cases/{case.reference}/category/", {"category": "nonsense", "summary": "Kept words."}
    )
    assert response.status_code == 400 and "Kept words." in response.text
    assert not IncidentSummary.objects.exists()
