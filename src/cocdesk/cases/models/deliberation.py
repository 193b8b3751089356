"""Deciding (D4): the private discussion, the consequence catalog, proposals and votes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedTextField


class DiscussionPost(models.Model):
    """The private thread of a case, open only to the members taking part (replaces the Slack channel)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"post {self.pk} on case {self.case_id}"


class CaseVisit(models.Model):
    """When a member last opened a case's page: posts written since are new to them ("Waiting for
    you", D5). One row per member and case, moved on at every visit; it holds no content."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="visits")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "member"], name="one_visit_row_per_member_and_case")
        ]

    def __str__(self) -> str:
        return f"visit of member {self.member_id} to case {self.case_id}"


class ConsequenceCatalogItem(models.Model):
    """A possible response, seeded with every example of the plan's "Potential consequences"."""

    label = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class ProposalKind(models.TextChoices):
    VIOLATION = "violation", _("Is this a Code of Conduct violation?")
    PLAN = "plan", _("Behavioral modification plan")
    CONSEQUENCES = "consequences", _("Consequences")
    REFUSAL = "refusal", _("Response if the plan is not understood or refused")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Open for votes")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Did not pass")


class Proposal(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=16, choices=ProposalKind.choices)
    text = EncryptedTextField()
    round = models.PositiveSmallIntegerField(default=1)  # a refused plan opens round 2, 3, …
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=8, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    tally = models.JSONField(default=dict, blank=True)  # {"yes": n, "no": n, "abstain": n, "participants": n}

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} proposal on case {self.case_id}"


class ProposalConsequence(models.Model):
    """One consequence named by a proposal: from the catalog or custom, with a duration."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="consequences")
    catalog_item = models.ForeignKey(ConsequenceCatalogItem, null=True, blank=True, on_delete=models.PROTECT)
    custom = EncryptedTextField(blank=True, default="")
    # "for the rest of the event", "until 2027-06-01": case content, so encrypted (the form keeps it short)
    duration = EncryptedTextField(blank=True, default="")
    until = models.DateField(null=True, blank=True)  # when it ends, if a date was given (retention)

    def __str__(self) -> str:
        return f"consequence of proposal {self.proposal_id}"


class VoteChoice(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    ABSTAIN = "abstain", _("Abstain")


class Vote(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8, choices=VoteChoice.choices)
    cast_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "member"], name="one_vote_per_member")]

    def __str__(self) -> str:
        return f"vote on proposal {self.proposal_id}"
