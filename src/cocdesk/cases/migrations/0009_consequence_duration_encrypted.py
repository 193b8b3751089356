"""A consequence's duration is encrypted at rest like the rest of the case (issue 16).

The column becomes an encrypted text field; durations stored before are encrypted in place (a value
that already is a token of a configured field key is left alone, so running it twice is harmless).
"""

from django.db import migrations

import cocdesk.crypto

TABLE = "cases_proposalconsequence"


def _rows(connection):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')}, {quote('duration')} FROM {quote(TABLE)}")  # noqa: S608
        return cursor.fetchall()


def _write(connection, values):
    quote = connection.ops.quote_name
    update = f"UPDATE {quote(TABLE)} SET {quote('duration')} = %s WHERE {quote('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for pk, value in values:
            cursor.execute(update, [value, pk])


def encrypt_durations(apps, schema_editor):
    connection = schema_editor.connection
    plain = [
        (pk, v or "") for pk, v in _rows(connection) if not v or cocdesk.crypto.token_key_position(v) is None
    ]
    _write(connection, [(pk, cocdesk.crypto.encrypt(value)) for pk, value in plain])


def decrypt_durations(apps, schema_editor):
    connection = schema_editor.connection
    tokens = [
        (pk, v) for pk, v in _rows(connection) if v and cocdesk.crypto.token_key_position(v) is not None
    ]
    _write(connection, [(pk, cocdesk.crypto.decrypt(token)[:200]) for pk, token in tokens])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_attachment_cleaned"),
    ]

    operations = [
        migrations.AlterField(
            model_name="proposalconsequence",
            name="duration",
            field=cocdesk.crypto.EncryptedTextField(blank=True, default=""),
        ),
        migrations.RunPython(encrypt_durations, decrypt_durations),
    ]
