"""`cocdesk backup` / `cocdesk restore`: encrypted, and restorable into an empty database (D11)."""

import gzip
import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk.audit.selectors import audit_verify
from cocdesk.cases import services as deliberation
from cocdesk.cases.evidence import read_decrypted
from cocdesk.cases.models import Attachment, Case, ConsequenceCatalogItem
from cocdesk.cases.services import attachment_add
from cocdesk.crypto import decrypt_bytes, encrypt_bytes
from cocdesk.members.models import Member
from cocdesk.members.selectors import totp_current_code
from cocdesk.members.services import totp_verify
from tests.factories import CASE_CANARY, case_factory, device_of, verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_is_encrypted_and_restores_into_an_empty_database(tmp_path, alice, bob):
    case = case_factory(participants=(alice, bob))
    deliberation.owners_set(case=case, primary=alice, secondary=bob, by=alice)
    attachment_add(case=case, name="note.txt", data=b"canary-file-content", source="committee")
    deliberation.proposal_create(case=case, kind="violation", text="canary-proposal", by=alice)
    entries_before = audit_verify().entries
    catalog_before = (
        ConsequenceCatalogItem.objects.count()
    )  # migrations seed it; other tests' flushes empty it

    target = tmp_path / "cocdesk.backup"
    call_command("backup", str(target), stdout=io.StringIO())
    raw = target.read_bytes()
    assert b"canary" not in raw and b"Alice" not in raw and b"@example.org" not in raw

    # A new machine: an empty, migrated database and no files.
    storage_name = Attachment.objects.get().storage_name
    call_command("flush", interactive=False)
    default_storage.delete(storage_name)
    assert not Member.objects.exists()

    out = io.StringIO()
    call_command("restore", str(target), stdout=out)
    assert "audit log intact" in out.getvalue()
    restored = Case.objects.get(reference=case.reference)
    assert restored.description == CASE_CANARY
    assert restored.owners.count() == 2 and restored.proposals.get().text == "canary-proposal"
    assert read_decrypted(Attachment.objects.get().storage_name) == b"canary-file-content"
    assert ConsequenceCatalogItem.objects.count() == catalog_before
    assert audit_verify().entries >= entries_before
    # Members can log in again (password and authenticator restored), and see their case.
    assert (
        CASE_CANARY in verified_client(Member.objects.get(pk=alice.pk)).get(f"/cases/{case.reference}/").text
    )
    # New rows get fresh ids after the restored ones.
    assert case_factory().pk > restored.pk


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, alice):
    target = tmp_path / "b"
    call_command("backup", str(target), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(target))


def test_restore_refuses_a_file_it_cannot_open(tmp_path):
    target = tmp_path / "b"
    target.write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="not a cocdesk backup"):
        call_command("restore", str(target))


# --- wrong keys and crashes (issue 11) ------------------------------------------------------------


def _backup_then_empty(tmp_path, alice):
    case = case_factory(participants=(alice,))
    attachment_add(case=case, name="note.txt", data=b"canary-file-content", source="committee")
    target = tmp_path / "cocdesk.backup"
    call_command("backup", str(target), stdout=io.StringIO())
    names = [a.storage_name for a in Attachment.objects.all()]
    call_command("flush", interactive=False)
    for name in names:
        default_storage.delete(name)
    return target, case, names


@pytest.mark.parametrize(("setting", "attribute"), [("AUDIT", "AUDIT_KEY"), ("INDEX", "INDEX_KEY")])
def test_restore_with_another_hmac_key_fails_clearly_and_restores_nothing(
    tmp_path, settings, setting, attribute, alice
):
    """The issue: a restore with the wrong audit key exited 0 (and printed that the log was broken)."""
    target, _case, names = _backup_then_empty(tmp_path, alice)
    setattr(settings, attribute, "not-the-key-of-this-backup-" + "5" * 32)
    with pytest.raises(CommandError, match=f"COCDESK_{setting}_KEY does not match the key this backup"):
        call_command("restore", str(target), stdout=io.StringIO())
    assert not Member.objects.exists() and not Case.objects.exists()
    assert not any(default_storage.exists(n) for n in names)


