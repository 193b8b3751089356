from django.core.management.base import BaseCommand

from cocdesk import clock
from cocdesk.cache import cache_expired_clear
from cocdesk.deadlines.services import audit_anchor_daily, tick_run
from cocdesk.intake.recovery import spool_import
from cocdesk.outbox.services import outbox_send, outbox_summary


class Command(BaseCommand):
    help = (
        "Import reports kept in the spool during a database outage, evaluate every deadline rule once, "
        "take what action is due, anchor the audit log's head (once a day), send the mail that is due "
        "and clear expired entries from the database cache. "
        "Idempotent and safe to run concurrently; run it from cron every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="evaluate as if it were this ISO 8601 time (tests, catching up)")

    def handle(self, *args, now: str | None = None, **options):
        if now:
            clock.set_now(clock.parse(now))
        try:
            spooled = spool_import()  # reports received during a database outage, first
            for line in spooled.lines:
                self.stdout.write(line)
            report = tick_run()
            for line in report.lines:
                self.stdout.write(line)
            counts = outbox_send()
            done = ", ".join(f"{n} {what}" for what, n in sorted(report.counts.items())) or "nothing due"
            self.stdout.write(f"tick {report.now.isoformat(timespec='seconds')}: {done}")
            anchored = audit_anchor_daily()
            if anchored:  # once a day: the audit log's signed head, for the operator to ship (D9)
                self.stdout.write(anchored)
            self.stdout.write(outbox_summary(counts))
            cleared = cache_expired_clear()
            if cleared is not None:  # the database cache: sessions, rate limits and lockouts that ended
                self.stdout.write(f"cache: {cleared} expired entries removed")
        finally:
            if now:
                clock.set_now(None)
