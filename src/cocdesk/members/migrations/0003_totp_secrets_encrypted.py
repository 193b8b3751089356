"""TOTP secrets encrypted at rest (issue 16): members.TOTPDevice replaces django-otp's otp_totp.

Devices enrolled before are moved here (their secrets encrypted with the newest field key) and the
old table is emptied, so no plain secret stays behind. Members logged in at the time log in again.
"""

from datetime import UTC

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

import cocdesk.crypto
import cocdesk.members.models

LEGACY_TABLE = "otp_totp_totpdevice"  # django-otp's TOTPDevice, secrets as plain hex
FIELDS = ["user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t"]
FIELDS += ["throttling_failure_timestamp", "throttling_failure_count", "created_at", "last_used_at"]
MOMENTS = {"throttling_failure_timestamp", "created_at", "last_used_at"}


def _legacy_table_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return LEGACY_TABLE in connection.introspection.table_names(cursor)


def _moment(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def move_legacy_devices(apps, schema_editor):
    """Copy django-otp's devices into members.TOTPDevice (the key encrypted on save), then delete them."""
    connection = schema_editor.connection
    if not _legacy_table_exists(connection):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        names = ", ".join(quote(f) for f in FIELDS)
        cursor.execute(f"SELECT {names} FROM {quote(LEGACY_TABLE)}")  # noqa: S608 - constant names
        rows = [dict(zip(FIELDS, row, strict=True)) for row in cursor.fetchall()]
    Device = apps.get_model("members", "TOTPDevice")
    for row in rows:
        for name in MOMENTS:
            row[name] = _moment(row[name])
        row["confirmed"] = bool(row["confirmed"])
        device = Device.objects.using(connection.alias).create(**row)
        # created_at is stamped on insert (auto_now_add): keep the original enrolment time
        Device.objects.using(connection.alias).filter(pk=device.pk).update(created_at=row["created_at"])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(LEGACY_TABLE)}")  # noqa: S608 - a constant name


def move_back(apps, schema_editor):
    """Migrating back: the devices return to django-otp's table (plain again), if it is there."""
    connection = schema_editor.connection
    if not _legacy_table_exists(connection):
        return
    quote = connection.ops.quote_name
    Device = apps.get_model("members", "TOTPDevice")
    columns, slots = ", ".join(quote(f) for f in FIELDS), ", ".join(["%s"] * len(FIELDS))
    insert = f"INSERT INTO {quote(LEGACY_TABLE)} ({columns}) VALUES ({slots})"  # noqa: S608 - constants
    with connection.cursor() as cursor:
        for device in Device.objects.using(connection.alias).all():
            cursor.execute(insert, [getattr(device, f) for f in FIELDS])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_offboarding"),
    ]

    operations = [
        migrations.CreateModel(
            name="TOTPDevice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(help_text="The human-readable name of this device.", max_length=64),
                ),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                (
                    "throttling_failure_timestamp",
                    models.DateTimeField(
                        blank=True,
                        default=None,
                        help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.",
                        null=True,
                    ),
                ),
                (
                    "throttling_failure_count",
                    models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts."),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True,
                        help_text="The date and time when this device was initially created in the system.",
                        null=True,
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, help_text="The most recent date and time this device was used.", null=True
                    ),
                ),
                ("key", cocdesk.crypto.EncryptedTextField(default=cocdesk.members.models.totp_key_default)),
                ("step", models.PositiveSmallIntegerField(default=30)),
                ("t0", models.BigIntegerField(default=0)),
                ("digits", models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ("tolerance", models.PositiveSmallIntegerField(default=1)),
                ("drift", models.SmallIntegerField(default=0)),
                ("last_t", models.BigIntegerField(default=-1)),
                (
                    "user",
                    models.ForeignKey(
                        help_text="The user that this device belongs to.",
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "TOTP device",
                "abstract": False,
            },
        ),
        migrations.RunPython(move_legacy_devices, move_back),
    ]
