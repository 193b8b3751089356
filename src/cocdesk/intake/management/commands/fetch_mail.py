"""`cocdesk fetch-mail` (DESIGN D11): store the unseen messages of the IMAP mailbox in `IMAP_URL`.

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

import imaplib
import logging
import ssl
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cocdesk.intake import email_intake
from cocdesk.intake.management.commands.ingest_email import (
    EX_TEMPFAIL,
    checks_or_tempfail,
    storage_failure_text,
)

log = logging.getLogger("cocdesk.intake")

IMAP_TIMEOUT = 60  # seconds; a stalled server must not hang a timer-driven run forever


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    user: str
    password: str
    mailbox: str
    tls: bool


def imap_target(url: str) -> ImapTarget:
    """Read IMAP_URL. Raises ValueError with a message that never repeats the password."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"imap", "imaps"} or not parsed.hostname:
        raise ValueError(_("IMAP_URL must look like imaps://user:password@host/INBOX."))
    try:
        port = parsed.port
    except ValueError as exc:
        raise ValueError(_("IMAP_URL has an invalid port.")) from exc
    tls = parsed.scheme == "imaps"
    return ImapTarget(
        host=parsed.hostname,
        port=port or (993 if tls else 143),
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        mailbox=unquote(parsed.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(target: ImapTarget) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if target.tls:
        return imaplib.IMAP4_SSL(target.host, target.port, ssl_context=context, timeout=IMAP_TIMEOUT)
    client = imaplib.IMAP4(target.host, target.port, timeout=IMAP_TIMEOUT)
    if "STARTTLS" in client.capabilities:  # never send the password in the clear when we need not
        client.starttls(ssl_context=context)
    return client


def _check(response: tuple[str, list], what: str) -> list:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")[:200]
        raise imaplib.IMAP4.error(f"{what}: {status} {detail}".strip())
    return data


def _message_bytes(data: list) -> bytes | None:
    """The literal of a FETCH response: [(b'1 (UID 7 BODY[] {123}', b'...'), b')']."""
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


class StoreFailed(Exception):
    """A fetched message could not be stored; it stays unseen in the mailbox."""


def mailbox_drain(*, target: ImapTarget, on_stored=None) -> list[email_intake.IngestResult]:
    """Store every unseen, undeleted message, then flag it \\Seen. Stops at the first failure."""
    results: list[email_intake.IngestResult] = []
    client = _connect(target)
    try:
        _check(client.login(target.user, target.password), "LOGIN")
        _check(client.select(_quoted(target.mailbox)), "SELECT")
        uids = _check(client.uid("SEARCH", None, "UNSEEN", "UNDELETED"), "SEARCH")
        for uid in (uids[0] or b"").split():
            data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
            raw = _message_bytes(data)
            if raw is None:  # expunged meanwhile
                continue
            try:
                result = email_intake.email_ingest(raw=raw)  # commits before returning
            except Exception as exc:
                raise StoreFailed(storage_failure_text(exc)) from exc
            _check(client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
            results.append(result)
            if on_stored is not None:
                on_stored(result)
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            log.debug("IMAP logout failed")
    return results


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

        def printed(result: email_intake.IngestResult) -> None:
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
