from django.core.management.base import BaseCommand

from cocdesk.crypto_rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key in COCDESK_FIELD_KEYS."

    def handle(self, *args, **options):
        counts = rotate_all()
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows} rows re-encrypted")
        self.stdout.write(
            f"done: {sum(counts.values())} rows. The old key can be removed from COCDESK_FIELD_KEYS."
        )
