"""Opening a case from a report, whatever the channel (D2).

`case_open` stores the report before anything acknowledges it. Matching it against escrowed
reports is the caller's next step (`escrow.services.escrow_match`): cases never import escrow.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cocdesk import clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import (
    AttachmentSource,
    Case,
    Channel,
    ConflictDeclaration,
    ConflictSource,
    DiscussionPost,
    Kind,
    Message,
    MessageDirection,
    MessageKind,
    Party,
    PartyRole,
    TimelineEntry,
    TimelineKind,
)
from cocdesk.cases.selectors import case_prompt
from cocdesk.cases.services.conflicts import case_free_members_check, conflict_auto, conflicts_recheck
from cocdesk.cases.services.records import attachment_add
from cocdesk.crypto import blind_index, part_indexes, search_indexes
from cocdesk.errors import Refused
from cocdesk.receipts import receipt_code_new, receipt_hash, reply_token_key, reply_token_new

if TYPE_CHECKING:
    from cocdesk.intake.models import Event
    from cocdesk.members.models import Member


@dataclass(frozen=True)
class Incident:
    """What happened, as every intake channel asks it."""

    description: str
    occurred_when: str = ""
    occurred_where: str = ""
    ongoing: bool = False
    urgent: bool = False
    law_enforcement_requested: bool = False


@dataclass
class PartyInput:
    role: str
    name: str = ""
    email: str = ""
    handle: str = ""
    phone: str = ""
    notes: str = ""

    def is_empty(self) -> bool:
        return not (self.name.strip() or self.email.strip() or self.handle.strip() or self.phone.strip())


@dataclass
class FileInput:
    name: str
    data: bytes | File  # an uploaded file is read only after its size was checked
    keep_metadata: bool = False

    def content(self) -> bytes:
        """The file's bytes (an uploaded file is read from its start)."""
        if isinstance(self.data, bytes):
            return self.data
        self.data.seek(0)
        return self.data.read()


@dataclass
class ReportInput:
    """Everything a report brings, from any channel: the one input of `case_open`."""

    channel: str
    incident: Incident
    kind: str = Kind.NAMED
    parties: list[PartyInput] = field(default_factory=list)
    wants_updates: bool = True  # False: the reporter asked for no further involvement
    preferred_contact: str = ""
    intake_details: dict = field(default_factory=dict)
    excluded_members: list[Member] = field(default_factory=list)
    notify_email: str = ""  # anonymous reporters: only ever told "there is a new message"
    files: list[FileInput] = field(default_factory=list)
    received_by: Member | None = None
    taken_by: Member | None = None  # who took it in person, by phone or DM (may raise danger on it)
    event: Event | None = None
    with_receipt: bool = False
    receipt_code: str | None = None  # chosen before storing (the spool keeps it); else made here
    spool_id: str | None = None  # a web submission's id: stored once, however often it is imported
    # False: no confirmation is emailed (an emailed report whose sender the receiving mail server
    # could not verify: the From line may be forged, and a confirmation would tell that person).
    confirm: bool = True

    @property
    def keeps_no_identity(self) -> bool:
        return self.kind in (Kind.ANONYMOUS, Kind.ESCROWED)


@dataclass
class OpenedCase:
    case: Case
    receipt_code: str | None = None
    notified: list[int] = field(default_factory=list)


# Digits and consonants that cannot be mistaken for one another (no 0/O, 1/I/L) and spell no words.
REFERENCE_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 4  # 28**4 = 614,656 a year; a longer code is drawn if short ones keep colliding
REFERENCE_TRIES = 20


def _reference_code(length: int) -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def _case_create(*, year: int, **fields: object) -> Case:
    """Create the case under a new random reference, `CoC-YYYY-7KQ3`: it reveals no count of
    other cases. A reference already taken (even by a concurrent intake) is drawn again."""
    for attempt in range(REFERENCE_TRIES):
        length = REFERENCE_LENGTH if attempt < REFERENCE_TRIES // 2 else REFERENCE_LENGTH + 2
        reference = f"CoC-{year}-{_reference_code(length)}"
        if Case.objects.filter(reference=reference).exists():
            continue
        token = reply_token_new()
        try:
            with transaction.atomic():
                return Case.objects.create(
                    reference=reference, reply_token=token, reply_token_key=reply_token_key(token), **fields
                )
        except IntegrityError:
            if not Case.objects.filter(reference=reference).exists():
                raise  # some other constraint: not a reference collision
    raise IntegrityError("no free case reference found")


def party_row_create(*, case: Case, person: PartyInput) -> Party:
    """A party row with its identifiers encrypted and their blind indexes beside them (no audit,
    no re-check: the callers, `case_open` and `party_add`, do both)."""
    party = Party(case=case, role=person.role)
    party_fields_set(party=party, person=person)
    party.save()
    return party


