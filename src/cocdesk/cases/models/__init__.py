"""The case file (D2, D3, D4): one Case per report, and what the committee records on it.

Everything a person wrote or said is encrypted at rest (EncryptedTextField / EncryptedJSONField).
Identifiers of parties also get blind indexes, so conflicts and repeat reports can be matched
without storing names or addresses in the clear.
"""

from cocdesk.cases.models.case import (  # noqa: F401
    CHANNEL_PHRASES,
    Case,
    Category,
    Channel,
    ContactPreference,
    Kind,
    Resolution,
    Severity,
    State,
)
from cocdesk.cases.models.deliberation import (  # noqa: F401
    CaseVisit,
    ConsequenceCatalogItem,
    DiscussionPost,
    Proposal,
    ProposalConsequence,
    ProposalKind,
    ProposalStatus,
    Vote,
    VoteChoice,
)
from cocdesk.cases.models.people import (  # noqa: F401
    ConflictDeclaration,
    ConflictSource,
    Handoff,
    IncidentOwner,
    InvolvementClearance,
    OwnerRole,
    Party,
    PartyRole,
)
from cocdesk.cases.models.records import (  # noqa: F401
    PERSONAL_MESSAGE_KINDS,
    Attachment,
    AttachmentSource,
    ImmediateAction,
    ImmediateResponse,
    Message,
    MessageDirection,
    MessageKind,
    TimelineEntry,
    TimelineKind,
    ToldHow,
)
from cocdesk.cases.models.response import (  # noqa: F401
    Conversation,
    FollowUp,
    LawEnforcementRecord,
)
