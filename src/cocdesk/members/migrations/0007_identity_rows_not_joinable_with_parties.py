"""A member's identity rows are keyed apart from party indexes (issue 16): recompute the keys."""

from django.db import migrations

from cocdesk.crypto import identity_row_key


def rekey(apps, schema_editor):
    MemberIdentity = apps.get_model("members", "MemberIdentity")
    for row in MemberIdentity.objects.only("pk", "kind", "value").iterator():
        MemberIdentity.objects.filter(pk=row.pk).update(index=identity_row_key(row.value, kind=row.kind))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_chair_elections_and_offboarding_steps"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