def party_fields_set(*, party: Party, person: PartyInput) -> None:
    def index(value: str, kind: str) -> str:
        return blind_index(value, kind=kind) if value.strip() else ""

    party.name, party.email, party.handle = person.name.strip(), person.email.strip(), person.handle.strip()
    party.phone, party.notes = person.phone.strip(), person.notes.strip()
    party.name_index = index(person.name, "name")
    party.email_index = index(person.email, "email")
    party.handle_index = index(person.handle, "handle")
    party.part_indexes = part_indexes(name=person.name, email=person.email, handle=person.handle)
    party.search_indexes = search_indexes(name=person.name, handle=person.handle)


@evidence.atomic_with_files()
def case_open(*, report: ReportInput, actor: object | str | None = None) -> OpenedCase:
    """Store a report as a new case, before anything acknowledges it.

    Side effects: the Case and its parties; automatic conflicts for members who are parties or whom
    the reporter excluded; a "no conflict" declaration for the member who took the report; evidence
    files (cleaned, encrypted; in place when the transaction commits, deleted if it rolls back); an
    intake timeline entry and the discussion's opening line; audit
    `case.created`; queued mail: the reporter's confirmation (if they gave an address and want
    updates) and a notice (reference only) to every member not conflicted, marked urgent when there
    is immediate danger. Escrowed reports are sealed and notify no member, so a report of
    immediate danger is never escrowed (refused: the reporter files it named or anonymous).
    """
    if report.kind == Kind.ESCROWED and report.incident.urgent:
        raise Refused(
            _(
                "A report about someone in danger right now cannot be held in escrow: the committee "
                "must act on it at once. Please file it with a name or anonymously."
            )
        )
    anonymous = report.keeps_no_identity
    parties = [p for p in report.parties if not p.is_empty()]
    if anonymous:  # nothing that identifies the reporter is kept, even if it was typed
        parties = [p for p in parties if p.role != PartyRole.REPORTER]
    now = clock.now()
    code = (report.receipt_code or receipt_code_new()) if report.with_receipt else None
    incident = report.incident
    case = _case_create(
        year=now.year,
        channel=report.channel,
        kind=report.kind,
        sealed=report.kind == Kind.ESCROWED,
        urgent=incident.urgent,
        ongoing=incident.ongoing,
        law_enforcement_requested=incident.law_enforcement_requested,
        wants_updates=report.wants_updates,
        preferred_contact="" if anonymous else report.preferred_contact,
        received_at=now,
        received_by=report.received_by,
        taken_by=report.taken_by,
        event=report.event,
        description=incident.description,
        occurred_when=incident.occurred_when,
        occurred_where=incident.occurred_where,
        intake_details=report.intake_details,
        notify_email=report.notify_email.strip() if anonymous else "",
        receipt_hash=receipt_hash(code) if code else None,
        spool_id=report.spool_id,
    )
    for spec in parties:
        party_row_create(case=case, person=spec)
    conflicts_recheck(case=case, actor=actor)  # members named anywhere in the report (D3)
    for member in report.excluded_members:
        conflict_auto(case=case, member=member, source=ConflictSource.EXCLUDED)
    receiver = report.received_by
    if receiver is not None and receiver.is_committee:
        ConflictDeclaration.objects.get_or_create(
            case=case, member=receiver, defaults={"has_conflict": False}
        )
    for upload in report.files:
        attachment_add(
            case=case,
            name=upload.name,
            data=upload.data,
            source=AttachmentSource.REPORTER if report.channel == Channel.WEB else AttachmentSource.COMMITTEE,
            uploaded_by=receiver,
            keep_metadata=upload.keep_metadata and not anonymous,
            actor=actor,
        )
    TimelineEntry.objects.create(
        case=case,
        at=now,
        author=receiver,
        kind=TimelineKind.INTAKE,
        text=_("Report received %(channel)s.") % {"channel": case.channel_phrase},
    )
    DiscussionPost.objects.create(case=case, author=None, body=discussion_opening_text(case), created_at=now)
    audit_record(actor=actor, action="case.created", target=case)
    case_free_members_check(case=case)
    if report.confirm and notices.reporter_confirmation(case=case) is not None:
        Message.objects.create(
            case=case,
            direction=MessageDirection.TO_REPORTER,
            kind=MessageKind.CONFIRMATION,
            body=notices.reporter_confirmation_text(case=case),
            emailed=True,
        )
    return OpenedCase(case=case, receipt_code=code, notified=notices.case_new(case=case))


def discussion_opening_text(case: Case) -> str:
    """The plan's opening line: "<name> has been reported by <channel>. Who does not have a conflict?"."""
    return case_prompt(case=case).text + " " + _("Who does not have a conflict of interest?")
