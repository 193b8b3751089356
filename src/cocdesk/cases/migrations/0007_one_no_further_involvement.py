"""One "no further involvement": the contact preference "Please do not contact me" becomes
`wants_updates = False` (the field every rule reads), and the preference itself is left blank."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(preferred_contact="none").update(wants_updates=False, preferred_contact="")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_category")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="case",
            name="preferred_contact",
            field=models.CharField(
                blank=True,
                choices=[("email", "Email"), ("phone", "Phone"), ("other", "Another way I describe")],
                default="",
                max_length=8,
            ),
        ),
    ]
