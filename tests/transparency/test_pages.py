"""Transparency pages: the chair drafts and publishes after a confirmation; a published report is
public at /transparency/<year>/ without login; drafts are the chair's and answer 404 to everyone
else; members taking part set a case's type and public summary."""

import pytest
from django.test import Client

from cocdesk import clock
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case
from cocdesk.cases.services import conflict_declare
from cocdesk.middleware import is_public_path
from cocdesk.transparency import selectors
from cocdesk.transparency.models import IncidentSummary, ReportStatus, TransparencyReport
from tests.factories import verified_client
from tests.transparency.conftest import AFTER, incident

pytestmark = pytest.mark.django_db

DRAFT_PAGES = [
    ("/transparency/drafts/2026/", None),
    ("/transparency/drafts/2026/publish/", None),
    ("/transparency/drafts/2026/promotion/", {"promotion": "probe"}),
    ("/transparency/drafts/2026/refresh/", {}),
    ("/transparency/drafts/2026/ask/", {}),
    ("/transparency/drafts/2026/publish/", {"confirm": "on", "read": "0" * 64}),
]
PUBLIC_PAGES = ["/transparency/2026/", "/transparency/2026/report.md", "/transparency/2026/report.html"]


def test_only_the_public_report_pages_are_public():
    for path in PUBLIC_PAGES:
        assert is_public_path(path), path
    for path in [
        "/transparency/",
        "/transparency/new/",
        "/transparency/published-elsewhere/",
        "/transparency/drafts/2026/",
        "/transparency/2026/publish/",
        "/transparency/2026/promotion/",
        "/transparency/2026/report.txt",
        "/transparency/2026/report.md/x",
        "/transparency/2026x/",
        "/transparency/../cases/",
        "/statistics/",
    ]:
        assert not is_public_path(path), path


def test_only_the_chair_drafts(alice, bob, chair):
    incident(by=alice, category="harassment", state="closed", summary="A remark.")
    member = verified_client(alice)
    assert member.post("/transparency/new/", {"year": "2026"}).status_code == 404
    assert not TransparencyReport.objects.exists()

    with clock.frozen(AFTER):
        head = verified_client(chair)
        response = head.post("/transparency/new/", {"year": "2026", "period_start": "2026-06-01"})
        assert response.status_code == 302 and response["Location"] == "/transparency/drafts/2026/"
        report = TransparencyReport.objects.get()
        assert report.period_start.isoformat() == "2026-01-01"  # a whole calendar year, always
        page = head.get("/transparency/drafts/2026/")
        assert page.status_code == 200 and "A remark." in page.text and "Review and publish" in page.text
    assert AuditEntry.objects.filter(action="transparency.read", actor=f"member:{chair.pk}").exists()


def test_a_draft_is_not_found_for_the_public_and_for_members(alice, bob, chair):
    incident(by=alice, category="harassment", state="closed", summary="canary-draft-4411")
    with clock.frozen(AFTER):
        verified_client(chair).post("/transparency/new/", {"year": "2026"})
    report = TransparencyReport.objects.get()

    for path in PUBLIC_PAGES:
        for client in (Client(), verified_client(alice), verified_client(bob), verified_client(chair)):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "canary-draft-4411" not in response.text
    for path, data in DRAFT_PAGES:
        anonymous = Client().get(path) if data is None else Client().post(path, data)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/"), path
        for client in (verified_client(alice), verified_client(bob)):
            response = client.get(path) if data is None else client.post(path, data)
            assert response.status_code == 404, path
            assert "canary-draft-4411" not in response.text
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and "probe" not in report.promotion
    assert "/transparency/2026/" not in Client().get("/").text


def test_publishing_needs_confirmation_and_then_serves_the_public_page_without_login(alice, chair):
    incident(
        by=alice,
        category="harassment",
        state="closed",
        summary="A remark in a meeting.",
        participants=(alice, chair),
    )
    incident(by=alice, category="", state="closed", summary="Spam in the forum.", participants=(alice, chair))
    still_open = incident(by=alice, state="deliberation", participants=(alice, chair))
    hidden = incident(by=alice, state="triage")  # one the chair does not take part in: its team checks

    with clock.frozen(AFTER):
        head = verified_client(chair)
        head.post("/transparency/new/", {"year": "2026"})
        head.post("/transparency/drafts/2026/promotion/", {"promotion": "Linked from every event page."})
        confirm = head.get("/transparency/drafts/2026/publish/")
        assert confirm.status_code == 200
        text = confirm.text
        assert "What the public will see" in text and "Linked from every event page." in text
        assert "What will happen" in text and "Nobody is emailed" in text  # the one confirmation pattern
        assert "Still open" in text and still_open.reference in text
        assert "1 more you do not take part in" in text
        assert "without a type" in text.lower()
        report = TransparencyReport.objects.get()
        read = selectors.text_digest(report.body)
        assert f'name="read" value="{read}"' in text

        unconfirmed = head.post("/transparency/drafts/2026/publish/", {"read": read})
        assert unconfirmed.status_code == 400 and "Please confirm" in unconfirmed.text
        waiting = head.post("/transparency/drafts/2026/publish/", {"confirm": "on", "read": read})
        assert waiting.status_code == 400 and "Waiting for the case teams’ check." in waiting.text
        assert TransparencyReport.objects.get().status == ReportStatus.DRAFT

        assert head.post("/transparency/drafts/2026/ask/").status_code == 302
        team = verified_client(alice).post(
            f"/cases/{hidden.reference}/transparency/2026/", {"read": read, "looks_fine": "on"}
        )
        assert team.status_code == 302

        done = head.post("/transparency/drafts/2026/publish/", {"confirm": "on", "read": read})
        assert done.status_code == 302 and done["Location"] == "/transparency/2026/"
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED

    public = Client().get("/transparency/2026/")
    assert public.status_code == 200
    assert "Linked from every event page." in public.text and "A remark in a meeting." in public.text
    assert 'href="/static/cocdesk/site.css"' in public.text  # the site's look
    assert 'href="/transparency/2026/report.md"' in public.text
    markdown = Client().get("/transparency/2026/report.md")
    assert markdown.status_code == 200 and markdown["Content-Type"].startswith("text/markdown")
    assert markdown.content.decode() == report.body
    assert Client().get("/transparency/2026/report.html").status_code == 200
    home = Client().get("/").text
    assert 'href="/transparency/2026/"' in home

    index = verified_client(alice).get("/transparency/")
    assert index.status_code == 200 and 'href="/transparency/2026/"' in index.text
    with clock.frozen(AFTER):  # published: nothing changes it any more
        assert head.post("/transparency/drafts/2026/promotion/", {"promotion": "x"}).status_code == 404
        assert head.get("/transparency/drafts/2026/").status_code == 404
    report.refresh_from_db()
    assert "Linked from every event page." in report.promotion


def test_the_check_ins_page_links_to_the_one_place(chair):
    client = verified_client(chair)
    assert 'href="/transparency/"' in client.get("/check-ins/").text
    assert "published-elsewhere" not in client.get("/check-ins/").text


def test_a_report_published_elsewhere_is_recorded_for_last_year_by_default(chair):
    with clock.frozen(AFTER):
        page = verified_client(chair).get("/transparency/").text
    assert 'name="year" value="2026"' in page


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

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/?at=transparency#transparency"
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
