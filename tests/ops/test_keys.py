"""Keys checked at start (issue 11): each key's fingerprint is recorded in the database, and a start
or `check --deploy` with a key that does not match names it."""

import hashlib
import hmac
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Case
from cocdesk.crypto import key_fingerprint
from cocdesk.intake.models import InboundEmail
from cocdesk.ops.models import KeyFingerprint, KeyName
from cocdesk.ops.selectors import key_problems
from cocdesk.ops.services import key_fingerprints_record
from tests.factories import case_factory
from tests.intake.test_email_ingest import make_email

pytestmark = pytest.mark.django_db


def _check() -> str:
    """`cocdesk check` as an operator runs it; the problems it reports, or ""."""
    try:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    except SystemCheckError as exc:
        return str(exc)
    return ""


def test_migrate_records_a_fingerprint_of_each_key_that_reveals_nothing_about_it(settings):
    recorded = {(f.name, f.fingerprint) for f in KeyFingerprint.objects.all()}
    assert recorded == {
        (KeyName.AUDIT, key_fingerprint(settings.AUDIT_KEY)),
        (KeyName.INDEX, key_fingerprint(settings.INDEX_KEY)),
        *((KeyName.FIELD, key_fingerprint(k)) for k in settings.FIELD_KEYS),
    }
    key = settings.INDEX_KEY
    expected = hmac.new(key.encode(), b"cocdesk-fingerprint", hashlib.sha256).hexdigest()
    assert key_fingerprint(key) == expected
    assert key not in expected and hashlib.sha256(key.encode()).hexdigest() != expected
    assert _check() == ""


@pytest.mark.parametrize("setting", ["AUDIT_KEY", "INDEX_KEY"])
def test_check_names_an_hmac_key_that_does_not_match(settings, setting):
    setattr(settings, setting, "a-key-this-database-never-saw-" + "0" * 32)
    problems = _check()
    assert f"COCDESK_{setting} does not match the key this database was written with" in problems
    assert [p.setting for p in key_problems()] == [f"COCDESK_{setting}"]


def test_check_names_field_keys_that_do_not_match(settings):
    settings.FIELD_KEYS = [Fernet.generate_key().decode()]
    assert "COCDESK_FIELD_KEYS does not match the key this database was written with" in _check()


def test_a_new_field_key_may_come_first_while_the_old_one_follows(settings):
    settings.FIELD_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_KEYS]
    assert _check() == ""


def test_rotate_keys_records_the_new_key_and_retires_the_old(settings):
    old = settings.FIELD_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]
    call_command("rotate_keys", stdout=io.StringIO())
    settings.FIELD_KEYS = [new]
    assert _check() == ""
    settings.FIELD_KEYS = [old]
    assert "already replaced" in _check()


def test_a_database_from_before_fingerprints_is_compared_with_its_data(settings):
    case_factory()  # parties (blind indexes), encrypted fields
    audit_record(actor="system", action="test.entry")
    KeyFingerprint.objects.all().delete()
    right = (settings.AUDIT_KEY, settings.INDEX_KEY, settings.FIELD_KEYS)

    settings.AUDIT_KEY, settings.INDEX_KEY = "wrong-audit-" + "1" * 32, "wrong-index-" + "2" * 32
    assert {p.setting for p in key_problems()} == {KeyName.AUDIT, KeyName.INDEX}
    settings.FIELD_KEYS = [Fernet.generate_key().decode()]  # (the index key is checked by decrypting)
    assert {p.setting for p in key_problems()} == {KeyName.AUDIT, KeyName.FIELD}
    assert key_fingerprints_record() == []  # a key the data contradicts is never recorded

    settings.AUDIT_KEY, settings.INDEX_KEY, settings.FIELD_KEYS = right
    assert key_problems() == []
    assert set(key_fingerprints_record()) == {KeyName.AUDIT, KeyName.INDEX, KeyName.FIELD}


def test_a_wrong_index_key_cannot_turn_a_redelivered_email_into_a_second_case(tmp_path, settings):
    """The issue's attack: the redelivered message's Message-ID hashes differently under another
    COCDESK_INDEX_KEY, so it was not recognised and opened a second case. Intake now refuses to
    run, with exit 75 so the mail server keeps the message until the key is put right."""
    raw = make_email()
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    call_command("ingest_email", str(path), stdout=io.StringIO())
    assert Case.objects.count() == 1

    settings.INDEX_KEY = "the-wrong-index-key-" + "3" * 32
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email", str(path), skip_checks=False, stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 75
    assert "COCDESK_INDEX_KEY does not match the key this database was written with" in err.getvalue()
    assert Case.objects.count() == 1 and InboundEmail.objects.count() == 1
