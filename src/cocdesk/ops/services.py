"""Writes for the operator: recording key fingerprints, and key rotation (`cocdesk rotate-keys`)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Value

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.crypto import encrypted_fields, key_fingerprint, rotate_token, token_key_position
from cocdesk.errors import Refused
from cocdesk.ops.models import KeyFingerprint, KeyName
from cocdesk.ops.selectors import (
    ROTATING_PREFIX,
    ciphertexts,
    configured_keys,
    encrypted_models,
    fingerprints_table_ready,
    key_problems,
    read_stored,
    storage_walk,
    stored_file_names,
)

log = logging.getLogger("cocdesk.ops")

# --- fingerprints --------------------------------------------------------------------------------


@transaction.atomic
def key_fingerprints_record() -> list[str]:
    """Record the fingerprint of each key this database has none for yet; return the settings
    recorded. Called after every `migrate` and at a production start.

    Nothing is recorded while any configured key does not match (`key_problems`): a setting that
    is wrong casts doubt on the others. Otherwise the audit and index keys are recorded when none
    is; the field keys (all of them) when none is. A new field key joins later through
    `keys_rotate`. Side effects: KeyFingerprint rows.
    """
    if not fingerprints_table_ready() or key_problems():
        return []
    recorded = set(KeyFingerprint.objects.values_list("name", flat=True))
    added = []
    for name, keys in configured_keys().items():
        if name in recorded:
            continue
        KeyFingerprint.objects.bulk_create(
            [KeyFingerprint(name=name, fingerprint=key_fingerprint(k)) for k in keys], ignore_conflicts=True
        )
        added.append(name)
    return added


def _field_keys_refused() -> None:
    for problem in key_problems():
        if problem.setting == KeyName.FIELD:
            raise Refused(f"{problem.message} {problem.hint}", code="keys")


# --- rotation ------------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]


@dataclass
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)  # model label -> rows with a value re-encrypted
    files: int = 0
    unreadable: list[str] = field(default_factory=list)  # what no configured key opens

    @property
    def complete(self) -> bool:
        return not self.unreadable


def keys_rotate(*, batch: int = 200, progress: Progress | None = None) -> RotationReport:
    """Re-encrypt, with the newest key in COCDESK_FIELD_KEYS, every encrypted value and every stored
    file that an older key wrote (the TOTP secrets are encrypted values too).

    Rows go model by model in batches of `batch`; each batch is locked (SELECT … FOR UPDATE) while
    its ciphertexts are rotated and written back, so a change made meanwhile (an expunge) either
    waits for the batch or is seen by it, never overwritten. Files are rotated under a lock on the
    row that refers to them, and replaced atomically. A value or file the newest key already wrote
    is skipped, so a rerun after a crash continues where it stopped. `progress(what, done, total)`
    is called after each batch.

    Side effects: ciphertexts in rows and files; the newest key's fingerprint recorded first; at the
    end the older field keys' fingerprints retired (nothing needs them: what none of the keys
    opens is reported, it does not need the old key either); audit `keys.rotated`, or
    `keys.rotated_partly` when something could not be opened.
    Raises Refused when the configured field keys do not match this database.
    """
    _field_keys_refused()
    _newest_key_record()
    report = RotationReport()
    for model in encrypted_models():
        report.rows[model._meta.label] = _rotate_rows(model, batch=batch, report=report, progress=progress)
    report.files = _rotate_files(batch=batch, report=report, progress=progress)
    with transaction.atomic():
        _older_keys_retire()
        audit_record(actor="system", action="keys.rotated" if report.complete else "keys.rotated_partly")
    return report


def _newest_key_record() -> None:
    newest = key_fingerprint(configured_keys()[KeyName.FIELD][0])
    KeyFingerprint.objects.bulk_create(
        [KeyFingerprint(name=KeyName.FIELD, fingerprint=newest)], ignore_conflicts=True
    )
    KeyFingerprint.objects.filter(name=KeyName.FIELD, fingerprint=newest).update(retired_at=None)


def _older_keys_retire() -> None:
    newest = key_fingerprint(configured_keys()[KeyName.FIELD][0])
    KeyFingerprint.objects.filter(name=KeyName.FIELD, retired_at__isnull=True).exclude(
        fingerprint=newest
    ).update(retired_at=clock.now())


def rotated_token(token: str) -> str | None:
    """The token re-encrypted with the newest key; None if the newest key already wrote it.
    Raises InvalidToken when no configured key opens it."""
    if token_key_position(token) == 0:
        return None
    return rotate_token(token.encode("ascii")).decode("ascii")


def _rotate_rows(model: type[models.Model], *, batch: int, report: RotationReport, progress) -> int:
    names = encrypted_fields(model)
    label = model._meta.label
    total = model._base_manager.count()
    done = changed = 0
    last_pk = None
    while True:
        with transaction.atomic():
            rows = model._base_manager.select_for_update().order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            locked = list(
                ciphertexts(rows, *names).values_list("pk", *(f"cipher_{n}" for n in names))[:batch]
            )
            for pk, *tokens in locked:
                updates = {}
                for name, token in zip(names, tokens, strict=True):
                    if token is None:
                        continue
                    try:
                        new = rotated_token(token)
                    except InvalidToken:
                        report.unreadable.append(f"{label} #{pk} {name}")
                        continue
                    if new is not None:  # written as it is: the ciphertext, not a value to encrypt
                        updates[name] = Value(new, output_field=models.TextField())
                if updates:
                    model._base_manager.filter(pk=pk).update(**updates)
                    changed += 1
        if not locked:
            break
        last_pk = locked[-1][0]
        done += len(locked)
        if progress and done < total:
            progress(label, done, total)
    if progress and done:
        progress(label, done, done)  # rows deleted meanwhile make `total` an overestimate
    return changed


def _rotate_files(*, batch: int, report: RotationReport, progress) -> int:
    """Files a row refers to, each under that row's lock (an expunge deletes the row before the file,
    so a locked row means the file is still wanted); then files no row refers to."""
    referenced = stored_file_names()
    total = len(referenced)
    by_model: dict[tuple[type[models.Model], str], list] = {}
    for model, column, pk in referenced.values():
        by_model.setdefault((model, column), []).append(pk)
    done = rotated = 0
    for (model, column), pks in by_model.items():
        for start in range(0, len(pks), batch):
            with transaction.atomic():
                rows = model._base_manager.select_for_update().filter(pk__in=pks[start : start + batch])
                for name in rows.values_list(column, flat=True):
                    rotated += _rotate_file(name, report)
            done += len(pks[start : start + batch])
            if progress:
                progress("stored files", done, total)
    strays = [name for name in storage_walk() if name not in referenced]
    for number, name in enumerate(strays, start=1):
        rotated += _rotate_file(name, report, stray=True)
        if progress and (number % batch == 0 or number == len(strays)):
            progress("other stored files", number, len(strays))
    return rotated


def _rotate_file(name: str, report: RotationReport, *, stray: bool = False) -> int:
    name = name if stray else evidence.readable_name(name)  # committed, maybe not moved into place yet
    data = read_stored(name)
    if data is None:
        return 0
    position = token_key_position(data)
    if position == 0:
        return 0
    if position is None:
        if stray:  # not ours to judge (a file being written, or one no record needs)
            log.warning("stored file %s is not readable with any configured key; left as it is", name)
        else:
            report.unreadable.append(f"file {name}")
        return 0
    return 1 if storage_replace(name, rotate_token(data)) else 0


def storage_replace(name: str, data: bytes) -> bool:
    """Replace a stored file's content; False if it is gone (a deleted file is never re-created).
    On a local file system the new content is written beside it and renamed over it, so a crash
    leaves the old or the new file, never half of one."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # a storage without local paths: delete, then save the same name
        if not default_storage.exists(name):
            return False
        default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            raise OSError(f"storage saved {name} as {saved}") from None
        return True
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return False
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=ROTATING_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        _put_in_place(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def _put_in_place(temporary: str, path: str) -> None:
    # Atomic on POSIX. Referenced files are replaced under their row's lock, so an expunge cannot
    # delete the file between the check above and this rename (and see it re-created).
    os.replace(temporary, path)
