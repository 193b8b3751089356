"""Reads for the operator: do the configured keys match this database, and what still needs an old
field key (`cocdesk rotate-keys --check`)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Cast

from cocdesk.audit.models import AuditEntry
from cocdesk.audit.services import entry_hash
from cocdesk.cases import evidence
from cocdesk.cases.models import Attachment, Party
from cocdesk.crypto import blind_index, encrypted_fields, key_fingerprint, token_key_position
from cocdesk.intake.models import InboundEmail
from cocdesk.ops.models import KeyFingerprint, KeyName, RestoreInProgress

# --- keys against the database ----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyProblem:
    setting: str
    message: str
    hint: str


WRITTEN_WITH = "%s does not match the key this database was written with."
HINTS = {
    KeyName.AUDIT: "Set the audit key this server used before. With another key the audit log cannot "
    "be verified, and every new entry would break the chain.",
    KeyName.INDEX: "Set the index key this server used before. With another key receipt codes stop "
    "working, reported people are not matched, and a redelivered email would open a second case.",
    KeyName.FIELD: "Set the field key this server used before. When rotating, put the new key first "
    "and keep the old one after it (COCDESK_FIELD_KEYS=NEW,OLD) until `cocdesk rotate-keys` has run.",
}


def configured_keys() -> dict[str, list[str]]:
    return {
        KeyName.AUDIT: [settings.AUDIT_KEY],
        KeyName.INDEX: [settings.INDEX_KEY],
        KeyName.FIELD: list(settings.FIELD_KEYS),
    }


def fingerprints_table_ready() -> bool:
    """False before the first `migrate` (nothing to compare with yet)."""
    with connection.cursor() as cursor:
        return KeyFingerprint._meta.db_table in connection.introspection.table_names(cursor)


def key_problems() -> list[KeyProblem]:
    """Each configured key that does not match this database, with a plain explanation.

    Compared with the recorded fingerprints; a key not recorded yet (a database from before
    fingerprints) is compared with the data itself: the newest audit entry's HMAC, a party's blind
    index, encrypted values. Field keys: every recorded key that is not retired must be configured
    (data may still be encrypted with it); the newest may be new (rotation). Empty when the
    database cannot be reached or is not migrated yet: commands then fail on the database itself.
    """
    try:
        with transaction.atomic():  # a savepoint: a failed query leaves the caller's transaction usable
            if not fingerprints_table_ready():
                return []
            recorded = list(KeyFingerprint.objects.all())
            problems = []
            for name, keys in configured_keys().items():
                problem = _key_problem(name, keys, [r for r in recorded if r.name == name])
                if problem:
                    problems.append(problem)
            return problems
    except DatabaseError:
        return []


def _key_problem(name: str, keys: list[str], recorded: list[KeyFingerprint]) -> KeyProblem | None:
    configured = {key_fingerprint(k) for k in keys}
    current = {r.fingerprint for r in recorded if r.retired_at is None}
    retired = {r.fingerprint for r in recorded if r.retired_at is not None}
    if current and current <= configured:
        return None
    if current or retired:
        if name != KeyName.FIELD or not configured & (current | retired):
            return KeyProblem(name, _written_with(name), HINTS[name])
        if not configured & current:
            message = (
                "COCDESK_FIELD_KEYS holds only keys that `cocdesk rotate-keys` has already replaced: "
                "this database's data is encrypted with a newer key."
            )
        else:
            message = (
                "COCDESK_FIELD_KEYS lacks a key that some of this database's data is still encrypted "
                "with: `cocdesk rotate-keys` has not finished moving everything to the newest key."
            )
        return KeyProblem(name, message, HINTS[name])
    if data_contradicts(name):
        message = (
            f"{name} does not match the key this database's data was written with."
            if name != KeyName.FIELD
            else "None of the keys in COCDESK_FIELD_KEYS can open this database's encrypted data."
        )
        return KeyProblem(name, message, HINTS[name])
    return None


def _written_with(name: str) -> str:
    if name == KeyName.FIELD and len(settings.FIELD_KEYS) > 1:
        return "None of the keys in COCDESK_FIELD_KEYS is a key this database was written with."
    return WRITTEN_WITH % name


def data_contradicts(name: str) -> bool:
    """Whether data already in the database shows that the configured key is not the one that wrote
    it. False when there is nothing to tell by (an empty database)."""
    if name == KeyName.AUDIT:
        entry = AuditEntry.objects.order_by("-seq").first()
        return entry is not None and not hmac.compare_digest(entry.hash, entry_hash(entry))
    if name == KeyName.INDEX:
        parties = Party.objects.exclude(name_index="").only("name", "name_index").order_by("pk")[:1]
        try:
            sample = [(p.name, p.name_index) for p in parties]
        except ImproperlyConfigured:  # the field keys are wrong too: that is reported on its own
            return False
        return any(not hmac.compare_digest(index, blind_index(text, kind="name")) for text, index in sample)
    return any(token_key_position(token) is None for token in _sample_tokens())


def _sample_tokens(per_model: int = 1) -> Iterator[str]:
    for model in encrypted_models():
        for name in encrypted_fields(model):
            raw = ciphertexts(model._base_manager.exclude(**{f"{name}__isnull": True}), name)
            yield from raw.values_list(f"cipher_{name}", flat=True)[:per_model]
            break


# --- what still needs an old field key ------------------------------------------------------------


def encrypted_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if encrypted_fields(m) and not m._meta.proxy]


def ciphertexts(queryset: models.QuerySet, *names: str) -> models.QuerySet:
    """The stored ciphertext of encrypted columns as `cipher_<name>`, not decrypted."""
    return queryset.annotate(**{f"cipher_{n}": Cast(n, models.TextField()) for n in names})


def stored_file_names() -> dict[str, tuple[type[models.Model], str, object]]:
    """Every stored file a row refers to: storage name -> (model, storage-name field, row pk)."""
    named: dict[str, tuple[type[models.Model], str, object]] = {}
    for model, column in ((Attachment, "storage_name"), (InboundEmail, "raw_storage_name")):
        for pk, name in model._base_manager.exclude(**{column: ""}).values_list("pk", column):
            named[name] = (model, column, pk)
    return named


ROTATING_PREFIX = ".rotating-"  # a file being replaced by key rotation (ops.services.storage_replace)


def storage_walk(folder: str = "") -> Iterator[str]:
    """Every file in default storage, through Django's storage API."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        if not name.startswith(ROTATING_PREFIX):
            yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_walk(f"{folder}/{sub}" if folder else sub)


