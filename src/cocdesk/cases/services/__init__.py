"""The cases app's write layer (docs/architecture.md, "Layers"): the one way case tables change.

One module per part of the case's life: opening a report, who it is about (people), the case file's
records, conflicts of interest, deliberation, the response, retention. Callers import the functions from here.
"""

from cocdesk.cases.services.conflicts import (
    case_free_members_check,
    case_unseal,
    conflict_auto,
    conflict_declare,
    conflict_possible_clear,
    conflict_rejoin_agree,
    conflict_rejoin_request,
    conflict_set,
    conflicts_recheck,
    conflicts_recheck_member,
    handoff_record,
)
from cocdesk.cases.services.deliberation import (
    TRANSITIONS,
    ConsequenceInput,
    case_transition,
    catalog_item_save,
    discussion_post_add,
    owners_set,
    proposal_create,
    proposal_evaluate,
    proposals_reevaluate,
    require_participant,
    vote_cast,
)
from cocdesk.cases.services.opening import (
    FileInput,
    Incident,
    OpenedCase,
    PartyInput,
    ReportInput,
    case_open,
    discussion_opening_text,
)
from cocdesk.cases.services.people import party_add, party_update
from cocdesk.cases.services.records import (
    attachment_add,
    case_category_set,
    case_search_end,
    case_search_start,
    case_wants_updates_set,
    reporter_message_in,
    reporter_message_out,
    timeline_add,
)
from cocdesk.cases.services.response import (
    ConversationInput,
    context_add,
    conversation_record,
    follow_up_add,
    law_enforcement_record,
    law_enforcement_request_record,
)
from cocdesk.cases.services.retention import case_expunge, expunge_date_set
from cocdesk.cases.services.safety import danger_raise, immediate_response_record

__all__ = [
    "TRANSITIONS",
    "ConsequenceInput",
    "ConversationInput",
    "FileInput",
    "Incident",
    "OpenedCase",
    "PartyInput",
    "ReportInput",
    "attachment_add",
    "case_category_set",
    "case_expunge",
    "case_free_members_check",
    "case_open",
    "case_search_end",
    "case_search_start",
    "case_transition",
    "case_unseal",
    "case_wants_updates_set",
    "catalog_item_save",
    "conflict_auto",
    "conflict_declare",
    "conflict_possible_clear",
    "conflict_rejoin_agree",
    "conflict_rejoin_request",
    "conflict_set",
    "conflicts_recheck",
    "conflicts_recheck_member",
    "context_add",
    "conversation_record",
    "danger_raise",
    "discussion_opening_text",
    "discussion_post_add",
    "expunge_date_set",
    "follow_up_add",
    "handoff_record",
    "immediate_response_record",
    "law_enforcement_record",
    "law_enforcement_request_record",
    "owners_set",
    "party_add",
    "party_update",
    "proposal_create",
    "proposal_evaluate",
    "proposals_reevaluate",
    "reporter_message_in",
    "reporter_message_out",
    "require_participant",
    "timeline_add",
    "vote_cast",
]
