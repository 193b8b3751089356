"""Publications the chair recorded by hand (deadlines.TransparencyPublication, a stand-in) become
published TransparencyReport rows without text: one definition of "published"."""

from datetime import date

from django.db import migrations


def forwards(apps, schema_editor):
    Publication = apps.get_model("deadlines", "TransparencyPublication")
    Report = apps.get_model("transparency", "TransparencyReport")
    for publication in Publication.objects.all():
        if Report.objects.filter(year=publication.year).exists():
            continue  # a report of that year is in cocdesk already; it is the one that counts
        Report.objects.create(
            year=publication.year,
            period_start=date(publication.year, 1, 1),
            period_end=date(publication.year, 12, 31),
            status="published",
            created_at=publication.published_at,
            created_by_id=publication.recorded_by_id,
            published_at=publication.published_at,
            published_by_id=publication.recorded_by_id,
        )


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial"), ("deadlines", "0002_seed_reporter_templates")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