def read_stored(name: str) -> bytes | None:
    """A stored file's bytes (under its pending name between a commit and the move), or None."""
    try:
        with default_storage.open(evidence.readable_name(name), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


@dataclass
class RotationCheck:
    """What `rotate-keys --check` found. `old_key` needs a key other than the newest; `unreadable`
    no configured key opens at all."""

    rows_old_key: dict[str, int] = field(default_factory=dict)
    rows_unreadable: dict[str, list[str]] = field(default_factory=dict)
    files_old_key: list[str] = field(default_factory=list)
    files_unreadable: list[str] = field(default_factory=list)
    files_missing: list[str] = field(default_factory=list)
    stray_unreadable: list[str] = field(default_factory=list)  # not referenced by any row
    rows_checked: int = 0
    files_checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.rows_old_key or self.rows_unreadable or self.files_old_key or self.files_unreadable)


def rotation_check() -> RotationCheck:
    """Read every encrypted value and every stored file; nothing is changed."""
    result = RotationCheck()
    for model in encrypted_models():
        names = encrypted_fields(model)
        label = model._meta.label
        for row in (
            ciphertexts(model._base_manager.order_by("pk"), *names)
            .values_list("pk", *(f"cipher_{n}" for n in names))
            .iterator(chunk_size=2000)
        ):
            result.rows_checked += 1
            positions = [token_key_position(token) for token in row[1:] if token is not None]
            if any(p is None for p in positions):
                result.rows_unreadable.setdefault(label, []).append(str(row[0]))
            elif any(p for p in positions):
                result.rows_old_key[label] = result.rows_old_key.get(label, 0) + 1
    referenced = stored_file_names()
    for name in referenced:
        data = read_stored(name)
        result.files_checked += 1
        if data is None:
            result.files_missing.append(name)
            continue
        position = token_key_position(data)
        if position is None:
            result.files_unreadable.append(name)
        elif position:
            result.files_old_key.append(name)
    for name in storage_walk():
        if name in referenced:
            continue
        data = read_stored(name)
        if data is None:
            continue
        result.files_checked += 1
        position = token_key_position(data)
        if position is None:
            result.stray_unreadable.append(name)
        elif position:
            result.files_old_key.append(name)
    return result


def restore_in_progress(*, archive_sha256: str) -> RestoreInProgress | None:
    return RestoreInProgress.objects.filter(archive_sha256=archive_sha256).first()
