"""`cocdesk rotate-keys [--check]` (D12; docs/operating.md, "Rotating the field key")."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cocdesk.errors import Refused
from cocdesk.ops.selectors import rotation_check
from cocdesk.ops.services import keys_rotate

SHOWN = 20  # names listed before "and N more"


class ProgressBar:
    """One line redrawn in place on a terminal; elsewhere (cron, a log) one line per finished part."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.current = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.tty:
            filled = self.WIDTH * done // total if total else self.WIDTH
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r{what}: [{bar}] {done}/{total}", ending="")
            self.stream.flush()
            if done >= total:
                self.stream.write("")
        elif done >= total:
            self.stream.write(f"{what}: {done}/{total}")


def _listed(names: list[str]) -> list[str]:
    return names[:SHOWN]


def _more(names: list[str]) -> str:
    return f"  … and {len(names) - SHOWN} more" if len(names) > SHOWN else ""


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value and stored file (evidence, kept emails, TOTP secrets) with "
        "the newest key in COCDESK_FIELD_KEYS. Safe to run again after a crash. With --check, change "
        "nothing and exit 1 if anything still needs an older key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="prove that nothing needs a key other than the newest (run it before removing one)",
        )
        parser.add_argument("--batch", type=int, default=200, help="rows locked and rewritten at a time")

    def handle(self, *args, check: bool = False, batch: int = 200, **options):
        if check:
            return self._check()
        try:
            report = keys_rotate(batch=max(1, batch), progress=ProgressBar(self.stderr))
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for label, rows in report.rows.items():
            if rows:
                self.stdout.write(f"{label}: {rows} rows re-encrypted")
        self.stdout.write(f"stored files: {report.files} re-encrypted")
        if not report.complete:
            for name in _listed(report.unreadable):
                self.stdout.write(f"  no configured key opens: {name}")
            if _more(report.unreadable):
                self.stdout.write(_more(report.unreadable))
            raise CommandError(
                f"{len(report.unreadable)} encrypted values or files could not be opened with any key in "
                "COCDESK_FIELD_KEYS and were left as they are (listed above). Keep the old keys until "
                "this is understood."
            )
        self.stdout.write(
            "done: everything is encrypted with the newest key. Run `cocdesk rotate-keys --check`, "
            "then remove the old key from COCDESK_FIELD_KEYS and restart."
        )

    def _check(self) -> None:
        result = rotation_check()
        for label, count in result.rows_old_key.items():
            self.stdout.write(f"{label}: {count} rows still need an older key")
        for label, pks in result.rows_unreadable.items():
            shown = ", ".join(_listed(pks)) + (f" and {len(pks) - SHOWN} more" if len(pks) > SHOWN else "")
            self.stdout.write(f"{label}: no configured key opens rows {shown}")
        for names, line in (
            (result.files_old_key, "stored file {} still needs an older key"),
            (result.files_unreadable, "stored file {}: no configured key opens it"),
            (result.files_missing, "note: stored file {} is referred to but missing"),
            (result.stray_unreadable, "note: stored file {} (referred to by no record) opens with no key"),
        ):
            for name in _listed(names):
                self.stdout.write(line.format(name))
            if _more(names):
                self.stdout.write(_more(names))
        checked = f"{result.rows_checked} rows and {result.files_checked} stored files checked"
        if not result.clean:
            raise CommandError(
                f"Something still needs a key other than the newest ({checked}; listed above). "
                "Keep every key in COCDESK_FIELD_KEYS, run `cocdesk rotate-keys`, and check again."
            )
        others = len(settings.FIELD_KEYS) - 1
        self.stdout.write(
            f"Nothing needs an older key: {checked}, all encrypted with the newest key."
            + (f" The other {others} key(s) in COCDESK_FIELD_KEYS may be removed." if others else "")
        )
