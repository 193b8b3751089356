"""Importing the intake spool (D2): reports kept while the database was unavailable become cases,
each exactly once. `cocdesk tick` runs it first; the web process runs it on its next good request
(`intake.middleware.SpoolImportMiddleware`).

Once is guaranteed by the stores, not by who imports: a web submission's spool id is unique on its
case, an email is idempotent by Message-ID and content. So two processes importing at once, or an
importer killed between storing and deleting the file, store nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.db import DatabaseError

from cocdesk.errors import database_unavailable
from cocdesk.intake import spool
from cocdesk.intake.mail.storing import email_ingest
from cocdesk.intake.services import WebSubmission, web_report_store

log = logging.getLogger("cocdesk.intake")


@dataclass(frozen=True)
class Imported:
    lines: list[str]
    imported: int
    kept: int


def spool_import(*, limit: int | None = None) -> Imported:
    """Store what waits in the spool, oldest first; each file is deleted once its report is stored.

    Side effects: cases (or replies) as their channel stores them; spool files deleted. A file that
    cannot be read or stored for another reason than the database stays, and is named in the
    lines. Raises when the database is unavailable (nothing more can be imported now)."""
    lines, imported, kept = [], 0, 0
    for entry in spool.spool_pending()[:limit]:
        try:
            data = spool.spool_read(entry)
            if entry.kind == "web":
                reference = web_report_store(submission=WebSubmission.from_bytes(data)).case.reference
            else:
                reference = email_ingest(raw=data).reference
        except (DatabaseError, OSError, InvalidToken, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, DatabaseError) and database_unavailable(exc):
                raise
            log.error("spooled %s report %s could not be imported (%s)", entry.kind, entry.spool_id, exc)
            lines.append(f"spool  {entry.spool_id}  could not be imported ({type(exc).__name__}); kept")
            kept += 1
            continue
        spool.spool_done(entry)
        imported += 1
        lines.append(f"spooled {entry.kind} report  {reference or '(its case no longer exists)'}  imported")
    return Imported(lines=lines, imported=imported, kept=kept)
