"""Development mail (D12): in development every email is written to a file under the data
directory (Django's file backend, `EMAIL_FILE_PATH`); this reads them back for the demo's
`/dev/mail/` page. Never in production, which refuses the file backend (`ops.checks`)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Django's file backend writes each message followed by a line of 79 dashes.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class DevMail:
    to: str
    subject: str
    date: str
    body: str
    file: str


def dev_mail_enabled() -> bool:
    """The page exists only in development, with mail going to files."""
    return not settings.PRODUCTION and settings.EMAIL_BACKEND == FILE_BACKEND


def dev_mail_folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def dev_mail_read(*, limit: int = 200) -> list[DevMail]:
    """The newest `limit` emails in the mail folder, newest first."""
    if not dev_mail_enabled() or not dev_mail_folder().is_dir():
        return []
    found: list[DevMail] = []
    files = sorted(dev_mail_folder().glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    for path in files:
        chunks = [c for c in path.read_bytes().split(SEPARATOR) if c.strip()]
        for chunk in reversed(chunks):
            found.append(_parse(chunk, path.name))
            if len(found) >= limit:
                return found
    return found


def _parse(raw: bytes, file: str) -> DevMail:
    message = email.message_from_bytes(raw.lstrip(b"\n"), policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    return DevMail(
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        body=body,
        file=file,
    )
