"""Escrowed reports and the matches that may unseal them (D7)."""

from django.conf import settings
from django.db import models

from cocdesk import clock


class EscrowMatch(models.Model):
    """A sealed, escrowed report names the same person (by blind index) as another report."""

    sealed_case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escrow_matches")
    other_case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    found_at = models.DateTimeField(default=clock.now)
    unsealed_at = models.DateTimeField(null=True, blank=True)
    unsealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(fields=["sealed_case", "other_case"], name="one_match_per_pair")
        ]

    def __str__(self) -> str:
        return f"escrow match {self.pk}"
