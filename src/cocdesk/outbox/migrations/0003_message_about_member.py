# The member a confidential process is about (removal, off-boarding), so that they never see its mail
# listed, even as failed mail (issue 16). Messages already queued are given theirs from the dedupe key
# (`<name>:<removal or off-boarding id>:<recipient>`, docs/architecture.md "Mail").

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SOURCES = {
    "removal_opened": "Removal",
    "offboarding_started": "Offboarding",
    "offboarding_notice": "Offboarding",
}


def about_members_filled_in(apps, schema_editor):
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    for kind, model_name in SOURCES.items():
        model = apps.get_model("members", model_name)
        for message in OutboxMessage.objects.filter(kind=kind, about_member__isnull=True).exclude(
            dedupe_key=None
        ):
            parts = (message.dedupe_key or "").split(":")
            if len(parts) >= 2 and parts[1].isdigit():
                member_id = model.objects.filter(pk=int(parts[1])).values_list("member_id", flat=True).first()
                if member_id:
                    OutboxMessage.objects.filter(pk=message.pk).update(about_member_id=member_id)


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_message_id_and_sending"),
        ("members", "0002_offboarding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="about_member",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(about_members_filled_in, migrations.RunPython.noop),
    ]