def test_restore_with_another_field_key_fails_clearly(tmp_path, settings, alice):
    target, _case, _names = _backup_then_empty(tmp_path, alice)
    settings.FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="COCDESK_FIELD_KEYS"):
        call_command("restore", str(target), stdout=io.StringIO())
    assert not Member.objects.exists()


def test_a_backup_whose_files_need_the_old_key_is_refused_until_it_is_configured(tmp_path, settings, alice):
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    case = case_factory(participants=(alice,))
    attachment_add(case=case, name="note.txt", data=b"canary-file-content", source="committee")
    settings.FIELD_KEYS = [new, old]  # mid-rotation: the archive is under the new key, the file the old
    target = tmp_path / "cocdesk.backup"
    call_command("backup", str(target), stdout=io.StringIO())
    call_command("flush", interactive=False)

    settings.FIELD_KEYS = [new]
    with pytest.raises(
        CommandError, match="1 stored file in this backup cannot be opened with COCDESK_FIELD_KEYS"
    ):
        call_command("restore", str(target), stdout=io.StringIO())
    assert not Member.objects.exists()
    settings.FIELD_KEYS = [new, old]
    call_command("restore", str(target), stdout=io.StringIO())
    assert read_decrypted(Attachment.objects.get().storage_name) == b"canary-file-content"


def test_a_restore_that_crashed_while_writing_files_can_be_run_again(tmp_path, monkeypatch, alice):
    """The issue: a crash during restore left files missing, and a rerun was refused."""
    target, case, names = _backup_then_empty(tmp_path, alice)
    real_save = default_storage.save

    def crashing_save(name, content, *args, **kwargs):
        if name in names:  # the file's own name: the rows are in, the files go into place
            raise KeyboardInterrupt  # the machine goes down
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        call_command("restore", str(target), stdout=io.StringIO())
    monkeypatch.undo()
    assert not default_storage.exists(names[0])

    out = io.StringIO()
    call_command("restore", str(target), stdout=out)
    assert "audit log intact" in out.getvalue()
    assert Case.objects.get(reference=case.reference).description == CASE_CANARY
    assert read_decrypted(Attachment.objects.get().storage_name) == b"canary-file-content"
    with pytest.raises(CommandError, match="not empty"):  # finished: now it is an ordinary database
        call_command("restore", str(target), stdout=io.StringIO())


def _rewrite(target, change):
    archive = json.loads(gzip.decompress(decrypt_bytes(target.read_bytes())))
    change(archive["rows"])
    target.write_bytes(encrypt_bytes(gzip.compress(json.dumps(archive).encode())))


def test_a_backup_whose_audit_log_was_altered_is_refused_unless_accepted(tmp_path, alice):
    target, case, _names = _backup_then_empty(tmp_path, alice)

    def tamper(rows):
        next(r for r in rows if r["model"] == "audit.auditentry")["fields"]["action"] = "nothing.happened"

    _rewrite(target, tamper)
    with pytest.raises(CommandError, match="The audit log in this backup does not verify"):
        call_command("restore", str(target), stdout=io.StringIO())
    assert not Case.objects.exists()
    out = io.StringIO()
    call_command("restore", str(target), "--accept-broken-audit-log", stdout=out)
    assert "audit log BROKEN at entry #1" in out.getvalue()
    assert Case.objects.get(reference=case.reference).description == CASE_CANARY


def test_a_backup_from_before_encrypted_totp_secrets_restores_its_authenticators(tmp_path, alice):
    target, _case, _names = _backup_then_empty(tmp_path, alice)

    def as_django_otp_rows(rows):
        for row in rows:
            if row["model"] == "members.totpdevice":
                row["model"] = "otp_totp.totpdevice"

    _rewrite(target, as_django_otp_rows)
    call_command("restore", str(target), stdout=io.StringIO())
    alice = Member.objects.get(email=alice.email)  # as restored
    assert totp_verify(member=alice, code=totp_current_code(device_of(alice))) is not None
