"""Encrypted backups that restore into an empty database (D11).

A backup holds every row that matters (decrypted by the ORM, then the whole archive encrypted again
with the newest field key) and every stored file (already encrypted, copied as they are). Restoring
needs the same COCDESK_FIELD_KEYS (to open the archive and the files) and COCDESK_AUDIT_KEY (for the
audit chain to verify); keep those keys apart from the backups (docs/operating.md).
"""

from __future__ import annotations

import base64
import gzip
import json

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, transaction

from cocdesk import clock
from cocdesk.cases import evidence
from cocdesk.cases.models import Attachment, Case
from cocdesk.crypto import decrypt_bytes, encrypt_bytes
from cocdesk.intake.models import InboundEmail
from cocdesk.members.models import Member

FORMAT = "cocdesk-backup-1"
# Rebuilt by `migrate`, or not worth keeping: content types and permissions, sessions (nobody stays
# logged in across a restore), django-axes lockouts (client addresses), the admin's own log.
SKIP = {"contenttypes", "sessions", "axes", "admin"}
SKIP_MODELS = {"auth.permission"}


class RestoreRefused(Exception):
    """The database is not empty, or the file is not a cocdesk backup this server's keys can open."""


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


def backup_restore(data: bytes) -> dict[str, int]:
    """Restore an archive into a database that has been migrated but holds no accounts or cases."""
    if Member.objects.exists() or Case.objects.exists():
        raise RestoreRefused("The database is not empty: restore only into a freshly migrated database.")
    try:
        archive = json.loads(gzip.decompress(decrypt_bytes(data)))
    except Exception as exc:
        raise RestoreRefused("This file is not a cocdesk backup that these keys can open.") from exc
    if archive.get("format") != FORMAT:
        raise RestoreRefused("This file is not a cocdesk backup.")
    counts: dict[str, int] = {}
    models = _models()
    with transaction.atomic():
        for model in reversed(models):  # rows that migrations seeded (catalog, templates) make way
            model._base_manager.all().delete()
        for restored in serializers.deserialize("python", archive["rows"], handle_forward_references=True):
            restored.save()
            counts[restored.object._meta.label] = counts.get(restored.object._meta.label, 0) + 1
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    for name, content in archive["files"].items():
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(base64.b64decode(content)))
    return counts
