"""Intake: turning what reporters and responders tell us into cases (D2).

Every channel builds a `cases.services.ReportInput`, opens the case with `case_open`, and then
matches it against escrowed reports (`escrow_match`). Case tables are written only through the
cases services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Channel, Kind
from cocdesk.cases.services import (
    OpenedCase,
    ReportInput,
    case_open,
    handoff_record,
    immediate_response_record,
    reporter_message_in,
)
from cocdesk.errors import Refused
from cocdesk.escrow.services import escrow_match
from cocdesk.intake.models import Event
from cocdesk.members.models import Role
from cocdesk.members.selectors import member_by_email
from cocdesk.members.services import member_add

if TYPE_CHECKING:
    from datetime import date

    from cocdesk.cases.models import Case, Message
    from cocdesk.members.models import Member


def report_store(*, report: ReportInput, actor: object | str | None) -> OpenedCase:
    """Open the case, then look for a match with an escrowed report (D7)."""
    opened = case_open(report=report, actor=actor)
    escrow_match(case=opened.case)
    return opened


@transaction.atomic
def web_report_submit(*, report: ReportInput) -> OpenedCase:
    """A report from the public form. Always gets a receipt code; anonymous and escrowed keep no identity."""
    report.channel, report.with_receipt = Channel.WEB, True
    return report_store(report=report, actor="public")


@transaction.atomic
def committee_report_take(
    *,
    taker: Member,
    report: ReportInput,
    handoff_to: Member | None = None,
    immediate_action: str = "",
    immediate_note: str = "",
) -> OpenedCase:
    """A report taken in person, by phone, DM or otherwise, by a member or an event responder.

    A taker who suspects a conflict hands it to another member: that member becomes the receiver,
    the taker is recorded as conflicted, and the hand-off is on the timeline. Anonymous and
    escrowed reports keep no reporter identity, and a receipt code is shown to give the reporter.
    """
    if not access.takes_reports(taker):
        raise Refused(_("This account cannot take reports."))
    if taker.role == Role.EVENT_RESPONDER and (
        report.event is None or not report.event.responders.filter(pk=taker.pk).exists()
    ):
        raise Refused(_("Event responders file reports for their own events only."))
    anonymous = report.kind != Kind.NAMED
    if anonymous:
        report.intake_details["safety"] = {}
    report.intake_details["taken_by"] = taker.pk
    report.taken_by = taker
    report.received_by = handoff_to or (taker if taker.is_committee else None)
    report.with_receipt = anonymous
    opened = report_store(report=report, actor=taker)
    if handoff_to is not None:
        handoff_record(case=opened.case, from_member=taker, to_member=handoff_to)
    if immediate_action:
        immediate_response_record(case=opened.case, by=taker, action=immediate_action, note=immediate_note)
    return opened


@transaction.atomic
def portal_reply(*, case: Case, body: str) -> Message:
    """The reporter adds information through the receipt-code portal; the members are told."""
    message = reporter_message_in(case=case, body=body)
    notices.reporter_wrote(message=message)
    return message


@transaction.atomic
def event_create(
    *,
    actor: Member,
    name: str,
    starts_on: date,
    ends_on: date,
    place: str = "",
    emergency_number: str = "",
    venue_security: str = "",
    safety_contact: str = "",
) -> Event:
    event = Event(
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        place=place,
        emergency_number=emergency_number,
        venue_security=venue_security,
        safety_contact=safety_contact,
    )
    event.full_clean()
    event.save()
    audit_record(actor=actor, action="event.created", target=event)
    return event


@transaction.atomic
def event_safety_update(
    *, actor: Member, event: Event, emergency_number: str, venue_security: str, safety_contact: str
) -> Event:
    """Who to call at this event when someone is in danger (D2). Side effects: the Event, audit."""
    event.emergency_number = emergency_number.strip()
    event.venue_security = venue_security.strip()
    event.safety_contact = safety_contact.strip()
    event.full_clean()
    event.save(update_fields=["emergency_number", "venue_security", "safety_contact"])
    audit_record(actor=actor, action="event.safety_updated", target=event)
    return event


@transaction.atomic
def event_responder_add(*, actor: Member, event: Event, name: str, email: str) -> tuple[Member, str | None]:
    """Name an organizer as the event's responder; a new account gets an enrolment link."""
    member = member_by_email(email=email)
    link = None
    if member is None:
        member, link = member_add(email=email, name=name, role=Role.EVENT_RESPONDER, actor=actor)
    event.responders.add(member)
    audit_record(actor=actor, action="event.responder_added", object_type="event", object_id=event.pk)
    return member, link
