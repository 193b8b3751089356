"""Files follow the transaction (issue 11): evidence and kept emails are written under a pending
name and moved into place on commit; a rolled-back report leaves no file; `cocdesk tick` sweeps
what a crash left behind."""

import base64
import gzip
import io
import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client, TestCase

from cocdesk import backup, clock, notices
from cocdesk.cases import evidence
from cocdesk.cases import services as cases
from cocdesk.cases.models import Attachment, Case
from cocdesk.crypto import decrypt_bytes
from cocdesk.intake import ratelimit
from cocdesk.intake.mail import storing
from cocdesk.intake.models import InboundEmail
from tests.factories import case_factory
from tests.intake.test_email_ingest import ingest, make_email
from tests.intake.test_evidence import jpeg_with_gps
from tests.intake.test_web_report import named_report

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=7)  # past the sweep's grace period (6 hours)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()


def stored_files() -> list[str]:
    names = []
    for folder in ("evidence", "mail"):
        if default_storage.exists(folder):
            names += [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]
    return sorted(names)


def test_a_report_that_rolls_back_after_its_evidence_was_stored_leaves_no_file(monkeypatch):
    def outage(*, case):
        raise DatabaseError("the database went away after the files were stored")

    monkeypatch.setattr(notices, "case_new", outage)
    data = named_report()
    data["evidence"] = [
        SimpleUploadedFile("photo.jpg", jpeg_with_gps()),
        SimpleUploadedFile("chat.txt", b"canary-chat\n"),
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post("/report/", data)
    assert response.status_code == 503 and "Nothing you wrote is lost" in response.text
    assert not Case.objects.exists()
    assert stored_files() == []


def test_an_email_that_fails_to_store_leaves_no_file(tmp_path, monkeypatch):
    def outage(**kwargs):
        raise DatabaseError("connection lost")

    # The last step of the email's transaction: the raw email and the attachment are stored by then.
    monkeypatch.setattr(storing, "audit_record", outage)
    raw = make_email(attachments=[("log.txt", "text/plain", b"x\n")])
    code, _out, _err = ingest(tmp_path, raw)
    assert code == 75
    assert not InboundEmail.objects.exists()
    assert stored_files() == []


def test_evidence_is_moved_into_place_when_the_transaction_commits(django_capture_on_commit_callbacks):
    case = case_factory()
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        attachment = cases.attachment_add(case=case, name="note.txt", data=b"canary-note", source="committee")
    name = attachment.storage_name
    assert stored_files() == [evidence.pending_name(name)]  # not in place before the commit
    assert evidence.read_decrypted(name) == b"canary-note"  # readable meanwhile all the same
    for hook in hooks:
        hook()
    assert stored_files() == [name]
    assert evidence.read_decrypted(name) == b"canary-note"


def test_a_transaction_rolled_back_by_the_caller_leaves_only_a_pending_file_which_the_sweep_removes():
    case = case_factory()
    with pytest.raises(RuntimeError), transaction.atomic():
        cases.attachment_add(case=case, name="note.txt", data=b"canary-note", source="committee")
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert not Attachment.objects.exists()
    (pending,) = stored_files()
    assert pending.endswith(evidence.PENDING_SUFFIX)  # never moved into place

    with clock.frozen(clock.now() + timedelta(hours=1)):
        assert evidence.stored_files_sweep().deleted == []  # it may belong to a running request
    with clock.frozen(clock.now() + LATER):
        assert evidence.stored_files_sweep().deleted == [pending]
    assert stored_files() == []


def test_the_sweep_deletes_orphans_keeps_referenced_files_and_finishes_interrupted_moves(tmp_path):
    case = case_factory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        kept = cases.attachment_add(case=case, name="kept.txt", data=b"canary-kept", source="committee")
    ingest(tmp_path, make_email())  # a kept original email, moved into place
    raw_name = InboundEmail.objects.get().raw_storage_name
    # A crash between the commit and the move: the row exists, the file is still pending.
    with TestCase.captureOnCommitCallbacks(execute=False):
        interrupted = cases.attachment_add(
            case=case, name="late.txt", data=b"canary-late", source="committee"
        )
    orphan = default_storage.save("evidence/0123456789abcdef.bin", ContentFile(b"no row refers to me"))
    orphan_mail = default_storage.save("mail/fedcba9876543210.bin.pending", ContentFile(b"nor to me"))
    assert len(stored_files()) == 5

    with clock.frozen(clock.now() + LATER):
        result = evidence.stored_files_sweep()
    assert result.moved == [interrupted.storage_name]
    assert sorted(result.deleted) == sorted([orphan, orphan_mail])
    assert stored_files() == sorted([kept.storage_name, interrupted.storage_name, raw_name])
    assert evidence.read_decrypted(interrupted.storage_name) == b"canary-late"
    assert evidence.read_decrypted(kept.storage_name) == b"canary-kept"


def test_tick_sweeps_the_files_and_says_so():
    orphan = default_storage.save("evidence/0123456789abcdef.bin", ContentFile(b"no row refers to me"))
    out = io.StringIO()
    call_command("tick", now=(clock.now() + LATER).isoformat(), stdout=out)
    assert f"file removed  {orphan}  (no record refers to it)" in out.getvalue()
    assert "1 file removed" in out.getvalue()
    assert stored_files() == []


@pytest.mark.django_db(transaction=True)  # a backup takes its own snapshot transaction
def test_a_backup_taken_between_a_commit_and_the_move_still_holds_the_file(monkeypatch):
    case = case_factory()
    with monkeypatch.context() as crash:
        crash.setattr(evidence, "_move_into_place", lambda name: False)  # committed, not moved
        attachment = cases.attachment_add(
            case=case, name="n.txt", data=b"canary-in-backup", source="committee"
        )
    assert stored_files() == [evidence.pending_name(attachment.storage_name)]
    archive, _counts = backup.backup_create()
    files = json.loads(gzip.decompress(decrypt_bytes(archive)))["files"]
    assert decrypt_bytes(base64.b64decode(files[attachment.storage_name])) == b"canary-in-backup"
