"""`cocdesk backup` / `cocdesk restore`: encrypted, and restorable into an empty database (D11)."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk.audit.selectors import audit_verify
from cocdesk.cases import services as deliberation
from cocdesk.cases.evidence import read_decrypted
from cocdesk.cases.models import Attachment, Case, ConsequenceCatalogItem
from cocdesk.cases.services import attachment_add
from cocdesk.members.models import Member
from tests.factories import CASE_CANARY, case_factory, member_factory, verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_is_encrypted_and_restores_into_an_empty_database(tmp_path):
    alice, bob = member_factory(name="Alice"), member_factory(name="Bob")
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


def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    member_factory()
    target = tmp_path / "b"
    call_command("backup", str(target), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(target))


def test_restore_refuses_a_file_it_cannot_open(tmp_path):
    target = tmp_path / "b"
    target.write_bytes(b"not a backup")
    with pytest.raises(CommandError, match="not a cocdesk backup"):
        call_command("restore", str(target))
