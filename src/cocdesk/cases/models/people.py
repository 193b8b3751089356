"""Who is involved (D3): parties with blind indexes, conflict declarations, owners, hand-offs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class PartyRole(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    REPORTED = "reported", _("Reported person")
    WITNESS = "witness", _("Witness")


class Party(models.Model):
    """A person involved in a case. Identifiers are encrypted; their blind indexes allow matching."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=10, choices=PartyRole.choices)
    name = EncryptedTextField(blank=True, default="")
    email = EncryptedTextField(blank=True, default="")
    handle = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    notes = EncryptedTextField(blank=True, default="")
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    email_index = models.CharField(max_length=64, blank=True, db_index=True)
    handle_index = models.CharField(max_length=64, blank=True, db_index=True)
    # Blind indexes of the words of the name and the local parts of email and handle (crypto.part_indexes),
    # for the transparency report's identifier check (D6).
    part_indexes = models.TextField(blank=True, default="")
    # The member this person was matched to (their account's id), encrypted: a copy of the database
    # does not say which member a report names (`selectors.party_member`; issue 16).
    member_ref = EncryptedTextField(blank=True, default="")
    # Blind indexes of the words of the name and the prefixes (3 letters and up) of its words and of
    # the handle (crypto.search_indexes): the case list finds "Kevin D." by "Kevin", "Kevin D" or "kdev".
    search_indexes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["role", "pk"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.get_role_display()} on case {self.case_id}"

    @property
    def member_pk(self) -> int | None:
        return int(self.member_ref) if self.member_ref.isdigit() else None


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the member")
    PARTY = "party", _("The member is a party to the case")
    EXCLUDED = "excluded", _("The reporter asked that this member not see the report")
    # Partly matched (a first name, an initial and surname): held, seeing nothing, until another
    # member taking part clears them. They are never told why.
    POSSIBLE = "possible", _("The member may be involved: held until another member clears them")


class ConflictDeclaration(models.Model):
    """A member's answer to "Do you have a conflict?" for one case. No reason is ever recorded."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="declarations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declarations"
    )
    has_conflict = models.BooleanField()
    # Why (declared, a party, excluded by the reporter, possibly involved), encrypted: a copy of the
    # database does not say which member a report names or whom the reporter excluded (issue 16).
    # Not filterable in SQL: `selectors.declarations_with_source` filters in Python.
    source = EncryptedTextField(choices=ConflictSource.choices, default=ConflictSource.DECLARED)
    declared_at = models.DateTimeField(default=clock.now)
    # A member who declared a conflict may ask to take part after all; another participant must agree.
    rejoin_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "member"], name="one_declaration_per_member")]

    def __str__(self) -> str:
        return f"declaration of member {self.member_id} on case {self.case_id}"


class InvolvementClearance(models.Model):
    """A member taking part confirmed that a member who was partly matched (`ConflictSource.POSSIBLE`)
    is not the person the case names. `keys` are the blind indexes of the partial matches cleared:
    the same matches do not hold the member again, a new one does."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clearances")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    keys = models.JSONField(default=list, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "member"], name="one_clearance_per_member")]

    def __str__(self) -> str:
        return f"clearance of member {self.member_id} on case {self.case_id}"


class Handoff(models.Model):
    """A responder who suspected a conflict handed the report to another member."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="handoffs")
    from_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"hand-off on case {self.case_id}"


class OwnerRole(models.TextChoices):
    PRIMARY = "primary", _("Primary incident owner")
    SECONDARY = "secondary", _("Secondary incident owner")


class IncidentOwner(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="owners")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownerships")
    role = models.CharField(max_length=10, choices=OwnerRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "role"], name="one_owner_per_role")]

    def __str__(self) -> str:
        return f"{self.role} owner of case {self.case_id}"
