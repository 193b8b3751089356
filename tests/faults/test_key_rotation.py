"""Key rotation under faults (issue 11): files, crashes, and writes that race a rotation batch."""

import io
import threading

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from cocdesk.cases.evidence import read_decrypted
from cocdesk.cases.models import Attachment, Case, TimelineEntry
from cocdesk.cases.services import attachment_add, case_expunge
from cocdesk.intake.mail import storing
from cocdesk.intake.models import InboundEmail
from cocdesk.management.commands.rotate_keys import ProgressBar
from cocdesk.ops import services as ops_services
from cocdesk.ops.selectors import key_problems, rotation_check
from tests.factories import CASE_CANARY, case_factory, member_factory
from tests.intake.test_email_ingest import make_email

FILE_CANARY = b"canary-file-4e1b the screenshot"


def _case_with_files():
    member_factory()  # an authenticator secret too
    case = case_factory()
    attachment_add(case=case, name="screenshot.txt", data=FILE_CANARY, source="committee")
    raw = make_email(attachments=[("log.txt", "text/plain", b"canary-mail-attachment")])
    emailed = storing.email_ingest(raw=raw)
    return case, raw, Case.objects.get(reference=emailed.reference)


@pytest.mark.django_db
def test_rotation_then_removing_the_old_key_keeps_every_file_readable(settings):
    """The issue: after `rotate-keys` and removing the old key, every evidence file and every kept
    original email failed with InvalidToken."""
    case, raw, emailed = _case_with_files()
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]
    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())

    settings.FIELD_KEYS = [new]
    assert Case.objects.get(pk=case.pk).description == CASE_CANARY
    assert read_decrypted(Attachment.objects.get(case=case).storage_name) == FILE_CANARY
    assert read_decrypted(InboundEmail.objects.get(case=emailed).raw_storage_name) == raw
    mail_attachment = Attachment.objects.get(case=emailed)
    assert read_decrypted(mail_attachment.storage_name) == b"canary-mail-attachment"


@pytest.mark.django_db
def test_rotate_keys_check_names_what_still_needs_the_old_key(settings):
    case, _raw, _emailed = _case_with_files()
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]
    out = io.StringIO()
    with pytest.raises(CommandError, match="still needs a key other than the newest"):
        call_command("rotate_keys", "--check", stdout=out)
    assert "cases.Case: " in out.getvalue() and "members.TOTPDevice: " in out.getvalue()
    assert f"stored file {Attachment.objects.get(case=case).storage_name} still needs" in out.getvalue()

    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("rotate_keys", "--check", stdout=out)
    assert "Nothing needs an older key" in out.getvalue()
    assert "The other 1 key(s) in COCDESK_FIELD_KEYS may be removed" in out.getvalue()


@pytest.mark.django_db
def test_a_rerun_after_a_crash_continues_and_skips_what_is_done(settings, monkeypatch):
    for _ in range(3):
        case_factory()
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]
    calls = {"n": 0}
    real = ops_services.rotated_token

    def crashing(token):
        calls["n"] += 1
        if calls["n"] == 40:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the machine going down
        return real(token)

    monkeypatch.setattr(ops_services, "rotated_token", crashing)
    with pytest.raises(KeyboardInterrupt):
        ops_services.keys_rotate(batch=2)
    monkeypatch.setattr(ops_services, "rotated_token", real)
    before = rotation_check()
    assert before.rows_old_key  # half done
    settings.FIELD_KEYS = [new]  # removing the old key now would lose data: refused
    assert "`cocdesk rotate-keys` has not finished" in key_problems()[0].message
    settings.FIELD_KEYS = [new, old]

    report = ops_services.keys_rotate(batch=2)
    assert 0 < sum(report.rows.values()) < sum(before.rows_old_key.values()) + 40
    assert rotation_check().clean
    settings.FIELD_KEYS = [new]
    assert [c.description for c in Case.objects.all()] == [CASE_CANARY] * 3


def test_progress_is_drawn_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar(OutputWrapper(screen))
    bar("cases.Case", 100, 400)
    bar("cases.Case", 400, 400)
    assert "\rcases.Case: [#######-----------------------] 100/400" in screen.getvalue()
    assert screen.getvalue().endswith("400/400\n")


# --- a write racing a rotation batch (the issue: an expunged case's text came back) -------------


def _wait_until_blocked(thread: threading.Thread) -> None:
    """Until `thread` has finished or waits for a row lock (PostgreSQL; SQLite takes its write lock
    at BEGIN, so the other transaction simply waits its turn there)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        while thread.is_alive():
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            thread.join(0.01)


def _race_with_rotation(monkeypatch, *, pause_in: str, when, racer) -> None:
    """Rotate in one thread, pausing in `ops.services.<pause_in>` (which runs while the rotation
    holds its lock) at the first call `when(*args)` accepts; then run `racer` in a second thread
    (its own database connection) until it finished or waits for the lock; then let both finish."""
    locked, go = threading.Event(), threading.Event()
    real = getattr(ops_services, pause_in)
    errors = []

    def pausing(*args, **kwargs):
        if not locked.is_set() and when(*args):
            locked.set()
            go.wait(30)
        return real(*args, **kwargs)

    def run(target, **kwargs):
        try:
            target(**kwargs)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    monkeypatch.setattr(ops_services, pause_in, pausing)
    rotation = threading.Thread(target=run, args=(ops_services.keys_rotate,), kwargs={"batch": 50})
    rotation.start()
    assert locked.wait(30)
    other = threading.Thread(target=run, args=(racer,))
    other.start()
    _wait_until_blocked(other)
    go.set()
    rotation.join(60)
    other.join(60)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_an_expunge_during_a_rotation_batch_is_not_overwritten(settings, monkeypatch):
    case = case_factory()
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]

    def is_the_description(token):  # the case's batch is read; its ciphertext is about to be written
        return Fernet(old.encode()).decrypt(token.encode()) == CASE_CANARY.encode()

    _race_with_rotation(
        monkeypatch, pause_in="rotated_token", when=is_the_description, racer=lambda: case_expunge(case=case)
    )

    settings.FIELD_KEYS = [new]
    after = Case.objects.get(pk=case.pk)
    assert after.expunged_at is not None
    assert after.description == ""  # the old text never comes back
    assert not TimelineEntry.objects.filter(case=case).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM cases_case WHERE id = %s", [case.pk])
        raw = cursor.fetchone()[0]
    with pytest.raises(InvalidToken):  # and it is not hiding under the old key either
        Fernet(old.encode()).decrypt(raw.encode())


@pytest.mark.django_db(transaction=True)
def test_an_expunged_case_file_is_not_written_back_by_a_rotation(settings, monkeypatch):
    case = case_factory()
    name = attachment_add(case=case, name="photo.txt", data=FILE_CANARY, source="committee").storage_name
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]

    _race_with_rotation(
        monkeypatch,
        pause_in="_put_in_place",  # read, re-encrypted, about to be renamed over the old file
        when=lambda temporary, path: path == default_storage.path(name),
        racer=lambda: case_expunge(case=case),
    )
    assert Case.objects.get(pk=case.pk).expunged_at is not None
    assert not default_storage.exists(name)  # deleted after the expunge, never re-created
