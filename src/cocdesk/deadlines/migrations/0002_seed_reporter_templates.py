"""Formerly seeded the reporter templates. They are no longer copied into the database: the
defaults live in one place, cocdesk/deadlines/defaults.py, and a row exists only once a member
edits a template. Databases seeded earlier keep their rows, which read the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = []
