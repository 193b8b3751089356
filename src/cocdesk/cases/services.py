"""Writes on cases: opening a case from any channel, parties, conflicts, timeline, evidence.

Each function is one domain action: keyword-only arguments, one transaction, a timeline entry
where the committee should see it, an audit entry always, and mail queued in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import (
    Attachment,
    Case,
    CaseCounter,
    Channel,
    ConflictDeclaration,
    ConflictSource,
    ContactPreference,
    DiscussionPost,
    IncidentOwner,
    Kind,
    Message,
    MessageDirection,
    MessageKind,
    Party,
    PartyRole,
    State,
    TimelineEntry,
    TimelineKind,
)
from cocdesk.crypto import blind_index, secret_hash
from cocdesk.members.models import Member
from cocdesk.outbox.services import outbox_enqueue

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read back
RECEIPT_LENGTH = 20  # 20 symbols of 30: 98 bits


@dataclass
class PartyInput:
    role: str
    name: str = ""
    email: str = ""
    handle: str = ""
    phone: str = ""
    notes: str = ""
    member: Member | None = None

    def is_empty(self) -> bool:
        return not (self.name.strip() or self.email.strip() or self.handle.strip() or self.phone.strip())


@dataclass
class FileInput:
    name: str
    data: bytes | File  # an uploaded file is read only after its size was checked
    keep_metadata: bool = False


@dataclass
class OpenedCase:
    case: Case
    receipt_code: str | None = None
    notified: list[int] = field(default_factory=list)


def reference_allocate(*, year: int) -> str:
    """The next CoC-YYYY-NNNN. Locks the year's counter row, so concurrent intake never collides."""
    with transaction.atomic():
        if not CaseCounter.objects.filter(year=year).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    CaseCounter.objects.create(year=year, last=1)
            except IntegrityError:  # another intake created the row first
                CaseCounter.objects.filter(year=year).update(last=F("last") + 1)
        number = CaseCounter.objects.get(year=year).last
    return f"CoC-{year}-{number:04d}"


