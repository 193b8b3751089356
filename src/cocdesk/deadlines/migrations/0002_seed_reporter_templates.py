"""Seed the four reporter templates (editable afterwards on the templates page)."""

from django.db import migrations

# A frozen copy of cocdesk/deadlines/defaults.py as it was when this migration was written.
TEMPLATES = {
    "acknowledgement": (
        "We have your report",
        "Hello,\n\nThank you for telling us. I am {member}, a member of the Code of Conduct committee, and I have read your report {reference}.\n\nOnly committee members without a conflict of interest can see it, and we will not share who you are without your permission.\n\n[Anything you would like to add, or a question you need answered.]\n\nWe aim to tell you what we have decided within a week. If something else happens, or you remember more, you can reply to this message at any time.\n\nIf you are in danger right now, please contact local emergency services or venue security.\n\nWith care,\n{member}, for the Code of Conduct committee",
    ),
    "update": (
        "An update on your report",
        "Hello,\n\nThank you for your patience. This is an update on your report {reference}.\n\n[What has happened since we last wrote. Share only what you can without naming anyone else.]\n\nWe will write again [when]. You can reply to this message at any time.\n\n{member}, for the Code of Conduct committee",
    ),
    "decision": (
        "What the committee decided",
        "Hello,\n\nThank you again for telling us about what happened. The committee has finished looking at your report {reference}, and we want you to know where things stand.\n\n[What the committee decided, and the steps that have been taken. Describe only what has been agreed; do not name anyone else.]\n\nIf you have questions, or if anything else happens, please reply to this message. You do not have to go through this alone.\n\n{member}, for the Code of Conduct committee",
    ),
    "delay": (
        "Your report is taking us longer",
        "Hello,\n\nThank you for telling us about what happened. Your report {reference} has not been forgotten: looking into it carefully is taking us longer than a week.\n\nWe will write to you again when we can tell you more. If anything else happens in the meantime, or you would like to add something, you can reply to this message at any time.\n\nIf you are in danger right now, please contact local emergency services or venue security.\n\nThe Code of Conduct committee",
    ),
}


def seed(apps, schema_editor):
    Template = apps.get_model("deadlines", "ReporterTemplate")
    for kind, (subject, body) in TEMPLATES.items():
        Template.objects.get_or_create(kind=kind, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
