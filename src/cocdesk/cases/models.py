"""The case file (DESIGN D2, D3, D4): one Case per report, and what the committee records on it.

Everything a person wrote or said is encrypted at rest (EncryptedTextField / EncryptedJSONField).
Identifiers of parties also get blind indexes, so conflicts and repeat reports can be matched
without storing names or addresses in the clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cocdesk import clock
from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    EMAIL = "email", _("email")
    IN_PERSON = "in_person", _("in person")
    PHONE = "phone", _("phone")
    DIRECT_MESSAGE = "direct_message", _("direct message")
    OTHER = "other", _("other")


CHANNEL_PHRASES = {
    Channel.WEB: _("by web form"),
    Channel.EMAIL: _("by email"),
    Channel.IN_PERSON: _("in person"),
    Channel.PHONE: _("by phone"),
    Channel.DIRECT_MESSAGE: _("by direct message"),
    Channel.OTHER: _("through another channel"),
}


class Kind(models.TextChoices):
    NAMED = "named", _("Named")
    ANONYMOUS = "anonymous", _("Anonymous")
    ESCROWED = "escrowed", _("Escrowed")


class State(models.TextChoices):
    NEW = "new", _("New")
    TRIAGE = "triage", _("Triage")
    DELIBERATION = "deliberation", _("Deliberation")
    RESPONSE = "response", _("Response")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class Resolution(models.TextChoices):
    NONE = "", _("Not resolved yet")
    NO_VIOLATION = "no_violation", _("No violation")
    RESOLVED_WITH_ACTION = "resolved_with_action", _("Resolved with action")
    UNRESOLVED = "unresolved", _("Unresolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Category(models.TextChoices):
    """The type of incident, for the transparency report's "totals and types" (DESIGN D6)."""

    UNSET = "", _("Not categorized yet")
    HARASSMENT = "harassment", _("Harassment or unwelcome comments")
    DISCRIMINATION = "discrimination", _("Discriminatory language")
    UNWANTED_CONTACT = "unwanted_contact", _("Unwanted contact or attention")
    PHYSICAL_SAFETY = "physical_safety", _("Physical safety")
    PRIVATE_INFORMATION = "private_information", _("Sharing private information")
    DISRUPTION = "disruption", _("Disruptive behavior")
    OTHER = "other", _("Other")