def receipt_code_new() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_code_normalize(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def receipt_hash(code: str) -> str:
    return secret_hash("receipt:" + receipt_code_normalize(code))


def _member_by_email_index() -> dict[str, Member]:
    return {blind_index(m.email, kind="email"): m for m in Member.objects.filter(is_active=True)}


def _party_create(case: Case, spec: PartyInput, members_by_email: dict[str, Member]) -> Party:
    email_index = blind_index(spec.email, kind="email") if spec.email.strip() else ""
    party = Party.objects.create(
        case=case,
        role=spec.role,
        name=spec.name.strip(),
        email=spec.email.strip(),
        handle=spec.handle.strip(),
        phone=spec.phone.strip(),
        notes=spec.notes.strip(),
        name_index=blind_index(spec.name, kind="name") if spec.name.strip() else "",
        email_index=email_index,
        handle_index=blind_index(spec.handle, kind="handle") if spec.handle.strip() else "",
        member=spec.member or members_by_email.get(email_index),
    )
    return party


def _auto_conflict(case: Case, member: Member, source: str) -> None:
    ConflictDeclaration.objects.update_or_create(
        case=case,
        member=member,
        defaults={"has_conflict": True, "source": source, "declared_at": clock.now()},
    )


@evidence.atomic_with_files()
def case_open(
    *,
    channel: str,
    kind: str = Kind.NAMED,
    description: str,
    occurred_when: str = "",
    occurred_where: str = "",
    ongoing: bool = False,
    urgent: bool = False,
    law_enforcement_requested: bool = False,
    wants_updates: bool = True,
    preferred_contact: str = ContactPreference.EMAIL,
    intake_details: dict | None = None,
    parties: Iterable[PartyInput] = (),
    excluded_members: Iterable[Member] = (),
    notify_email: str = "",
    files: Iterable[FileInput] = (),
    received_by: Member | None = None,
    event: object | None = None,
    with_receipt: bool = False,
    actor: object | str | None = None,
) -> OpenedCase:
    """Store a report as a new case, before anything acknowledges it.

    Side effects: the Case and its parties; automatic conflicts for members who are parties or whom
    the reporter excluded; a "no conflict" declaration for the member who took the report; evidence
    files (cleaned, encrypted; in place when the transaction commits, deleted if it rolls back); an
    intake timeline entry; audit `case.created`; queued mail: the reporter's confirmation (if they
    gave an address and want updates) and a notice (reference only) to every member not
    conflicted, marked urgent when there is immediate danger. Escrowed reports are sealed and
    notify no member.
    """
    anonymous = kind in (Kind.ANONYMOUS, Kind.ESCROWED)
    parties = [p for p in parties if not p.is_empty()]
    if anonymous:  # nothing that identifies the reporter is kept, even if it was typed
        parties = [p for p in parties if p.role != PartyRole.REPORTER]
        preferred_contact = ContactPreference.NONE
    now = clock.now()
    code = receipt_code_new() if with_receipt else None
    case = Case.objects.create(
        reference=reference_allocate(year=now.year),
        channel=channel,
        kind=kind,
        sealed=kind == Kind.ESCROWED,
        urgent=urgent,
        ongoing=ongoing,
        law_enforcement_requested=law_enforcement_requested,
        wants_updates=wants_updates,
        preferred_contact=preferred_contact,
        received_at=now,
        received_by=received_by,
        event=event,
        description=description,
        occurred_when=occurred_when,
        occurred_where=occurred_where,
        intake_details=intake_details or {},
        notify_email=notify_email.strip() if anonymous else "",
        receipt_hash=receipt_hash(code) if code else None,
    )
    members_by_email = _member_by_email_index()
    for spec in parties:
        party = _party_create(case, spec, members_by_email)
        if party.member_id:
            _auto_conflict(case, party.member, ConflictSource.PARTY)
    for member in excluded_members:
        _auto_conflict(case, member, ConflictSource.EXCLUDED)
    if received_by is not None and received_by.is_committee:
        ConflictDeclaration.objects.get_or_create(
            case=case, member=received_by, defaults={"has_conflict": False}
        )
    for upload in files:
        attachment_add(
            case=case,
            name=upload.name,
            data=upload.data,
            source="reporter" if channel == Channel.WEB else "committee",
            uploaded_by=received_by,
            keep_metadata=upload.keep_metadata and not anonymous,
            actor=actor,
        )
    TimelineEntry.objects.create(
        case=case,
        at=now,
        author=received_by,
        kind=TimelineKind.INTAKE,
        text=_("Report received %(channel)s.") % {"channel": case.channel_phrase},
    )
    DiscussionPost.objects.create(case=case, author=None, body=discussion_opening_text(case), created_at=now)
    audit_record(actor=actor, action="case.created", target=case)
    opened = OpenedCase(case=case, receipt_code=code)
    _confirm_to_reporter(case, code)
    opened.notified = members_notify_new_case(case)
    from cocdesk.escrow.services import escrow_match  # escrow builds on cases; imported late

    escrow_match(case=case)
    return opened


def reporter_address(case: Case) -> str:
    """Where the reporter gets email: their own address if named, else the notification-only one."""
    if case.kind == Kind.NAMED:
        return next((p.email for p in case.parties.filter(role=PartyRole.REPORTER) if p.email), "")
    return case.notify_email


def _confirm_to_reporter(case: Case, code: str | None) -> None:
    address = reporter_address(case)
    if not address or not case.wants_updates:
        return
    context = {"case": case, "anonymous": case.kind != Kind.NAMED, "base_url": settings.BASE_URL}
    body = render_to_string("email/reporter_confirmation.txt", context)
    Message.objects.create(
        case=case,
        direction=MessageDirection.TO_REPORTER,
        kind=MessageKind.CONFIRMATION,
        body=body,
        emailed=True,
    )
    outbox_enqueue(
        kind="reporter_confirmation",
        case=case,
        address=address,
        subject=_("[%(ref)s] We received your report") % {"ref": case.reference},
        body=body,
        dedupe_key=f"reporter_confirmation:{case.pk}",
    )


def members_notify_new_case(case: Case) -> list[int]:
    """A notice with the reference and a link only (DESIGN D12); none to conflicted members."""
    kind = "case_urgent" if case.urgent else "case_new"
    subject = (
        _("[%(ref)s] URGENT: immediate danger reported. Please check now.")
        if case.urgent
        else _("[%(ref)s] A new report needs your conflict declaration")
    ) % {"ref": case.reference}
    notified = []
    for member in access.members_to_notify(case):
        body = render_to_string(
            "email/member_case_notice.txt",
            {"case": case, "member": member, "base_url": settings.BASE_URL, "urgent": case.urgent},
        )
        outbox_enqueue(
            kind=kind,
            case=case,
            member=member,
            subject=subject,
            body=body,
            dedupe_key=f"{kind}:{case.pk}:{member.pk}",
        )
        notified.append(member.pk)
    return notified


@evidence.atomic_with_files()
def attachment_add(
    *,
    case: Case,
    name: str,
    data: bytes | File,
    source: str,
    uploaded_by: Member | None = None,
    keep_metadata: bool = False,
    actor: object | str | None = None,
    max_bytes: int = evidence.MAX_FILE_BYTES,
) -> Attachment:
    """Check, clean, encrypt and store one file (cocdesk.cases.evidence says how).

    `keep_metadata`: a named reporter asked to keep their photos' metadata (PDFs are cleaned all
    the same). Raises Refused with a kind message for a file we cannot take. Side effects: the
    encrypted file (moved into place when the transaction commits, deleted if it rolls back), the
    Attachment row (`cleaned` says whether metadata was removed), audit `attachment.added`.
    """
    prepared = evidence.upload_prepare(name, data, keep_photo_metadata=keep_metadata, max_bytes=max_bytes)
    storage_name, digest = evidence.store_encrypted(prepared.data)
    attachment = Attachment.objects.create(
        case=case,
        source=source,
        uploaded_by=uploaded_by,
        original_name=prepared.name,
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=digest,
        storage_name=storage_name,
        cleaned=prepared.cleaned,
    )
    audit_record(
        actor=actor if actor is not None else uploaded_by, action="attachment.added", target=attachment
    )
    return attachment


@transaction.atomic
def timeline_add(*, case: Case, author: Member | None, kind: str, text: str) -> TimelineEntry:
    entry = TimelineEntry.objects.create(case=case, author=author, kind=kind, text=text, at=clock.now())
    audit_record(actor=author or "system", action=f"timeline.{kind}", target=case)
    return entry


class DeclarationRefused(Exception):
    """A declaration change the rules do not allow (e.g. clearing a conflict without agreement)."""


@transaction.atomic
def conflict_declare(*, case: Case, member: Member, has_conflict: bool) -> ConflictDeclaration:
    """A member answers "Do you have a conflict?" (no reason asked). Declaring a conflict, or
    recusing later, takes effect at once; clearing a conflict needs another participant's agreement."""
    existing = ConflictDeclaration.objects.select_for_update().filter(case=case, member=member).first()
    if existing is not None and existing.has_conflict and not has_conflict:
        raise DeclarationRefused(
            _("Changing a conflict back to no conflict needs another member's agreement.")
        )
    if has_conflict:
        return conflict_set(case=case, member=member)
    declaration, _created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": False, "declared_at": clock.now()}
    )
    audit_record(actor=member, action="conflict.declared_none", target=case)
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def conflict_set(*, case: Case, member: Member, actor: object | str | None = None) -> ConflictDeclaration:
    """Record a conflict (declared, or a recusal): the member's access ends with this transaction.

    `actor` is who did it when it is not the member (off-boarding, a hand-off recorded for them)."""
    declaration, created = ConflictDeclaration.objects.get_or_create(
        case=case, member=member, defaults={"has_conflict": True, "source": ConflictSource.DECLARED}
    )
    if not created and not declaration.has_conflict:
        declaration.has_conflict, declaration.declared_at = True, clock.now()
        declaration.save(update_fields=["has_conflict", "declared_at"])
    audit_record(actor=actor or member, action="conflict.declared", target=case)
    IncidentOwner.objects.filter(case=case, member=member).delete()  # a conflicted member cannot own it
    _participation_changed(case, member)
    return declaration


