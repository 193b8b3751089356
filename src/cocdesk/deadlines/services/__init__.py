"""The deadlines app's write layer (D5), by rule family: what `tick` does, writing to the
reporter, and the members' own deadlines (check-ins, calendar feed)."""

from cocdesk.deadlines.services.members import (
    calendar_feed_used,
    calendar_token_new,
    calendar_token_revoke,
    check_in_answer,
)
from cocdesk.deadlines.services.reporter import (
    Delivery,
    delay_notice_send,
    reporter_message_send,
    reporter_template_update,
    template_fill,
)
from cocdesk.deadlines.services.tick import TickReport, audit_anchor_daily, tick_run

__all__ = [
    "Delivery",
    "TickReport",
    "audit_anchor_daily",
    "calendar_feed_used",
    "calendar_token_new",
    "calendar_token_revoke",
    "check_in_answer",
    "delay_notice_send",
    "reporter_message_send",
    "reporter_template_update",
    "template_fill",
    "tick_run",
]
