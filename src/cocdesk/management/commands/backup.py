from pathlib import Path

from django.core.management.base import BaseCommand

from cocdesk.audit.services import audit_record
from cocdesk.backup import backup_create


class Command(BaseCommand):
    help = "Write an encrypted backup of every row and stored file to FILE (restore with `cocdesk restore`)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        data, counts = backup_create()
        path = Path(file)
        path.write_bytes(data)
        path.chmod(0o600)
        audit_record(actor="system", action="backup.created")
        self.stdout.write(
            f"backup written to {path}: {sum(counts.values())} rows, {len(data)} bytes (encrypted)"
        )
