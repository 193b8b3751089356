from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0002_seed_reporter_templates"),
        ("transparency", "0002_publications_from_deadlines"),
    ]

    operations = [migrations.DeleteModel(name="TransparencyPublication")]
