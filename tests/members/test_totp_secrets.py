"""TOTP secrets at rest (issue 16): "a database copy is an account" no more.

The secret is encrypted with the field keys; django-otp's throttling and replay protection still
hold, and `rotate-keys` re-encrypts it like every other encrypted value.
"""

import base64
import io
import re
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cocdesk.members.models import TOTPDevice
from cocdesk.members.selectors import totp_current_code, totp_secret_base32
from cocdesk.members.services import member_add, totp_verify
from tests.factories import device_of

pytestmark = pytest.mark.django_db

HEX_OR_BASE32_SECRET = re.compile(r"\b([0-9a-f]{32,}|[A-Z2-7]{26,})\b")


def _raw_key(device) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_the_database_holds_no_totp_secret_a_copy_could_use(alice):
    device = device_of(alice)
    raw = _raw_key(device)
    secret_hex, secret_b32 = device.key, totp_secret_base32(device)
    assert secret_hex not in raw and secret_b32 not in raw and secret_b32.lower() not in raw.lower()
    assert raw.startswith("gAAAA")  # a Fernet token
    assert not HEX_OR_BASE32_SECRET.search(raw.split("gAAAA", 1)[1].replace("-", "").replace("_", ""))


def test_a_code_verifies_once_and_a_replayed_code_is_refused(alice):
    code = totp_current_code(device_of(alice))
    assert totp_verify(member=alice, code=code) is not None
    assert totp_verify(member=alice, code=code) is None  # the same code again: replay


def test_wrong_codes_are_throttled(alice):
    right = totp_current_code(device_of(alice))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert totp_verify(member=alice, code=wrong) is None
    assert device_of(alice).throttling_failure_count == 1
    assert totp_verify(member=alice, code=right) is None  # too soon after a failure


def test_rotation_re_encrypts_the_totp_secret(settings, alice):
    before = _raw_key(device_of(alice))
    old, new = settings.FIELD_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new, old]
    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())
    after = _raw_key(device_of(alice))
    assert after != before
    assert Fernet(new.encode()).decrypt(after.encode()).decode() == device_of(alice).key
    settings.FIELD_KEYS = [new]
    assert totp_verify(member=alice, code=totp_current_code(device_of(alice))) is not None


def test_enrolment_still_offers_the_qr_code_and_the_typed_key():
    member, link = member_add(email="nia@example.org", name="Nia New")
    page = Client().get(link.split("127.0.0.1:8000", 1)[1])
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    assert "<svg" in page.text and secret.rstrip("=") in page.text
    assert device.config_url.startswith("otpauth://totp/cocdesk%3Ania%40example.org?secret=" + secret)
    assert "issuer=cocdesk" in device.config_url and "digits=6" in device.config_url


LEGACY_TABLE = """
CREATE TABLE otp_totp_totpdevice (
    id integer PRIMARY KEY, name varchar(64) NOT NULL, confirmed boolean NOT NULL,
    key varchar(80) NOT NULL, step smallint NOT NULL, t0 bigint NOT NULL, digits smallint NOT NULL,
    tolerance smallint NOT NULL, drift smallint NOT NULL, last_t bigint NOT NULL,
    user_id bigint NOT NULL, throttling_failure_timestamp timestamp with time zone NULL,
    throttling_failure_count integer NOT NULL, created_at timestamp with time zone NULL,
    last_used_at timestamp with time zone NULL
)
"""


def test_devices_enrolled_before_are_moved_and_their_plain_secrets_deleted(alice):
    TOTPDevice.objects.filter(user=alice).delete()
    secret = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex
    with connection.cursor() as cursor:
        cursor.execute(LEGACY_TABLE)
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (7, 'phone', %s, %s, 30, 0, 6, 1, 0, 41, %s, NULL, 2, "
            "'2026-01-02 03:04:05+00:00', NULL)",
            [True, secret, alice.pk],
        )
    migration = __import__(
        "cocdesk.members.migrations.0003_totp_secrets_encrypted", fromlist=["move_legacy_devices"]
    )
    migration.move_legacy_devices(apps, SimpleNamespace(connection=connection))  # it uses only that

    device = TOTPDevice.objects.get(user=alice)
    assert (device.key, device.name, device.confirmed, device.last_t) == (secret, "phone", True, 41)
    assert device.throttling_failure_count == 2 and device.created_at.year == 2026
    assert secret not in _raw_key(device)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0  # no plain secret left behind
