from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cocdesk.members.selectors import confirmed_devices, member_by_email, totp_current_code


class Command(BaseCommand):
    help = "Development only: print a demo member's current 6-digit login code."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if settings.PRODUCTION:
            raise CommandError("Refused: `cocdesk totp` only works in development mode.")
        member = member_by_email(email=email)
        device = confirmed_devices(member=member).first() if member else None
        if device is None:
            raise CommandError(f"No enrolled account for {email}.")
        self.stdout.write(totp_current_code(device))
