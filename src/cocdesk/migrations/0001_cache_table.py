"""The database cache's table (rate limits, login lockouts and sessions when REDIS_URL is not set).

Created by `migrate` whatever the settings say, so that a new install, a restore and a switch away
from Redis all find it. What earlier versions kept in the database is forgotten: sessions in
django_session (their keys in plain text; everyone logs in again once) and django-axes' records of
failed logins (client addresses, user agents, form data; lockouts now live in the cache).
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "cocdesk_cache"  # settings.CACHE_TABLE


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


def forget_database_sessions(apps, schema_editor):
    apps.get_model("sessions", "Session").objects.all().delete()


def forget_database_lockouts(apps, schema_editor):
    for model in ("AccessAttempt", "AccessAttemptExpiration", "AccessFailureLog", "AccessLog"):
        apps.get_model("axes", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sessions", "0001_initial"), ("axes", "0010_accessattemptexpiration")]

    operations = [
        migrations.RunPython(create_cache_table, drop_cache_table),
        migrations.RunPython(forget_database_sessions, migrations.RunPython.noop),
        migrations.RunPython(forget_database_lockouts, migrations.RunPython.noop),
    ]
