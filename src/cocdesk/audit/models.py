"""The audit log (D9): append-only, hash-chained, holding no confidential text."""

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One event: who did what to which object, and when. Never updated, never deleted.

    `hash` is an HMAC (key COCDESK_AUDIT_KEY, outside the database) over this entry's fields and the
    previous entry's hash, so rows edited, deleted or inserted with database access alone break the
    chain. `seq` runs 1, 2, 3 … without gaps.
    """

    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=64)  # "member:12", "public", "system", "operator:3"
    action = models.CharField(max_length=64)  # "case.read", "member.login", …
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The single chain head. Appenders lock this row, so concurrent writers never fork the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head at #{self.seq}"
