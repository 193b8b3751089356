"""`cocdesk ingest-email [FILE …]` (D11): store RFC 5322 messages, print their case references.

Meant to be a mail server's delivery command (e.g. Postfix `pipe`, or `|cocdesk ingest-email` in an
alias). When the database is unavailable the raw message is kept in the encrypted spool (`cocdesk
tick` stores it later, once) and the command exits 0: the message is received. Exit 75 (EX_TEMPFAIL)
only when a message could be stored nowhere, so the server keeps it and retries.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, SystemCheckError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from cocdesk.errors import database_unavailable
from cocdesk.intake.mail.storing import EX_NOINPUT, EX_TEMPFAIL, email_ingest, storage_failure_text
from cocdesk.intake.spool import spool_write


class Command(BaseCommand):
    help = (
        "Store emails (files, or standard input when none is given) as cases or replies on their "
        "cases; print one case reference per message. During a database outage messages wait in the "
        "spool (exit 0); exit 75 only if a message could be stored nowhere."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="RFC 5322 message files")

    def check(self, *args, **kwargs):
        checks_or_tempfail(self, super().check, *args, **kwargs)

    def handle(self, *args, files: list[str], **options):
        failed = unreadable = False
        for source in files or ["-"]:
            try:
                raw = sys.stdin.buffer.read() if source == "-" else _read(source)
            except OSError as exc:
                self.stderr.write(
                    _("cocdesk ingest-email: cannot read %(file)s (%(error)s).")
                    % {"file": source, "error": exc.strerror or type(exc).__name__}
                )
                unreadable = True
                continue
            try:
                result = email_ingest(raw=raw)
            except DatabaseError as exc:
                if not database_unavailable(exc) or not self._spooled(raw):
                    self._not_stored(exc)
                    failed = True
                continue
            except Exception as exc:  # anything at all: the mail server must keep the message
                self._not_stored(exc)
                failed = True
                continue
            self.stdout.write(result.reference or _("(stored; its case no longer exists)"))
        if failed:
            sys.exit(EX_TEMPFAIL)
        if unreadable:
            sys.exit(EX_NOINPUT)

    def _spooled(self, raw: bytes) -> bool:
        """Keep the message for later; True once it is safely in the spool."""
        try:
            spool_write(kind="email", data=raw)
        except OSError as exc:
            self.stderr.write(
                _("cocdesk ingest-email: the spool cannot be written either (%(error)s).")
                % {"error": exc.strerror or type(exc).__name__}
            )
            return False
        self.stdout.write(_("(received: the database is unavailable; it will be filed by the next tick)"))
        return True

    def _not_stored(self, exc: BaseException) -> None:
        self.stderr.write(
            _(
                "cocdesk ingest-email: the message could not be stored (%(error)s). "
                "Nothing was kept; exit 75 so the mail server delivers it again later."
            )
            % {"error": storage_failure_text(exc)}
        )


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def checks_or_tempfail(command: BaseCommand, check, *args, **kwargs) -> None:
    """Run the system checks; when one fails (a key that does not match this database), exit 75 so
    the mail server keeps the message. Storing it anyway could do harm: under a wrong
    COCDESK_INDEX_KEY a redelivered message is not recognised and opens a second case."""
    try:
        check(*args, **kwargs)
    except SystemCheckError as exc:
        command.stderr.write(str(exc))
        name = command.__module__.rsplit(".", 1)[-1].replace("_", "-")
        command.stderr.write(
            _(
                "cocdesk %(command)s: nothing was stored because of the problem above. Exit 75: "
                "the messages wait (at the mail server, or unseen in the mailbox) until it is fixed."
            )
            % {"command": name}
        )
        sys.exit(EX_TEMPFAIL)