class ContactPreference(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Another way I describe")
    NONE = "none", _("Please do not contact me")


class Severity(models.TextChoices):
    UNSET = "", _("Not assessed")
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class CaseCounter(models.Model):
    """The last reference number handed out per year; locked by each new case (CoC-YYYY-NNNN)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NAMED)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW, db_index=True)
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True, default="")
    severity = models.CharField(max_length=12, choices=Severity.choices, blank=True, default="")
    category = models.CharField(max_length=24, choices=Category.choices, blank=True, default="")
    sealed = models.BooleanField(default=False)  # escrowed and not yet unsealed (D7)
    urgent = models.BooleanField(default=False)  # immediate danger was reported
    ongoing = models.BooleanField(default=False)
    law_enforcement_requested = models.BooleanField(default=False)
    wants_updates = models.BooleanField(default=True)  # False: "no further involvement"
    preferred_contact = models.CharField(
        max_length=8, choices=ContactPreference.choices, default=ContactPreference.EMAIL
    )
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "intake.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    # What happened, in the reporter's words (encrypted).
    description = EncryptedTextField(blank=True, default="")
    occurred_when = EncryptedTextField(blank=True, default="")
    occurred_where = EncryptedTextField(blank=True, default="")
    # The rest of the intake record: safety notes, the responder's checklist, anything else asked.
    intake_details = EncryptedJSONField(default=dict, blank=True)
    # Anonymous reporters may leave an address only for "you have a new message"; never shown.
    notify_email = EncryptedTextField(blank=True, default="")
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    search_started_at = models.DateTimeField(null=True, blank=True)  # looking for the reported person
    search_ended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expunge_at = models.DateTimeField(null=True, blank=True)
    expunged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def channel_phrase(self) -> str:
        """How it reached us, in a sentence: "reported in person", "received by web form"."""
        return CHANNEL_PHRASES.get(self.channel, self.get_channel_display())


class PartyRole(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    REPORTED = "reported", _("Reported person")
    WITNESS = "witness", _("Witness")


class Party(models.Model):
    """A person involved in a case. Identifiers are encrypted; their blind indexes allow matching."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=10, choices=PartyRole.choices)
    name = EncryptedTextField(blank=True, default="")
    email = EncryptedTextField(blank=True, default="")
    handle = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    notes = EncryptedTextField(blank=True, default="")
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    email_index = models.CharField(max_length=64, blank=True, db_index=True)
    handle_index = models.CharField(max_length=64, blank=True, db_index=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["role", "pk"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.get_role_display()} on case {self.case_id}"


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the member")
    PARTY = "party", _("The member is a party to the case")
    EXCLUDED = "excluded", _("The reporter asked that this member not see the report")


class ConflictDeclaration(models.Model):
    """A member's answer to "Do you have a conflict?" for one case. No reason is ever recorded."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="declarations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declarations"
    )
    has_conflict = models.BooleanField()
    source = models.CharField(max_length=10, choices=ConflictSource.choices, default=ConflictSource.DECLARED)
    declared_at = models.DateTimeField(default=clock.now)
    # A member who declared a conflict may ask to take part after all; another participant must agree.
    rejoin_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "member"], name="one_declaration_per_member")]

    def __str__(self) -> str:
        return f"declaration of member {self.member_id} on case {self.case_id}"


class TimelineKind(models.TextChoices):
    INTAKE = "intake", _("Report received")
    NOTE = "note", _("Note")
    STATE = "state", _("State changed")
    OWNERS = "owners", _("Owners")
    HANDOFF = "handoff", _("Handed to another member")
    IMMEDIATE = "immediate", _("Immediate response")
    ATTACHMENT = "attachment", _("Evidence added")
    MESSAGE_OUT = "message_out", _("Message to the reporter")
    MESSAGE_IN = "message_in", _("Message from the reporter")
    EMAIL_IN = "email_in", _("Email received")
    DECISION = "decision", _("Decision")
    CONVERSATION = "conversation", _("Conversation with the reported person")
    CONTEXT = "context", _("New context")
    LAW_ENFORCEMENT = "law", _("Law enforcement")
    FOLLOW_UP = "follow_up", _("Follow-up")
    SEARCH = "search", _("Search for the reported person")
    ESCROW = "escrow", _("Escrow")


class TimelineEntry(models.Model):
    """One timestamped, attributed line of the case's story."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=clock.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    text = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class AttachmentSource(models.TextChoices):
    REPORTER = "reporter", _("From the reporter")
    EMAIL = "email", _("From an email")
    COMMITTEE = "committee", _("Added by the committee")


class Attachment(models.Model):
    """Evidence. The file is encrypted in storage under a name the server chose."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    source = models.CharField(max_length=10, choices=AttachmentSource.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    original_name = EncryptedTextField(blank=True, default="")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"attachment {self.pk} on case {self.case_id}"


class MessageDirection(models.TextChoices):
    TO_REPORTER = "to_reporter", _("To the reporter")
    FROM_REPORTER = "from_reporter", _("From the reporter")


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Automatic confirmation")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    UPDATE = "update", _("Update")
    DECISION = "decision", _("Decision and actions")
    DELAY = "delay", _("Delay notice")
    QUESTION = "question", _("Question")
    REPLY = "reply", _("Reply from the reporter")


class Message(models.Model):
    """A message between the committee and the reporter, by email and/or the receipt-code portal."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=MessageDirection.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    body = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=clock.now)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} message on case {self.case_id}"


class ImmediateAction(models.TextChoices):
    VENUE_SECURITY = "venue_security", _("Called venue security")
    CRISIS_LINE = "crisis_line", _("Called a crisis line or non-emergency number")
    REMOVAL = "removal", _("Removed the person from the space")
    LAW_ENFORCEMENT = "law_enforcement", _("Called law enforcement (the reporter asked)")
    OTHER = "other", _("Something else")


class ImmediateResponse(models.Model):
    """What a responder did at once in an unsafe situation, without convening the committee."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="immediate_responses")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=ImmediateAction.choices)
    note = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.action} on case {self.case_id}"


class Handoff(models.Model):
    """A responder who suspected a conflict handed the report to another member."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs")
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
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="owners")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownerships")
    role = models.CharField(max_length=10, choices=OwnerRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "role"], name="one_owner_per_role")]

    def __str__(self) -> str:
        return f"{self.role} owner of case {self.case_id}"


# --- deliberation (DESIGN D4) ----------------------------------------------------------------------


class DiscussionPost(models.Model):
    """The private thread of a case, open only to the members taking part (replaces the Slack channel)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"post {self.pk} on case {self.case_id}"


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
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proposals")
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


class Conversation(models.Model):
    """Talking to the reported person: at least two members; behavior, context, impact, call-in, plan."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conversations")
    held_on = models.DateField()
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    behavior = EncryptedTextField()
    context = EncryptedTextField(blank=True, default="")
    impact = EncryptedTextField()
    call_in = EncryptedTextField(blank=True, default="")
    plan = EncryptedTextField()
    response = EncryptedTextField(blank=True, default="")
    plan_accepted = models.BooleanField(null=True)
    apology_offered = models.BooleanField(default=False)
    apology_relayed = models.BooleanField(null=True)
    apology_reason = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"conversation on case {self.case_id}"


class LawEnforcementRecord(models.Model):
    """What was given to law enforcement (only at the reporter's request). The community manager
    is told and may see exactly this record, nothing else of the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="law_enforcement_records")
    shared = EncryptedTextField()
    shared_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"law enforcement record {self.pk}"


class FollowUp(models.Model):
    """Following up with the reporter after the response: what they were told, what comes next."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"follow-up on case {self.case_id}"
