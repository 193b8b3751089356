"""The intake spool (D2): where a report waits when the database cannot take it.

One file per submission in `<data dir>/spool/`, encrypted with the field keys (Fernet), written
atomically (a temporary file, flushed to disk, then renamed into place), so a reader sees a whole
file or none. Nothing here touches the database: this is what still works when it is down.
Importing what waits here is `intake.recovery.spool_import` (`cocdesk tick`, and the web process
on its next good request).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from cocdesk.crypto import decrypt_bytes, encrypt_bytes

KINDS = ("web", "email")  # a public web report, a raw email for `ingest-email`


@dataclass(frozen=True)
class SpoolEntry:
    spool_id: str
    kind: str
    path: Path


def spool_dir() -> Path:
    return Path(settings.SPOOL_DIR)


def spool_id_new() -> str:
    return secrets.token_hex(16)


def spool_write(*, kind: str, data: bytes, spool_id: str | None = None) -> str:
    """Keep `data` encrypted in the spool; returns its id. Raises OSError if it cannot be written
    (then nothing is left behind)."""
    if kind not in KINDS:
        raise ValueError(f"unknown spool kind {kind!r}")
    spool_id = spool_id or spool_id_new()
    folder = spool_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = folder / f"{spool_id}.{kind}"
    temporary = folder / f".{spool_id}.{kind}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(encrypt_bytes(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _sync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return spool_id


def _sync_dir(folder: Path) -> None:
    """The rename itself survives a crash only once the directory is on disk too."""
    with contextlib.suppress(OSError):  # not every file system lets a directory be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def spool_pending() -> list[SpoolEntry]:
    """What waits to be imported, oldest first."""
    folder = spool_dir()
    try:
        found = [e for e in os.scandir(folder) if not e.name.startswith(".") and e.is_file()]
    except FileNotFoundError:
        return []
    entries = []
    for entry in sorted(found, key=lambda e: (e.stat().st_mtime, e.name)):
        spool_id, _dot, kind = entry.name.partition(".")
        if kind in KINDS:
            entries.append(SpoolEntry(spool_id=spool_id, kind=kind, path=Path(entry.path)))
    return entries


def spool_waiting() -> bool:
    """Cheap: whether anything waits (one directory read, no decryption)."""
    try:
        with os.scandir(spool_dir()) as entries:
            return any(not e.name.startswith(".") for e in entries)
    except FileNotFoundError:
        return False


def spool_read(entry: SpoolEntry) -> bytes:
    return decrypt_bytes(entry.path.read_bytes())


def spool_done(entry: SpoolEntry) -> None:
    """Imported (by us or by another process): the file goes."""
    with contextlib.suppress(FileNotFoundError):
        entry.path.unlink()
