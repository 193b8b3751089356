"""Who is a party is not readable in the database (issue 16): the member a party was matched to,
and why a member has a conflict (declared, a party, excluded by the reporter, possibly involved),
become encrypted. Existing rows are converted one by one (each its own ciphertext)."""

from django.db import migrations

import cocdesk.crypto


def encrypt_links(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    ConflictDeclaration = apps.get_model("cases", "ConflictDeclaration")
    for pk, member_id in Party.objects.filter(member__isnull=False).values_list("pk", "member_id"):
        Party.objects.filter(pk=pk).update(member_ref=str(member_id))
    for pk, source in ConflictDeclaration.objects.values_list("pk", "source"):
        ConflictDeclaration.objects.filter(pk=pk).update(source_secret=source)


def decrypt_links(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    ConflictDeclaration = apps.get_model("cases", "ConflictDeclaration")
    for party in Party.objects.only("pk", "member_ref").iterator():
        if party.member_ref.isdigit():
            Party.objects.filter(pk=party.pk).update(member_id=int(party.member_ref))
    for declaration in ConflictDeclaration.objects.only("pk", "source_secret").iterator():
        ConflictDeclaration.objects.filter(pk=declaration.pk).update(source=declaration.source_secret)


SOURCES = [
    ("declared", "Declared by the member"),
    ("party", "The member is a party to the case"),
    ("excluded", "The reporter asked that this member not see the report"),
    ("possible", "The member may be involved: held until another member clears them"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_reply_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="party",
            name="member_ref",
            field=cocdesk.crypto.EncryptedTextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="conflictdeclaration",
            name="source_secret",
            field=cocdesk.crypto.EncryptedTextField(choices=SOURCES, default="declared"),
        ),
        migrations.RunPython(encrypt_links, decrypt_links),
        migrations.RemoveField(model_name="party", name="member"),
        migrations.RemoveField(model_name="conflictdeclaration", name="source"),
        migrations.RenameField(model_name="conflictdeclaration", old_name="source_secret", new_name="source"),
    ]
