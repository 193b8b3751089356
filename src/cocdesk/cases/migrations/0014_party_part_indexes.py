"""Blind indexes of the parts of each party's identifiers (crypto.part_indexes), for the transparency
report's identifier check (D6). Existing parties get theirs from their decrypted identifiers."""

from django.db import migrations, models

from cocdesk.crypto import part_indexes


def forwards(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    for party in Party.objects.only("pk", "name", "email", "handle").iterator(chunk_size=500):
        Party.objects.filter(pk=party.pk).update(
            part_indexes=part_indexes(name=party.name, email=party.email, handle=party.handle)
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_possibly_involved")]

    operations = [
        migrations.AddField(
            model_name="party",
            name="part_indexes",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
