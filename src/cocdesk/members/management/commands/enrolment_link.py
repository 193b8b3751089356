from django.core.management.base import BaseCommand, CommandError

from cocdesk.members.selectors import member_by_email
from cocdesk.members.services import enrolment_link_issue


class Command(BaseCommand):
    help = "Issue a new one-time enrolment link (new password and authenticator), e.g. after a lost phone."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        member = member_by_email(email=email)
        if member is None or not member.is_active:
            raise CommandError(f"No active account for {email}.")
        self.stdout.write(f"Enrolment link (works once, for 7 days): {enrolment_link_issue(member=member)}")
