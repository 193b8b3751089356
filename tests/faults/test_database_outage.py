"""The report form never depends on the database to answer (issue 11, D2).

During an outage the public form still renders (its choice lists from the cache of the last good
read, or without them), a submission goes to the encrypted spool and the reporter gets their
receipt code; `tick` (or the web process's next good request) imports every spooled report exactly
once. `ingest-email` spools too and exits 0. Simulated outage (tests/faults/outage.py): runs on
SQLite in CI, and on PostgreSQL.
"""

import io
import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from PIL import Image

from cocdesk.cases.models import Case, ConflictDeclaration
from cocdesk.intake import ratelimit, services, spool
from cocdesk.intake import selectors as intake_selectors
from cocdesk.intake import views as intake_views
from cocdesk.intake.middleware import SpoolImportMiddleware
from cocdesk.intake.models import Event
from cocdesk.intake.recovery import spool_import
from cocdesk.intake.selectors import case_by_receipt_code
from cocdesk.outbox.models import OutboxMessage
from tests.factories import receipt_codes_in, verified_client
from tests.faults.outage import database_down, outage_end, outage_start


@pytest.fixture(autouse=True)
def _fresh():
    ratelimit.reset()
    intake_selectors._last_good_choices.clear()  # no earlier test's read of the form's lists
    SpoolImportMiddleware.check_now()
    yield
    outage_end()


def report(text, **extra):
    return {
        "kind": "anonymous",
        "preferred_contact": "email",
        "wants_updates": "no",
        "what_happened": text,
        **extra,
    }