@transaction.atomic
def conflict_rejoin_request(*, case: Case, member: Member) -> ConflictDeclaration:
    """A member who declared a conflict asks to take part after all. Only their own declaration
    counts: a party to the case, or a member the reporter excluded, can never rejoin."""
    declaration = (
        ConflictDeclaration.objects.select_for_update()
        .filter(case=case, member=member, has_conflict=True, source=ConflictSource.DECLARED)
        .first()
    )
    if declaration is None:
        raise DeclarationRefused(_("There is no conflict declaration of yours to change on this case."))
    declaration.rejoin_requested_at = clock.now()
    declaration.save(update_fields=["rejoin_requested_at"])
    audit_record(actor=member, action="conflict.rejoin_requested", target=case)
    for participant in access.case_participants(case):
        outbox_enqueue(
            kind="rejoin_request",
            case=case,
            member=participant,
            subject=_("[%(ref)s] A member asks to take part") % {"ref": case.reference},
            body=_(
                "A member who declared a conflict asks to take part in %(ref)s after all. "
                "Another member taking part needs to agree:\n%(url)s/cases/%(ref)s/\n"
            )
            % {"ref": case.reference, "url": settings.BASE_URL},
            dedupe_key=f"rejoin_request:{declaration.pk}:{declaration.rejoin_requested_at.isoformat()}:{participant.pk}",
        )
    return declaration


