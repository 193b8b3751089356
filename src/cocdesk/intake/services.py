"""Intake: turning what reporters and responders tell us into cases (DESIGN D2)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access
from cocdesk.audit.services import audit_record
from cocdesk.cases import services as cases
from cocdesk.cases.models import (
    Case,
    Channel,
    Handoff,
    ImmediateResponse,
    Kind,
    Message,
    MessageDirection,
    MessageKind,
    PartyRole,
    TimelineKind,
)
from cocdesk.intake.models import Event
from cocdesk.members.models import Member, Role
from cocdesk.members.services import member_add
from cocdesk.outbox.services import outbox_enqueue


@dataclass
class Incident:
    """The incident as both forms describe it."""

    description: str
    occurred_when: str = ""
    occurred_where: str = ""
    ongoing: bool = False
    urgent: bool = False
    law_enforcement_requested: bool = False
    reported: list[dict] | None = None
    witnesses: list[str] | None = None

    def case_fields(self) -> dict:
        """The keyword arguments of `case_open` that describe the incident."""
        return {
            "description": self.description,
            "occurred_when": self.occurred_when,
            "occurred_where": self.occurred_where,
            "ongoing": self.ongoing,
            "urgent": self.urgent,
            "law_enforcement_requested": self.law_enforcement_requested,
        }

    def parties(self) -> list[cases.PartyInput]:
        people = [cases.PartyInput(role=PartyRole.REPORTED, **p) for p in self.reported or []]
        return people + [cases.PartyInput(role=PartyRole.WITNESS, name=w) for w in self.witnesses or []]


@transaction.atomic
def web_report_submit(
    *,
    incident: Incident,
    kind: str,
    reporter: cases.PartyInput | None,
    preferred_contact: str,
    wants_updates: bool,
    notify_email: str = "",
    excluded_members: list[Member] | None = None,
    event: Event | None = None,
    files: list[cases.FileInput] | None = None,
) -> cases.OpenedCase:
    """A report from the public form. Always gets a receipt code; anonymous and escrowed keep no identity."""
    parties = incident.parties()
    if kind == Kind.NAMED and reporter is not None:
        parties.insert(0, reporter)
    return cases.case_open(
        channel=Channel.WEB,
        kind=kind,
        **incident.case_fields(),
        wants_updates=wants_updates,
        preferred_contact=preferred_contact,
        parties=parties,
        excluded_members=excluded_members or [],
        notify_email=notify_email,
        files=files or [],
        event=event,
        with_receipt=True,
        actor="public",
    )


@transaction.atomic
def committee_report_take(
    *,
    taker: Member,
    channel: str,
    kind: str,
    incident: Incident,
    reporter: cases.PartyInput | None,
    preferred_contact: str,
    wants_updates: bool,
    safety: dict,
    checklist: list[str],
    event: Event | None = None,
    handoff_to: Member | None = None,
    immediate_action: str = "",
    immediate_note: str = "",
    files: list[cases.FileInput] | None = None,
) -> cases.OpenedCase:
    """A report taken in person, by phone, DM or otherwise, by a member or an event responder.

    A taker who suspects a conflict hands it to another member: that member becomes the receiver,
    the taker is recorded as conflicted, and the hand-off is on the timeline. Anonymous and
    escrowed reports keep no reporter identity, and a receipt code is shown to give the reporter.
    """
    if not access.may_take_reports(taker):
        raise PermissionError("This account cannot take reports.")
    if taker.role == Role.EVENT_RESPONDER and (
        event is None or not event.responders.filter(pk=taker.pk).exists()
    ):
        raise PermissionError("Event responders file reports for their own events only.")
    anonymous = kind != Kind.NAMED
    parties = incident.parties()
    if not anonymous and reporter is not None:
        parties.insert(0, reporter)
    receiver = handoff_to or (taker if taker.is_committee else None)
    opened = cases.case_open(
        channel=channel,
        kind=kind,
        **incident.case_fields(),
        wants_updates=wants_updates,
        preferred_contact=preferred_contact,
        intake_details={"safety": {} if anonymous else safety, "checklist": checklist, "taken_by": taker.pk},
        parties=parties,
        files=files or [],
        received_by=receiver,
        event=event,
        with_receipt=anonymous,
        actor=taker,
    )
    case = opened.case
    if handoff_to is not None:
        handoff_record(case=case, from_member=taker, to_member=handoff_to)
    if immediate_action:
        immediate_response_record(case=case, by=taker, action=immediate_action, note=immediate_note)
    return opened


@transaction.atomic
def handoff_record(*, case: Case, from_member: Member, to_member: Member) -> Handoff:
    """The plan: a responder who suspects a conflict gets another member to take the report."""
    handoff = Handoff.objects.create(case=case, from_member=from_member, to_member=to_member)
    if from_member.is_committee:
        cases.conflict_set(case=case, member=from_member)
    cases.timeline_add(
        case=case,
        author=from_member,
        kind=TimelineKind.HANDOFF,
        text=_("Handed to %(name)s because of a possible conflict of interest.") % {"name": to_member.name},
    )
    audit_record(actor=from_member, action="case.handed_off", target=case)
    return handoff


@transaction.atomic
def immediate_response_record(*, case: Case, by: Member, action: str, note: str = "") -> ImmediateResponse:
    """Any responder may act at once on an unsafe situation; law enforcement only if the reporter asked."""
    from cocdesk.cases.models import ImmediateAction

    if action == ImmediateAction.LAW_ENFORCEMENT and not case.law_enforcement_requested:
        raise PermissionError("Law enforcement is only involved when the reporter asks for it.")
    response = ImmediateResponse.objects.create(case=case, recorded_by=by, action=action, note=note)
    cases.timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.IMMEDIATE,
        text=f"{response.get_action_display()}. {note}".strip(),
    )
    return response


@transaction.atomic
def portal_reply(*, case: Case, body: str) -> Message:
    """The reporter adds information through the receipt-code portal."""
    return reporter_message_record(case=case, body=body)


@transaction.atomic
def reporter_message_record(
    *,
    case: Case,
    body: str,
    timeline_kind: str = TimelineKind.MESSAGE_IN,
    timeline_text: str | None = None,
    actor: str = "public",
    action: str = "case.reporter_message",
) -> Message:
    """A message from the reporter (portal or email reply): kept, on the timeline, participants told."""
    message = Message.objects.create(
        case=case, direction=MessageDirection.FROM_REPORTER, kind=MessageKind.REPLY, body=body
    )
    text = body if timeline_text is None else timeline_text
    cases.timeline_add(case=case, author=None, kind=timeline_kind, text=text)
    audit_record(actor=actor, action=action, target=case)
    _tell_participants_of_new_message(case)
    return message


def _tell_participants_of_new_message(case: Case) -> None:
    from django.conf import settings

    # Nobody has declared yet: tell everyone who may still be asked, so the message is not missed.
    recipients = access.case_participants(case)
    if not recipients.exists():
        recipients = access.members_to_notify(case)
    for member in recipients:
        outbox_enqueue(
            kind="reporter_message",
            case=case,
            member=member,
            subject=_("[%(ref)s] The reporter added something") % {"ref": case.reference},
            body=_("There is a new message from the reporter on %(ref)s:\n%(url)s/cases/%(ref)s/\n")
            % {"ref": case.reference, "url": settings.BASE_URL},
        )


@transaction.atomic
def event_create(*, actor: Member, name: str, starts_on, ends_on, place: str = "") -> Event:
    event = Event(name=name, starts_on=starts_on, ends_on=ends_on, place=place)
    event.full_clean()
    event.save()
    audit_record(actor=actor, action="event.created", target=event)
    return event


@transaction.atomic
def event_responder_add(*, actor: Member, event: Event, name: str, email: str) -> tuple[Member, str | None]:
    """Name an organizer as the event's responder; a new account gets an enrolment link."""
    member = Member.objects.filter(email=email.strip().lower()).first()
    link = None
    if member is None:
        member, link = member_add(email=email, name=name, role=Role.EVENT_RESPONDER, actor=actor)
    event.responders.add(member)
    audit_record(actor=actor, action="event.responder_added", object_type="event", object_id=event.pk)
    return member, link