def tick() -> str:
    out = io.StringIO()
    call_command("tick", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_form_renders_during_an_outage_from_the_last_good_read(alice):
    Event.objects.create(name="FooConf 2026", starts_on="2026-05-01", ends_on="2026-05-03")
    assert "FooConf 2026" in Client().get("/report/").text
    with database_down():
        page = Client().get("/report/")
    assert page.status_code == 200
    assert "FooConf 2026" in page.text and "Alice Member" in page.text


@pytest.mark.django_db
def test_the_form_renders_without_its_optional_lists_when_nothing_was_read_yet(alice):
    with database_down():
        page = Client().get("/report/")
    assert page.status_code == 200
    assert 'name="what_happened"' in page.text
    assert 'name="event"' not in page.text and 'name="exclude_members"' not in page.text


@pytest.mark.django_db
def test_a_report_during_an_outage_is_received_with_its_code_and_imported_exactly_once(alice, bob):
    Client().get("/report/")  # the choices are read once while the database works
    with database_down():
        response = Client().post(
            "/report/", report("spooled canary 1", exclude_members=[str(alice.pk)], evidence=[])
        )
    assert response.status_code == 200
    assert "safely received" in response.text
    [code] = receipt_codes_in(response.text)
    assert not Case.objects.exists()
    [entry] = spool.spool_pending()
    assert b"spooled canary" not in entry.path.read_bytes()  # encrypted at rest

    out = tick()
    case = Case.objects.get()
    assert f"spooled web report  {case.reference}  imported" in out
    assert case.description == "spooled canary 1"
    assert case_by_receipt_code(code=code) == case  # the code the reporter was shown opens it
    assert ConflictDeclaration.objects.get(case=case, member=alice).source == "excluded"
    assert OutboxMessage.objects.filter(case=case, recipient_member=bob).exists()  # as for any report
    assert spool.spool_pending() == []
    tick()
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_files_sent_during_an_outage_arrive_with_the_report():
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(picture, "PNG")
    with database_down(), io.BytesIO(picture.getvalue()) as upload:
        upload.name = "screenshot.png"
        response = Client().post("/report/", {**report("with a file"), "evidence": [upload]})
    assert response.status_code == 200 and "safely received" in response.text
    spool_import()
    assert Case.objects.get().attachments.get().original_name == "screenshot.png"


@pytest.mark.django_db
def test_a_file_refused_by_the_evidence_rules_is_said_at_once_not_spooled():
    with database_down(), io.BytesIO(b"MZ\x90\x00") as upload:
        upload.name = "tool.exe"
        response = Client().post("/report/", {**report("with a bad file"), "evidence": [upload]})
    assert response.status_code == 200 and "we can take photos" in response.text
    assert spool.spool_pending() == []


@pytest.mark.django_db
def test_a_reporter_with_a_session_cookie_still_gets_the_thank_you_page(alice):
    client = Client()
    session = client.session
    session["something"] = "from an earlier visit"
    session.save()
    with database_down():
        response = client.post("/report/", report("with a session"))
    assert response.status_code == 200 and "safely received" in response.text


@pytest.mark.django_db
def test_a_commit_lost_with_the_connection_is_imported_once(monkeypatch):
    real = services.web_report_store

    def committed_then_lost(**kwargs):
        real(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "web_report_store", committed_then_lost)
    response = Client().post("/report/", report("in doubt"))
    assert response.status_code == 200 and "safely received" in response.text
    [code] = receipt_codes_in(response.text)
    monkeypatch.undo()
    spool_import()
    assert Case.objects.count() == 1
    assert case_by_receipt_code(code=code) == Case.objects.get()


@pytest.mark.django_db
def test_the_web_process_imports_the_spool_on_its_next_good_request():
    with database_down():
        Client().post("/report/", report("imported by the web"))
    assert spool.spool_pending() and not Case.objects.exists()
    SpoolImportMiddleware.check_now()
    assert Client().get("/").status_code == 200
    assert Case.objects.get().description == "imported by the web"
    assert spool.spool_pending() == []


@pytest.mark.django_db
def test_committee_intake_during_an_outage_refuses_kindly_and_keeps_what_was_typed(alice, monkeypatch):
    def outage_while_storing(**kwargs):
        outage_start()
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(intake_views.services, "committee_report_take", outage_while_storing)
    response = verified_client(alice).post(
        "/intake/new/",
        {
            "channel": "in_person",
            "kind": "named",
            "preferred_contact": "email",
            "wants_updates": "yes",
            "what_happened": "typed at the venue",
        },
    )
    assert response.status_code == 200
    assert "could not save your report" in response.text and "typed at the venue" in response.text


@pytest.mark.django_db
def test_committee_pages_during_an_outage_say_so_instead_of_asking_to_log_in(alice):
    client = verified_client(alice)
    with database_down():
        response = client.get("/dashboard/")
    assert response.status_code == 503
    assert "try again in a minute" in response.text


def _ingest(raw: bytes, tmp_path) -> tuple[int, str, str]:
    path = tmp_path / f"m{len(list(tmp_path.iterdir()))}.eml"
    path.write_bytes(raw)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_email", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


EMAIL = (
    b"From: robin@example.net\r\nSubject: report\r\nMessage-ID: <outage.1@example.net>\r\n\r\n"
    b"spooled email\r\n"
)


@pytest.mark.django_db
def test_ingest_email_during_an_outage_spools_and_exits_0_then_tick_files_it_once(tmp_path):
    (tmp_path / "mail").mkdir()
    with database_down():
        code, out, err = _ingest(EMAIL, tmp_path / "mail")
    assert (code, err) == (0, "") and "received" in out
    tick()
    case = Case.objects.get()
    assert case.description == "spooled email"
    assert _ingest(EMAIL, tmp_path / "mail")[1].strip() == case.reference  # redelivered: the same
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_ingest_email_exits_75_only_when_even_the_spool_cannot_be_written(tmp_path, settings):
    (tmp_path / "mail").mkdir()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.SPOOL_DIR = blocker / "spool"
    with database_down():
        code, _out, err = _ingest(EMAIL, tmp_path / "mail")
    assert code == 75 and "could not be stored" in err and "Traceback" not in err


# --- many reporters at once, the outage in the middle -------------------------------------------------


def _submit(base_url: str, text: str, results: dict, errors: list) -> None:
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = opener.open(f"{base_url}/report/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **report(text)}).encode()
        request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
            f"{base_url}/report/", data=body, headers={"Referer": f"{base_url}/report/"}
        )
        page = opener.open(request, timeout=60).read().decode()
        results[text] = receipt_codes_in(page)[0]
    except Exception as exc:
        errors.append(f"{text}: {exc!r}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_reporters_through_an_outage_are_each_found_exactly_once(live_server, settings, alice):
    settings.REPORT_RATE_LIMIT = (1000, 3600)
    results, errors = {}, []

    def wave(first, last):
        threads = [
            threading.Thread(target=_submit, args=(live_server.url, f"outage report {n}", results, errors))
            for n in range(first, last)
        ]
        for thread in threads:
            thread.start()
        return threads

    for thread in wave(0, 15):
        thread.join(timeout=120)
    outage_start()
    during = wave(15, 35)
    for thread in during:
        thread.join(timeout=120)
    outage_end()
    for thread in wave(35, 50):
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == 50
    assert len(spool.spool_pending()) >= 20  # the middle wave at least

    tick()
    descriptions = sorted(Case.objects.values_list("description", flat=True))
    assert descriptions == sorted(results)  # every report, exactly once
    for text, code in results.items():
        assert case_by_receipt_code(code=code).description == text
    assert spool.spool_pending() == []
