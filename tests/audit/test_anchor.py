"""The audit chain's head is anchored outside the database, so a log cut short is noticed (D9, issue 16).

The attacker here can write to the database (the PostgreSQL trigger switched off) but holds neither
COCDESK_AUDIT_KEY nor the anchor file kept elsewhere.
"""

import json
import stat
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cocdesk import clock
from cocdesk.audit.models import AuditEntry, AuditHead
from cocdesk.audit.selectors import audit_verify
from cocdesk.audit.services import audit_record
from tests.audit.test_chain import _entries, _tamper

pytestmark = pytest.mark.django_db

T = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def tick(moment: datetime) -> str:
    out = StringIO()
    call_command("tick", "--now", moment.isoformat(), stdout=out)
    return out.getvalue()


def cut_short(keep: int) -> None:
    """Delete every entry after #`keep` and wind the head row back to it: the chain that is left holds."""
    last = AuditEntry.objects.get(seq=keep)
    _tamper("DELETE FROM audit_auditentry WHERE seq > %s", [keep])
    _tamper("UPDATE audit_audithead SET seq = %s, last_hash = %s", [keep, last.hash])


def test_a_log_cut_short_with_its_head_wound_back_still_verifies_without_an_anchor():
    """What the anchor is for: the database alone cannot tell."""
    _entries(5)
    cut_short(3)
    assert audit_verify().intact


def test_a_log_cut_short_with_its_head_wound_back_fails_against_its_anchor(tmp_path):
    anchor = tmp_path / "audit-anchor"
    _entries(5)
    assert "anchored entry #5" in verify("--anchor", str(anchor))
    cut_short(3)
    with pytest.raises(CommandError, match=r"entries #4 to #5 are missing: the anchor of .* up to entry #5"):
        verify("--anchor", str(anchor))


def test_a_missing_head_row_fails_when_there_are_entries():
    _entries(3)
    _tamper("DELETE FROM audit_audithead")
    check = audit_verify()
    assert not check.intact and "head row" in check.reason
    with pytest.raises(CommandError, match="head row"):
        verify()


def test_no_head_row_and_no_entries_is_an_empty_log():
    assert audit_verify().intact and not AuditHead.objects.exists()


def test_the_anchor_file_is_a_signed_line_per_head_readable_by_its_owner_only(tmp_path):
    anchor = tmp_path / "audit-anchor"
    _entries(2)
    with clock.frozen(T):
        verify("--anchor", str(anchor))
    _entries(1)
    out = verify("--anchor", str(anchor))
    assert "it holds every head anchored" in out and "entry #2" in out
    lines = [json.loads(line) for line in anchor.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [2, 3]
    assert lines[0]["at"].startswith("2027-03-01T09:00:00")
    assert lines[1]["hash"] == AuditEntry.objects.get(seq=3).hash and len(lines[1]["mac"]) == 64
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600


def test_a_log_replaced_by_another_of_the_same_length_fails_against_its_anchor(tmp_path):
    anchor = tmp_path / "audit-anchor"
    _entries(3)
    verify("--anchor", str(anchor))
    # Everything deleted and a chain of harmless entries written again through the application.
    _tamper("DELETE FROM audit_auditentry")
    _tamper("DELETE FROM audit_audithead")
    for i in range(4):
        audit_record(actor="system", action="test.innocent", object_id=i)
    assert audit_verify().intact
    with pytest.raises(CommandError, match=r"entry #3 is not the entry anchored"):
        verify("--anchor", str(anchor))


@pytest.mark.parametrize(
    "edit",
    [
        lambda line: {**line, "seq": 2},  # moved back to agree with a shorter log
        lambda line: {**line, "at": "2030-01-01T00:00:00.000000+00:00"},
        lambda line: {k: v for k, v in line.items() if k != "mac"},
    ],
)
def test_an_anchor_edited_without_the_key_is_refused(tmp_path, edit):
    anchor = tmp_path / "audit-anchor"
    _entries(3)
    verify("--anchor", str(anchor))
    anchor.write_text(json.dumps(edit(json.loads(anchor.read_text()))) + "\n")
    with pytest.raises(CommandError, match=r"Line 1 of .* is not"):
        verify("--anchor", str(anchor))


def test_an_empty_log_can_be_anchored_and_grows_from_there(tmp_path):
    anchor = tmp_path / "audit-anchor"
    assert "anchored entry #0" in verify("--anchor", str(anchor))
    _entries(2)
    assert "audit log intact: 2 entries" in verify("--anchor", str(anchor))


# --- tick anchors the head once a day ------------------------------------------------------------


def test_tick_appends_the_signed_head_once_a_day(settings):
    log = settings.AUDIT_ANCHOR_LOG
    _entries(3)
    first = tick(T)
    assert "audit anchor: entry #3 appended to" in first
    assert "audit anchor" not in tick(T + timedelta(hours=2))  # claimed once per day
    _entries(2)
    tick(T + timedelta(days=1))
    assert [json.loads(line)["seq"] for line in log.read_text().splitlines()] == [3, 5]
    # `audit verify --anchor` takes tick's log as it is.
    assert "the newest of 2027-03-02 09:00 UTC (entry #5)" in verify("--anchor", str(log))


def test_tick_does_not_anchor_a_log_cut_short_since_the_last_anchor(settings):
    log = settings.AUDIT_ANCHOR_LOG
    _entries(5)
    tick(T)
    cut_short(3)
    out = tick(T + timedelta(days=1))
    assert "audit anchor NOT written: the log is broken at entry #4: entries #4 to #5 are missing" in out
    assert "outbox:" in out  # the rest of tick still ran
    assert len(log.read_text().splitlines()) == 1
    with pytest.raises(CommandError, match="entries #4 to #5 are missing"):
        verify("--anchor", str(log))
    # Every run says it again until someone looks: the day's claim was not kept.
    assert "audit anchor NOT written" in tick(T + timedelta(days=1, minutes=5))


def test_tick_anchors_only_entries_that_hold(settings):
    _entries(4)
    tick(T)
    _entries(2)
    _tamper("UPDATE audit_auditentry SET action = 'member.login' WHERE seq = 5")
    out = tick(T + timedelta(days=1))
    assert "audit anchor NOT written: the log is broken at entry #5: its contents do not match" in out
