from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from cocdesk.demo import demo_cases_seed, demo_committee_seed
from cocdesk.devmail import dev_mail_enabled, dev_mail_folder


class Command(BaseCommand):
    help = (
        "Seed a demo committee (idempotent) and print how to log in, last. Development mode only. "
        "Addresses use COCDESK_BASE_URL (`make run` derives it from HOST and PORT)."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Refused: demo accounts have a published password; use `cocdesk add-member`.")
        logins = demo_committee_seed()
        if demo_cases_seed():
            self.stdout.write("Seeded three sample cases.")
        base = settings.BASE_URL
        if dev_mail_enabled():
            folder = dev_mail_folder()
            self.stdout.write(f"Mail is not sent in development: each email is written to {folder}/")
            self.stdout.write(f"  Read it at {base}{reverse('dev_mail')} once logged in.")
        # The login details come last: nothing printed after them (make run serves quietly).
        self.stdout.write("")
        self.stdout.write(f"Demo committee ready. Log in at {base}{reverse('login')} with:")
        for login in logins:
            self.stdout.write(f"  {login.name} ({login.role})")
            self.stdout.write(f"    email:    {login.email}")
            self.stdout.write(f"    password: {login.password}")
            self.stdout.write(f"    TOTP key: {login.totp_secret}  (add it to an authenticator app)")
        self.stdout.write("No authenticator app at hand? Get the current 6-digit code with:")
        self.stdout.write(f"  .venv/bin/cocdesk totp {logins[0].email}")
