"""`cocdesk fetch-mail` (D11): store the unseen messages of the IMAP mailbox in `IMAP_URL`.

IMAP_URL is `imap://USER:PASSWORD@HOST[:PORT]/MAILBOX` (STARTTLS when the server offers it) or
`imaps://…` (TLS); the mailbox defaults to INBOX. Percent-encode special characters in the user
and password.

A message is marked done only after it is stored: it is fetched with BODY.PEEK[] (which leaves it
unseen) and flagged \\Seen once its transaction has committed. Marking it seen, rather than
deleting or moving it, keeps the mailbox as a second copy of everything received; expire it with
the mail server's own tools. A crash between fetch and store leaves the message unseen, so the next
run fetches it again, and its Message-ID makes sure that never gives a second case. Use a mailbox
that only cocdesk reads: a message someone opens in a mail client first is seen, and is skipped.

Exit 75 (EX_TEMPFAIL) when the mailbox cannot be read or a message cannot be stored; run it again.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cocdesk.intake.mail.imap import StoreFailed, imap_target, mailbox_drain
from cocdesk.intake.mail.storing import EX_TEMPFAIL, IngestResult, storage_failure_text
from cocdesk.intake.management.commands.ingest_email import checks_or_tempfail

log = logging.getLogger("cocdesk.intake")


class Command(BaseCommand):
    help = (
        "Store the unseen messages of the IMAP mailbox in IMAP_URL as cases (or replies on their "
        "cases), marking each seen only after it is stored; print one case reference per message."
    )

    def check(self, *args, **kwargs):
        checks_or_tempfail(self, super().check, *args, **kwargs)  # a wrong key: messages stay unseen

    def handle(self, *args, **options):
        if not settings.IMAP_URL:
            raise CommandError(
                _("IMAP_URL is not set: give the mailbox to read, e.g. imaps://user:pw@host/INBOX.")
            )
        try:
            target = imap_target(settings.IMAP_URL)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        def printed(result: IngestResult) -> None:
            self.stdout.write(result.reference or _("(stored; its case no longer exists)"))

        try:
            results = mailbox_drain(target=target, on_stored=printed)
        except StoreFailed as exc:
            self.stderr.write(
                _(
                    "cocdesk fetch-mail: a message could not be stored (%(error)s). It stays unseen "
                    "in the mailbox and will be fetched again by the next run."
                )
                % {"error": exc}
            )
            sys.exit(EX_TEMPFAIL)
        except Exception as exc:  # IMAP, network, TLS: no traceback, and the next run retries
            self.stderr.write(
                _("cocdesk fetch-mail: could not read the mailbox (%(error)s). Try again later.")
                % {"error": storage_failure_text(exc)}
            )
            sys.exit(EX_TEMPFAIL)
        log.info("fetch-mail stored %s messages", len(results))
