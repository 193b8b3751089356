"""Encrypted backups that restore into an empty database (D11).

A backup holds every row that matters (decrypted by the ORM, then the whole archive encrypted again
with the newest field key) and every stored file (already encrypted, copied as they are). Restoring
needs the same COCDESK_FIELD_KEYS (to open the archive and the files), COCDESK_AUDIT_KEY (for the
audit chain to verify) and COCDESK_INDEX_KEY (receipt codes, blind indexes, email threading); keep
those keys apart from the backups (docs/operating.md).

Restoring checks everything it can before it changes anything: the archive opens, every file opens,
the backup's key fingerprints match the configured keys and its audit chain verifies. Files are
written to a staging area first; the rows are committed together with a RestoreInProgress row; then
the files move into place. A restore that crashed while moving them is finished by running it again
with the same backup.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, transaction

from cocdesk import clock
from cocdesk.audit.selectors import audit_verify
from cocdesk.cases import evidence
from cocdesk.cases.models import Attachment, Case
from cocdesk.crypto import decrypt_bytes, encrypt_bytes, key_fingerprint, token_key_position
from cocdesk.errors import Refused
from cocdesk.intake.models import InboundEmail
from cocdesk.members.models import Member
from cocdesk.ops.models import KeyFingerprint, KeyName, RestoreInProgress
from cocdesk.ops.selectors import key_problems, restore_in_progress
from cocdesk.ops.services import key_fingerprints_record

FORMAT = "cocdesk-backup-1"
# Rebuilt by `migrate`, or not worth keeping: content types and permissions, sessions (nobody stays
# logged in across a restore), django-axes lockouts (client addresses), the admin's own log.
SKIP = {"contenttypes", "sessions", "axes", "admin"}
SKIP_MODELS = {"auth.permission", "ops.restoreinprogress"}
STAGING = "restore-staging"


@dataclass(frozen=True)
class Restored:
    rows: dict[str, int]  # model label -> rows restored (empty when an earlier run had restored them)
    files: int
    finished_earlier_run: bool = False


def _models() -> list:
    ordered = serializers.sort_dependencies([(config, None) for config in apps.get_app_configs()])
    return [
        m
        for m in ordered
        if m._meta.app_label not in SKIP and m._meta.label_lower not in SKIP_MODELS and not m._meta.proxy
    ]


def _stored_files() -> list[str]:
    names = list(Attachment.objects.values_list("storage_name", flat=True))
    names += [n for n in InboundEmail.objects.values_list("raw_storage_name", flat=True) if n]
    return [n for n in names if evidence.stored_exists(n)]  # in place, or committed and not moved yet


def backup_create() -> tuple[bytes, dict[str, int]]:
    """The encrypted archive and a count of rows per model (for the operator's log)."""
    counts, rows = {}, []
    with transaction.atomic():  # one consistent snapshot (repeatable read on PostgreSQL)
        if connection.vendor == "postgresql":
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for model in _models():
            objects = list(model._base_manager.order_by("pk"))
            counts[model._meta.label] = len(objects)
            rows += serializers.serialize(
                "python", objects, use_natural_foreign_keys=True, use_natural_primary_keys=False
            )
        files = {}
        for name in _stored_files():
            with evidence.open_stored(name) as handle:
                files[name] = base64.b64encode(handle.read()).decode()
    archive = {"format": FORMAT, "created_at": clock.now().isoformat(), "rows": rows, "files": files}
    payload = gzip.compress(json.dumps(archive, default=str).encode())
    return encrypt_bytes(payload), counts


def backup_restore(data: bytes, *, accept_broken_audit_log: bool = False) -> Restored:
    """Restore an archive into a database that has been migrated but holds no accounts or cases, or
    finish a restore of the same archive that crashed while moving its files into place.

    Raises Refused, having changed nothing, when the archive or a file cannot be opened with
    COCDESK_FIELD_KEYS, when the backup was written with another COCDESK_AUDIT_KEY or
    COCDESK_INDEX_KEY, when its audit log does not verify (unless `accept_broken_audit_log`), or
    when the database is not empty. Side effects: every row replaced; files staged under
    `restore-staging/`, then moved into place; field key fingerprints set to the configured keys.
    """
    archive = _archive_open(data)
    files = {name: base64.b64decode(content) for name, content in archive["files"].items()}
    _files_refused_unless_readable(files)
    digest = hashlib.sha256(data).hexdigest()
    pending = restore_in_progress(archive_sha256=digest)
    if pending is not None:  # the rows are in already: a previous run crashed while moving files
        _files_into_place(pending, files)
        return Restored({}, len(pending.files), finished_earlier_run=True)
    if Member.objects.exists() or Case.objects.exists():
        raise Refused(
            "The database is not empty: restore only into a freshly migrated database.", code="restore"
        )
    staging = f"{STAGING}/{digest[:16]}"
    for name, content in files.items():
        _save_exactly(f"{staging}/{name}", content)
    try:
        counts, pending = _rows_restore(archive, digest, staging, list(files), accept_broken_audit_log)
    except BaseException:
        for name in files:
            default_storage.delete(f"{staging}/{name}")
        raise
    _files_into_place(pending, files)
    return Restored(counts, len(files))


def _archive_open(data: bytes) -> dict:
    try:
        payload = decrypt_bytes(data)
    except InvalidToken as exc:
        raise Refused(
            "This backup cannot be opened with the keys in COCDESK_FIELD_KEYS: it was written with "
            "another key (or it is not a cocdesk backup). Set the field key of the server that made it.",
            code="restore",
        ) from exc
    try:
        archive = json.loads(gzip.decompress(payload))
    except (OSError, ValueError) as exc:
        raise Refused("This file is not a cocdesk backup.", code="restore") from exc
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise Refused("This file is not a cocdesk backup.", code="restore")
    return archive


def _files_refused_unless_readable(files: dict[str, bytes]) -> None:
    unreadable = [name for name, content in files.items() if token_key_position(content) is None]
    if unreadable:
        count = len(unreadable)
        raise Refused(
            f"{count} stored file{'s' if count != 1 else ''} in this backup cannot be opened with "
            "COCDESK_FIELD_KEYS: they were written with an older key. Add that key after the newest "
            "(COCDESK_FIELD_KEYS=NEW,OLD), restore, then run `cocdesk rotate-keys`.",
            code="restore",
        )


@transaction.atomic
def _rows_restore(
    archive: dict, digest: str, staging: str, names: list[str], accept_broken_audit_log: bool
) -> tuple[dict[str, int], RestoreInProgress]:
    counts: dict[str, int] = {}
    models = _models()
    for model in reversed(models):  # rows that migrations seeded (catalog, templates) make way
        model._base_manager.all().delete()
    for restored in serializers.deserialize(
        "python", _legacy_rows_translated(archive["rows"]), handle_forward_references=True
    ):
        restored.save()
        counts[restored.object._meta.label] = counts.get(restored.object._meta.label, 0) + 1
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    # Every row was encrypted again with the newest key as it was saved, and every file opens with
    # a configured key: the configured field keys are this database's now.
    KeyFingerprint.objects.filter(name=KeyName.FIELD).delete()
    KeyFingerprint.objects.bulk_create(
        [KeyFingerprint(name=KeyName.FIELD, fingerprint=key_fingerprint(k)) for k in settings.FIELD_KEYS],
        ignore_conflicts=True,
    )
    problems = [p for p in key_problems() if p.setting != KeyName.FIELD]
    if problems:
        raise Refused(
            " ".join(
                f"{p.setting} does not match the key this backup was written with. {p.hint}" for p in problems
            ),
            code="restore",
        )
    check = audit_verify()
    if not check.intact and not accept_broken_audit_log:
        raise Refused(
            f"The audit log in this backup does not verify (entry #{check.broken_seq}: {check.reason}). "
            "COCDESK_AUDIT_KEY matches, so the backup itself was changed or damaged. Restore another "
            "backup, or restore this one with --accept-broken-audit-log and keep this message.",
            code="restore",
        )
    key_fingerprints_record()  # a backup from before fingerprints: the keys that opened it
    pending = RestoreInProgress.objects.create(archive_sha256=digest, staging=staging, files=names)
    return counts, pending


def _legacy_rows_translated(rows: list[dict]) -> list[dict]:
    """Backups from before members.TOTPDevice hold django-otp's devices: they become ours (the
    secret is encrypted as the row is saved; a new id)."""
    translated = []
    for row in rows:
        if row.get("model") == "otp_totp.totpdevice":
            row = {"model": "members.totpdevice", "pk": None, "fields": dict(row["fields"])}
        translated.append(row)
    return translated


def _files_into_place(pending: RestoreInProgress, files: dict[str, bytes]) -> None:
    """Move each staged file to its own name; then the restore is finished. Safe to repeat: a file
    whose staged copy is gone was completely written before the copy was deleted."""
    for name in pending.files:
        staged = f"{pending.staging}/{name}"
        if default_storage.exists(staged):
            with default_storage.open(staged, "rb") as handle:
                content = handle.read()
        elif default_storage.exists(name):
            continue
        else:
            content = files[name]
        if default_storage.exists(name):
            default_storage.delete(name)
        _save_exactly(name, content)
        default_storage.delete(staged)
    pending.delete()


def _save_exactly(name: str, content: bytes) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        raise OSError(f"the storage saved {name} as {saved}")
