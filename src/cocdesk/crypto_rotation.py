"""Key rotation: re-encrypt every encrypted column with the newest field key."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction

from cocdesk.audit.services import audit_record
from cocdesk.crypto import encrypted_fields


def rotate_all(batch: int = 500) -> dict[str, int]:
    """Read each row (any known key decrypts) and write it back (the newest key encrypts).

    Runs model by model in batches, so a large database is not held in one transaction.
    """
    counts: dict[str, int] = {}
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields:
            continue
        rows = 0
        pks = list(model._base_manager.values_list("pk", flat=True).order_by("pk"))
        for start in range(0, len(pks), batch):
            with transaction.atomic():
                for obj in model._base_manager.filter(pk__in=pks[start : start + batch]).only("pk", *fields):
                    model._base_manager.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})
                    rows += 1
        counts[model._meta.label] = rows
    audit_record(actor="system", action="keys.rotated")
    return counts
