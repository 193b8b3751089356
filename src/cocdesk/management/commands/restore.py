from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cocdesk.audit.selectors import audit_verify
from cocdesk.backup import backup_restore
from cocdesk.errors import Refused


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into an empty, migrated database. Run it again with the same "
        "backup if it was interrupted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--accept-broken-audit-log",
            action="store_true",
            help="restore even though the backup's audit log does not verify (the keys match)",
        )

    def handle(self, *args, file: str, accept_broken_audit_log: bool = False, **options):
        try:
            restored = backup_restore(
                Path(file).read_bytes(), accept_broken_audit_log=accept_broken_audit_log
            )
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from exc
        if restored.finished_earlier_run:
            self.stdout.write(f"finished the earlier restore of this backup: {restored.files} files in place")
        else:
            self.stdout.write(f"restored {sum(restored.rows.values())} rows and {restored.files} files")
        check = audit_verify()
        state = "intact" if check.intact else f"BROKEN at entry #{check.broken_seq} ({check.reason})"
        self.stdout.write(f"audit log {state}: {check.entries} entries")
