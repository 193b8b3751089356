"""Intake: turning what reporters and responders tell us into cases (D2).

Every channel builds a `cases.services.ReportInput`, opens the case with `case_open`, and then
matches it against escrowed reports (`escrow_match`). Case tables are written only through the
cases services. A public web report never depends on the database to be received: when it is
unavailable the submission waits in the encrypted spool (`intake.spool`) and is imported later,
once (`intake.recovery.spool_import`).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from cocdesk import access, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.evidence import check_upload, upload_prepare
from cocdesk.cases.models import Channel, Kind
from cocdesk.cases.selectors import case_by_spool_id
from cocdesk.cases.services import (
    FileInput,
    Incident,
    OpenedCase,
    PartyInput,
    ReportInput,
    case_open,
    handoff_record,
    immediate_response_record,
    party_add,
    party_update,
    reporter_message_in,
)
from cocdesk.errors import Refused, database_unavailable
from cocdesk.escrow.services import escrow_match
from cocdesk.intake import spool
from cocdesk.intake.models import Event
from cocdesk.members.models import Role
from cocdesk.members.selectors import committee_members, member_by_email
from cocdesk.members.services import member_add

log = logging.getLogger("cocdesk.intake")

if TYPE_CHECKING:
    from datetime import date

    from cocdesk.cases.models import Case, Message, Party
    from cocdesk.members.models import Member


def report_store(*, report: ReportInput, actor: object | str | None) -> OpenedCase:
    """Open the case, then look for a match with an escrowed report (D7)."""
    opened = case_open(report=report, actor=actor)
    escrow_match(case=opened.case)
    return opened


@transaction.atomic
def case_person_add(*, case: Case, by: Member, person: PartyInput) -> Party:
    """A member taking part adds a reported person or a witness to any case (an emailed report
    records only its sender): `cases.services.party_add` (members it names stop seeing the case),
    then the case is matched against escrowed reports again (D7); a match found so is recorded as
    triggered by them."""
    party = party_add(case=case, by=by, person=person)
    escrow_match(case=case, triggered_by=by)
    return party


@transaction.atomic
def case_person_update(*, party: Party, by: Member, person: PartyInput) -> Party:
    """Correct a reported person or a witness, then match against escrowed reports again."""
    party = party_update(party=party, by=by, person=person)
    escrow_match(case=party.case, triggered_by=by)
    return party


@transaction.atomic
def web_report_submit(*, report: ReportInput) -> OpenedCase:
    """A report from the public form. Always gets a receipt code; anonymous and escrowed keep no identity."""
    report.channel, report.with_receipt = Channel.WEB, True
    return report_store(report=report, actor="public")


@dataclass
class WebSubmission:
    """What the public form received, as it can wait in the spool: the report (its receipt code and
    spool id already chosen) and its event and exclusions as ids, looked up when it is stored."""

    report: ReportInput
    event_id: int | None = None
    excluded_member_ids: list[int] = field(default_factory=list)

    @staticmethod
    def new_id() -> str:
        return spool.spool_id_new()

    def to_bytes(self) -> bytes:
        report = self.report
        return json.dumps(
            {
                "version": 1,
                "incident": asdict(report.incident),
                "kind": report.kind,
                "parties": [asdict(p) for p in report.parties],
                "wants_updates": report.wants_updates,
                "preferred_contact": report.preferred_contact,
                "intake_details": report.intake_details,
                "notify_email": report.notify_email,
                "files": [
                    {"name": f.name, "data": base64.b64encode(f.content()).decode(), "keep": f.keep_metadata}
                    for f in report.files
                ],
                "receipt_code": report.receipt_code,
                "spool_id": report.spool_id,
                "event_id": self.event_id,
                "excluded_member_ids": self.excluded_member_ids,
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> WebSubmission:
        d = json.loads(data)
        report = ReportInput(
            channel=Channel.WEB,
            incident=Incident(**d["incident"]),
            kind=d["kind"],
            parties=[PartyInput(**p) for p in d["parties"]],
            wants_updates=d["wants_updates"],
            preferred_contact=d["preferred_contact"],
            intake_details=d["intake_details"],
            notify_email=d["notify_email"],
            files=[FileInput(f["name"], base64.b64decode(f["data"]), f["keep"]) for f in d["files"]],
            with_receipt=True,
            receipt_code=d["receipt_code"],
            spool_id=d["spool_id"],
        )
        return cls(report=report, event_id=d["event_id"], excluded_member_ids=d["excluded_member_ids"])


@dataclass(frozen=True)
class Received:
    """What the reporter is told. `reference` is None while the report waits in the spool."""

    receipt_code: str | None
    kind: str
    urgent: bool
    wants_updates: bool
    event_id: int | None
    reference: str | None = None
    alerted: bool = False  # members were told at once (an urgent report waiting in the spool is not yet)

    @property
    def spooled(self) -> bool:
        return self.reference is None


def web_report_receive(*, submission: WebSubmission) -> Received:
    """Receive a public web report: stored as a case, or, when the database is unavailable, kept
    in the encrypted spool with the receipt code the reporter is shown now.

    Side effects: those of `web_report_store`, or one spool file (imported later, exactly once, by
    `intake.recovery.spool_import`). Raises ValidationError for a file the evidence rules refuse
    (checked first, so nothing refused ever waits in the spool), and OSError when even the spool
    cannot be written."""
    report = submission.report
    for upload in report.files:
        check_upload(upload.name, upload.data)
    try:
        opened = web_report_store(submission=submission)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        log.warning("database unavailable: a web report waits in the spool (%s)", type(exc).__name__)
        for upload in report.files:  # cleaned now too, so the import cannot refuse a file later
            upload_prepare(upload.name, upload.data, keep_photo_metadata=upload.keep_metadata)
        spool.spool_write(kind="web", data=submission.to_bytes(), spool_id=report.spool_id)
        return Received(
            receipt_code=report.receipt_code,
            kind=report.kind,
            urgent=report.incident.urgent,
            wants_updates=report.wants_updates,
            event_id=submission.event_id,
        )
    case = opened.case
    return Received(
        receipt_code=opened.receipt_code,
        kind=case.kind,
        urgent=case.urgent,
        wants_updates=case.wants_updates,
        event_id=case.event_id,
        reference=case.reference,
        alerted=bool(opened.notified),
    )


@transaction.atomic
def web_report_store(*, submission: WebSubmission) -> OpenedCase:
    """Store a web submission once: a submission whose spool id is already a case (imported by
    another process, or committed although the request saw an error) is that case.

    Side effects: those of `web_report_submit`, with the event and the excluded members looked
    up by id (ones that no longer exist are left out)."""
    report = submission.report
    if report.spool_id:
        existing = case_by_spool_id(spool_id=report.spool_id)
        if existing is not None:
            return OpenedCase(case=existing)
    if submission.event_id is not None:
        report.event = Event.objects.filter(pk=submission.event_id).first()
    report.excluded_members = list(committee_members().filter(pk__in=submission.excluded_member_ids))
    return web_report_submit(report=report)


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
