from django.core.management.base import BaseCommand, CommandError

from cocdesk.audit.selectors import audit_verify


class Command(BaseCommand):
    help = "Audit log tools: `cocdesk audit verify` proves the chain intact or names the first broken entry."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every entry of the hash chain")

    def handle(self, *args, action: str, **options):
        check = audit_verify()
        if not check.intact:
            raise CommandError(
                f"audit log broken at entry #{check.broken_seq}: {check.reason} "
                f"({check.entries} entries before it hold)"
            )
        self.stdout.write(f"audit log intact: {check.entries} entries")
        self.stdout.write(f"head hash: {check.head_hash} (keep a copy elsewhere to detect truncation)")
