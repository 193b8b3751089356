"""Parties' blind indexes are made again with the one normal form of `cocdesk.identity` (accents
folded, name words in any order, `+tags` and Gmail dots dropped), so earlier reports match later
ones, and members' identities, the same way new ones do."""

from django.db import migrations

from cocdesk.crypto import blind_index


def forwards(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    for party in Party.objects.all().iterator():
        indexes = {
            f"{kind}_index": blind_index(value, kind=kind) if value.strip() else ""
            for kind, value in (("name", party.name), ("email", party.email), ("handle", party.handle))
        }
        Party.objects.filter(pk=party.pk).update(**indexes)


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_case_spool_id")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
