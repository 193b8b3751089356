# An account with admin rights (staff or superuser) is the site operator's and holds no other role
# (D1, issue 16). Existing accounts that had both lose the admin rights, not their committee role:
# the committee's work goes on, and the operator makes a separate account with `createsuperuser`.

from django.db import migrations, models


def admin_rights_removed_from_other_roles(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    both = Member.objects.exclude(role="operator").filter(
        models.Q(is_staff=True) | models.Q(is_superuser=True)
    )
    ids = list(both.values_list("pk", flat=True))
    if ids:
        both.update(is_staff=False, is_superuser=False)
        print(  # shown once, by `cocdesk migrate`
            f"\n  Admin rights removed from account(s) {', '.join(map(str, ids))}: an account with a role "
            "on the committee is not the site operator's. Make an operator account with `cocdesk createsuperuser`."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("members", "0004_member_identities"),
    ]

    operations = [
        migrations.RunPython(admin_rights_removed_from_other_roles, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("role", "operator"),
                    models.Q(("is_staff", False), ("is_superuser", False)),
                    _connector="OR",
                ),
                name="admin_rights_only_for_the_site_operator",
                violation_error_message="Only a site operator's account has admin rights, and it holds no other role.",
            ),
        ),
    ]
