"""Every example under "Potential consequences" in the CHAOSS plan (editable afterwards)."""

from django.db import migrations

CATALOG = [
    "Nothing, if the behavior was determined to not be a Code of Conduct violation",
    "A verbal or emailed warning",
    "Avoid any interaction with, and physical proximity to, another person for the remainder of the event",
    "Not directly message an online community member",
    "Not join specific chat channels",
    "Not attend community events",
    "Refusal of alcoholic beverage purchases at events",
    "Ending a talk that violates the Code of Conduct early",
    "Not publishing the video or slides of a talk that violated the Code of Conduct",
    "Not allowing a speaker who violated the Code of Conduct to give (further) talks at the event now or in the future",
    "Immediately ending any event volunteer responsibilities and privileges",
    "Not volunteering for future events (indefinitely or for a certain time period)",
    "Refunding any travel grants and similar received (if a condition of the grant when awarded)",
    "Immediately leaving the event and not returning",
    "Banning from future events (indefinitely or for a certain time period)",
    "Removal from community online chat servers or mailing lists (indefinitely or for a certain time period)",
    "Removal of admin or moderator rights to community infrastructure",
    "Removal from community leadership",
    "Removal from membership",
    "Publishing an account of the incident and calling for resignation from responsibilities",
]


def seed(apps, schema_editor):
    Item = apps.get_model("cases", "ConsequenceCatalogItem")
    for position, label in enumerate(CATALOG, start=1):
        Item.objects.get_or_create(label=label, defaults={"position": position})


def unseed(apps, schema_editor):
    apps.get_model("cases", "ConsequenceCatalogItem").objects.filter(label__in=CATALOG).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_deliberation")]
    operations = [migrations.RunPython(seed, unseed)]
