"""Blind indexes for finding a case by part of a name or handle (crypto.search_indexes, issue 17).
Existing parties get theirs from their decrypted identifiers."""

from django.db import migrations, models

from cocdesk.crypto import search_indexes


def forwards(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    for party in Party.objects.only("pk", "name", "handle").iterator(chunk_size=500):
        Party.objects.filter(pk=party.pk).update(
            search_indexes=search_indexes(name=party.name, handle=party.handle)
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_party_member_and_conflict_source_encrypted")]

    operations = [
        migrations.AddField(
            model_name="party",
            name="search_indexes",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
