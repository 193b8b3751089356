from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cocdesk.members.models import ASSIGNABLE_ROLES
from cocdesk.members.services import member_add

# The site operator's account is made with `cocdesk createsuperuser` (D1).
ROLE_OPTIONS = {r.value.replace("_", "-"): r.value for r in ASSIGNABLE_ROLES}


class Command(BaseCommand):
    help = "Add a committee member (or another role) and print their one-time enrolment link."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", required=True)
        parser.add_argument("--chair", action="store_true", help="the member chairs the committee")
        parser.add_argument("--role", choices=sorted(ROLE_OPTIONS), default="member")

    def handle(self, *args, email: str, name: str, chair: bool, role: str, **options):
        try:
            member, link = member_add(
                email=email, name=name, role="chair" if chair else ROLE_OPTIONS[role], actor="system"
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # a refusal, not a field's error
                raise CommandError(" ".join(exc.messages)) from exc
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"Added {member.name} <{member.email}> as {member.get_role_display()}.")
        self.stdout.write(f"Enrolment link (works once, for 7 days): {link}")
