from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cocdesk.audit.selectors import anchors_read, audit_verify
from cocdesk.audit.services import audit_anchor_append
from cocdesk.errors import Refused


class Command(BaseCommand):
    help = (
        "Audit log tools: `cocdesk audit verify` proves the chain intact or names the first broken entry; "
        "with --anchor FILE it also checks the chain against the signed heads in FILE and appends the "
        "current one."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every entry of the hash chain")
        verify.add_argument(
            "--anchor",
            metavar="FILE",
            help="a file of signed heads kept away from the database (written by --anchor, or tick's "
            "audit-anchors.log): every head in it must still be in the chain; when it is, the current "
            "head is appended to FILE (created if missing)",
        )

    def handle(self, *args, action: str, anchor: str | None = None, **options):
        path = Path(anchor) if anchor else None
        try:
            anchors = anchors_read(path=path) if path else []
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        check = audit_verify(anchors=anchors)
        if not check.intact:
            raise CommandError(
                f"audit log broken at entry #{check.broken_seq}: {check.reason} "
                f"({check.entries} entries before it hold)"
            )
        self.stdout.write(f"audit log intact: {check.entries} entries")
        if anchors:
            newest = max(anchors, key=lambda a: (a.seq, a.at))
            self.stdout.write(
                f"it holds every head anchored in {path}: {len(anchors)}, the newest of {newest.when} "
                f"(entry #{newest.seq})"
            )
        if path is None:
            self.stdout.write(
                f"head hash: {check.head_hash} (--anchor FILE keeps it, signed, to detect truncation)"
            )
            return
        try:
            head = audit_anchor_append(path=path, seq=check.entries, hash=check.head_hash)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"anchored entry #{head.seq} in {path}: keep a copy of it away from this server")