@transaction.atomic
def conflict_rejoin_agree(*, case: Case, member: Member, by: Member) -> ConflictDeclaration:
    """Another participating member agrees: the member takes part from now on."""
    if by.pk == member.pk or not access.case_participants(case).filter(pk=by.pk).exists():
        raise DeclarationRefused(_("Another member taking part in the case has to agree."))
    declaration = ConflictDeclaration.objects.select_for_update().get(
        case=case,
        member=member,
        has_conflict=True,
        source=ConflictSource.DECLARED,
        rejoin_requested_at__isnull=False,
    )
    declaration.has_conflict, declaration.rejoin_requested_at, declaration.declared_at = (
        False,
        None,
        clock.now(),
    )
    declaration.save(update_fields=["has_conflict", "rejoin_requested_at", "declared_at"])
    audit_record(actor=by, action="conflict.rejoin_agreed", object_type="case", object_id=case.pk)
    _participation_changed(case, member)
    return declaration


def _participation_changed(case: Case, member: Member) -> None:
    """Votes are counted again when someone joins or leaves; a new case moves into triage."""
    from cocdesk.cases import deliberation

    deliberation.proposals_reevaluate(case=case)
    case.refresh_from_db(fields=["state"])
    if case.state == State.NEW and access.case_participants(case).exists():
        deliberation.case_transition(case=case, to=State.TRIAGE, by=member)


def discussion_opening_text(case: Case) -> str:
    """The plan's opening line: "<name> has been reported by <channel>. Who does not have a conflict?"."""
    names = [p.name or p.handle or "?" for p in case.parties.all() if p.role == PartyRole.REPORTED]
    return _("%(names)s has been reported %(channel)s. Who does not have a conflict of interest?") % {
        "names": ", ".join(names) or _("Someone"),
        "channel": case.channel_phrase,
    }
