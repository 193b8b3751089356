from django.core.management.base import BaseCommand

from cocdesk.outbox.services import outbox_send


class Command(BaseCommand):
    help = "Send the outgoing mail that is due (also done by `cocdesk tick`)."

    def handle(self, *args, **options):
        counts = outbox_send()
        self.stdout.write("outbox: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
