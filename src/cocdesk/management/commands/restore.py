from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cocdesk.audit.selectors import audit_verify
from cocdesk.backup import RestoreRefused, backup_restore


class Command(BaseCommand):
    help = "Restore an encrypted backup into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            counts = backup_restore(Path(file).read_bytes())
        except (RestoreRefused, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {sum(counts.values())} rows")
        check = audit_verify()
        state = (
            "intact"
            if check.intact
            else f"BROKEN at entry #{check.broken_seq} (is COCDESK_AUDIT_KEY the same?)"
        )
        self.stdout.write(f"audit log {state}: {check.entries} entries")
