"""Operations bookkeeping: which keys wrote this database, and restores still moving files."""

from __future__ import annotations

from django.db import models

from cocdesk import clock


class KeyName(models.TextChoices):
    AUDIT = "COCDESK_AUDIT_KEY", "COCDESK_AUDIT_KEY"
    INDEX = "COCDESK_INDEX_KEY", "COCDESK_INDEX_KEY"
    FIELD = "COCDESK_FIELD_KEYS", "COCDESK_FIELD_KEYS"


class KeyFingerprint(models.Model):
    """The fingerprint (`cocdesk.crypto.key_fingerprint`) of a key this database was written with.

    The first `migrate` (or production start) records each key; a later start with a key that does
    not match is refused, naming the setting. Field keys may be several: a new key joins when
    `rotate-keys` runs, and the keys it moved every value off are marked retired.
    """

    name = models.CharField(max_length=32, choices=KeyName.choices)
    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(default=clock.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["name", "fingerprint"], name="one_fingerprint_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.fingerprint[:12]}"


class RestoreInProgress(models.Model):
    """A restore whose rows are committed but whose files may not all be in place yet.

    Written in the same transaction as the restored rows, so a rerun of `cocdesk restore` with the
    same backup after a crash finishes moving the files from the staging area instead of refusing.
    """

    archive_sha256 = models.CharField(max_length=64, unique=True)
    staging = models.CharField(max_length=200)
    files = models.JSONField(default=list)
    started_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"restore {self.archive_sha256[:12]}"
