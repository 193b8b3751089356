from django.core.management.base import BaseCommand

from cocdesk import clock
from cocdesk.outbox.services import outbox_send


class Command(BaseCommand):
    help = "Evaluate every deadline rule and send the mail that is due. Idempotent; run it from cron."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="evaluate as if it were this ISO 8601 time (tests, catching up)")

    def handle(self, *args, now: str | None = None, **options):
        if now:
            clock.set_now(clock.parse(now))
        try:
            counts = outbox_send()
            self.stdout.write("outbox: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        finally:
            if now:
                clock.set_now(None)
