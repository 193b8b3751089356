import getpass

from django.core.management.base import BaseCommand, CommandError

from cocdesk.errors import Refused
from cocdesk.members.models import Role
from cocdesk.members.selectors import member_by_email
from cocdesk.members.services import member_role_set

ROLE_OPTIONS = {r.value.replace("_", "-"): r.value for r in Role}


def command_line_actor() -> str:
    """How the audit log names a change made here: the command line, and the system user who ran it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "command-line"
    return f"command-line:{user}"[:64]


class Command(BaseCommand):
    help = (
        "Give an account another role (audited): member, chair, community-manager or event-responder. "
        "A committee member moves between member and chair only (leaving the committee is a "
        "resignation or a removal vote); site operators are made with createsuperuser."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=sorted(ROLE_OPTIONS))

    def handle(self, *args, email: str, role: str, **options):
        member = member_by_email(email=email)
        if member is None:
            raise CommandError(f"No account has the address {email}.")
        before = member.role
        try:
            member = member_role_set(member=member, role=ROLE_OPTIONS[role], actor=command_line_actor())
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        state = "already" if member.role == before else "now"
        self.stdout.write(f"{member.name} <{member.email}> is {state} {member.get_role_display()}.")
