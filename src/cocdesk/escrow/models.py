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
    # A committee member whose report (taken, made, or a person they added) found this match: shown
    # to the others, and never one of the two who unseal it.
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(fields=["sealed_case", "other_case"], name="one_match_per_pair")
        ]

    def __str__(self) -> str:
        return f"escrow match {self.pk}"


class UnsealAgreement(models.Model):
    """A member free of conflict on both reports agrees to unseal: two of them unseal it (D7)."""

    match = models.ForeignKey(EscrowMatch, on_delete=models.CASCADE, related_name="agreements")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["match", "member"], name="one_agreement_per_member")]

    def __str__(self) -> str:
        return f"agreement of member {self.member_id} on escrow match {self.match_id}"
