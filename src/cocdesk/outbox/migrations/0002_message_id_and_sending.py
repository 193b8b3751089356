from email.utils import make_msgid

from django.db import migrations, models


def give_queued_mail_a_message_id(apps, schema_editor):
    """Mail still waiting keeps one Message-ID from now on, whichever attempt delivers it."""
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    for message in OutboxMessage.objects.filter(message_id="").exclude(status="sent").only("pk"):
        message.message_id = make_msgid(idstring="cocdesk")
        message.save(update_fields=["message_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="message_id",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sending", "Being sent"),
                    ("sent", "Sent"),
                    ("dead", "Could not be sent"),
                    ("withheld", "Withheld: the recipient may no longer see the case"),
                ],
                db_index=True,
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(give_queued_mail_a_message_id, migrations.RunPython.noop),
    ]
