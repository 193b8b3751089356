"""The audit log is hash-chained and tamper-evident (D9)."""

import hashlib
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client

from cocdesk.audit.models import AuditEntry
from cocdesk.audit.selectors import audit_verify
from cocdesk.audit.services import audit_record
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def _entries(n=5):
    for i in range(n):
        audit_record(actor="system", action="test.event", object_type="thing", object_id=i)


def _tamper(sql, params=()):
    """Raw SQL as an attacker with database access would write it (the trigger switched off on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")


def _verify_output():

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_intact_log_verifies():
    _entries()
    assert "audit log intact: 5 entries" in _verify_output()


def test_an_edited_row_is_named(capsys):
    _entries()
    _tamper("UPDATE audit_auditentry SET action = 'member.login' WHERE seq = 3")
    with pytest.raises(CommandError, match="entry #3"):
        _verify_output()


def test_a_deleted_row_is_named():
    _entries()
    _tamper("DELETE FROM audit_auditentry WHERE seq = 2")
    with pytest.raises(CommandError, match="entry #2"):
        _verify_output()


def test_an_inserted_row_is_named():
    _entries(3)
    last = AuditEntry.objects.get(seq=3)
    _tamper(
        "INSERT INTO audit_auditentry (seq, at, actor, action, object_type, object_id, prev_hash, hash) "
        "VALUES (4, %s, 'member:1', 'case.read', 'case', '1', %s, %s)",
        [last.at, last.hash, "f" * 64],
    )
    with pytest.raises(CommandError, match="entry #4"):
        _verify_output()


def test_removing_the_newest_entries_is_noticed():
    _entries(4)
    _tamper("DELETE FROM audit_auditentry WHERE seq = 4")
    check = audit_verify()
    assert not check.intact and check.broken_seq == 4


def test_a_row_rehashed_without_the_key_does_not_verify():

    _entries(3)
    forged = hashlib.sha256(b"guess").hexdigest()
    _tamper("UPDATE audit_auditentry SET hash = %s WHERE seq = 2", [forged])
    assert audit_verify().broken_seq == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_update_and_delete_of_audit_rows():

    _entries(2)
    for sql in ["UPDATE audit_auditentry SET action = 'x'", "DELETE FROM audit_auditentry"]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(sql)
    assert audit_verify().intact


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    def write(n):
        try:
            for i in range(10):
                audit_record(actor="system", action="test.concurrent", object_id=f"{n}-{i}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = audit_verify()
    assert check.intact and check.entries == 40


def test_entries_hold_no_confidential_text(alice):
    audit_record(actor=alice, action="member.login", target=alice)
    entry = AuditEntry.objects.get()
    assert alice.email not in str(entry.__dict__)
    assert alice.name not in str(entry.__dict__)


def test_the_admin_does_not_show_audit_entries_even_to_the_superuser(operator):
    _entries(1)
    client = verified_client(operator)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Audit" not in index.text
    assert client.get("/admin/audit/auditentry/").status_code == 404
    assert Client().get("/admin/audit/auditentry/").status_code == 302
