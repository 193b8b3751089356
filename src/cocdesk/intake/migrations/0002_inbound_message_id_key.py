from django.db import migrations, models
from django.db.models import F


def keys_stored_before_content_hashes(apps, schema_editor):
    """Rows stored before: their key was the hashed Message-ID alone (or the hashed bytes, which no
    Message-ID will ever match). Copying it keeps threading and idempotence working for them."""
    apps.get_model("intake", "InboundEmail").objects.update(message_id_key=F("message_key"))


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundemail",
            name="message_id_key",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
        migrations.RunPython(keys_stored_before_content_hashes, migrations.RunPython.noop),
    ]
