from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cocdesk.demo import demo_cases_seed, demo_committee_seed


class Command(BaseCommand):
    help = "Seed a demo committee (idempotent) and print how to log in. Development mode only."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Refused: demo accounts have a published password; use `cocdesk add-member`.")
        logins = demo_committee_seed()
        if demo_cases_seed():
            self.stdout.write("Seeded three sample cases.")
        self.stdout.write("")
        self.stdout.write("Demo committee ready. Log in at http://127.0.0.1:8000/login/ with:")
        for login in logins:
            self.stdout.write(f"  {login.name} ({login.role})")
            self.stdout.write(f"    email:    {login.email}")
            self.stdout.write(f"    password: {login.password}")
            self.stdout.write(f"    TOTP key: {login.totp_secret}  (add it to an authenticator app)")
        self.stdout.write("No authenticator app at hand? Get the current 6-digit code with:")
        self.stdout.write(f"  .venv/bin/cocdesk totp {logins[0].email}")
        self.stdout.write("")
