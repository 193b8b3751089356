"""The deadlines app's write layer (D5), by rule family: what `tick` does, the daily digest,
writing to the reporter, the members' own deadlines and mail (check-ins, calendar feed, digest
time), and retention settings."""

from cocdesk.deadlines.services.digest import Digest, digest_send
from cocdesk.deadlines.services.members import (
    calendar_feed_used,
    calendar_token_new,
    calendar_token_revoke,
    check_in_answer,
    notice_preference_update,
)
from cocdesk.deadlines.services.reporter import (
    Delivery,
    Preview,
    delay_notice_send,
    placeholders_in,
    reporter_message_check,
    reporter_message_preview,
    reporter_message_send,
    reporter_template_update,
    reporter_told_record,
    reporter_wishes_record,
    template_fill,
)
from cocdesk.deadlines.services.retention import retention_extend, retention_policy_update
from cocdesk.deadlines.services.tick import TickReport, audit_anchor_daily, tick_run

__all__ = [
    "Delivery",
    "Digest",
    "Preview",
    "TickReport",
    "audit_anchor_daily",
    "calendar_feed_used",
    "calendar_token_new",
    "calendar_token_revoke",
    "check_in_answer",
    "delay_notice_send",
    "digest_send",
    "notice_preference_update",
    "placeholders_in",
    "reporter_message_check",
    "reporter_message_preview",
    "reporter_message_send",
    "reporter_template_update",
    "reporter_told_record",
    "reporter_wishes_record",
    "retention_extend",
    "retention_policy_update",
    "template_fill",
    "tick_run",
]
