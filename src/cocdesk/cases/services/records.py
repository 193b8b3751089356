"""Writes to the case file (D4): timeline, evidence, messages to and from the reporter, immediate
responses, the search for the reported person, the type of incident.

Every other app changes case tables through these functions (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import (
    Attachment,
    Case,
    CaseVisit,
    Category,
    Message,
    MessageDirection,
    MessageKind,
    TimelineEntry,
    TimelineKind,
)
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.members.models import Member


def require_participant(case: Case, member: Member) -> None:
    """Writes on a case are for the members taking part in it."""
    if not access.case_participants(case).filter(pk=member.pk).exists():
        raise Refused(_("Only members taking part in this case can do that."))


@transaction.atomic
def timeline_add(*, case: Case, author: Member | None, kind: str, text: str) -> TimelineEntry:
    entry = TimelineEntry.objects.create(case=case, author=author, kind=kind, text=text, at=clock.now())
    audit_record(actor=author or "system", action=f"timeline.{kind}", target=case)
    return entry


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
def reporter_message_in(
    *,
    case: Case,
    body: str,
    timeline_kind: str = TimelineKind.MESSAGE_IN,
    timeline_text: str | None = None,
    actor: str = "public",
    action: str = "case.reporter_message",
    sender_check: str = "",
) -> Message:
    """A message from the reporter (portal or email reply): kept and on the timeline. The caller
    tells the members (`notices.reporter_wrote`). `sender_check`: for an email, who it could be
    checked to come from (shown beside it)."""
    message = Message.objects.create(
        case=case,
        direction=MessageDirection.FROM_REPORTER,
        kind=MessageKind.REPLY,
        body=body,
        sender_check=sender_check,
    )
    timeline_add(
        case=case, author=None, kind=timeline_kind, text=body if timeline_text is None else timeline_text
    )
    audit_record(actor=actor, action=action, target=case)
    return message


@transaction.atomic
def reporter_message_out(
    *,
    case: Case,
    kind: str,
    body: str,
    author: Member | None,
    how: str,
    emailed: bool,
    told: str = "",
    at: datetime | None = None,
) -> Message:
    """A message to the reporter (shown in the receipt-code portal) and its timeline entry; `how`
    says how it reaches them. The caller queues the email (`notices.reporter_message`).

    With `told` (a `ToldHow`), it records instead that `author` told the reporter `body` by phone,
    in person or otherwise at `at`: it counts for the deadlines like a written message (D5) and
    is not shown in the portal. Side effects: a Message, a timeline entry, audit
    `case.message_sent.<kind>` or `case.reporter_told.<kind>`."""
    message = Message.objects.create(
        case=case,
        direction=MessageDirection.TO_REPORTER,
        kind=kind,
        body=body,
        author=author,
        created_at=at or clock.now(),
        emailed=emailed,
        told=told,
    )
    if told:
        heading = _("%(kind)s: told the reporter %(how)s") % {
            "kind": message.get_kind_display(),
            "how": message.get_told_display(),
        }
    else:
        heading = _("%(kind)s to the reporter (%(how)s)") % {"kind": message.get_kind_display(), "how": how}
    timeline_add(case=case, author=author, kind=TimelineKind.MESSAGE_OUT, text=heading + ":\n\n" + body)
    action = f"case.reporter_told.{kind}" if told else f"case.message_sent.{kind}"
    audit_record(actor=author or "system", action=action, target=case)
    return message


@transaction.atomic
def case_wants_updates_set(*, case: Case, by: Member, wants_updates: bool) -> Case:
    """The reporter told us they would (or would no longer) like to hear from us: the one "no
    further involvement" field (D5). Side effects: Case.wants_updates, a timeline entry, audit
    `case.wants_updates_set` — only when it changes."""
    require_participant(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.wants_updates == wants_updates:
        return case
    case.wants_updates = wants_updates
    case.save(update_fields=["wants_updates"])
    text = (
        _("The reporter told us they would like to hear from us again.")
        if wants_updates
        else _("The reporter asked for no further involvement.")
    )
    timeline_add(case=case, author=by, kind=TimelineKind.NOTE, text=text)
    audit_record(actor=by, action="case.wants_updates_set", target=case)
    return case


@transaction.atomic
def case_search_start(*, case: Case, by: Member) -> Case:
    """Record that the committee is looking for the reported person at an event: the reporter is
    then due an update every 24 hours. Side effects: Case.search_started_at (and a cleared end),
    a timeline entry, audit `case.search_started`."""
    require_participant(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.search_started_at is not None and case.search_ended_at is None:
        raise Refused(_("A search is already going on."))
    case.search_started_at, case.search_ended_at = clock.now(), None
    case.save(update_fields=["search_started_at", "search_ended_at"])
    timeline_add(
        case=case, author=by, kind=TimelineKind.SEARCH, text=_("Started searching for the reported person.")
    )
    audit_record(actor=by, action="case.search_started", target=case)
    return case


@transaction.atomic
def case_search_end(*, case: Case, by: Member) -> Case:
    """End the search: daily updates stop being due. Side effects: Case.search_ended_at, a timeline
    entry, audit `case.search_ended`."""
    require_participant(case, by)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.search_started_at is None or case.search_ended_at is not None:
        raise Refused(_("There is no search going on."))
    case.search_ended_at = clock.now()
    case.save(update_fields=["search_ended_at"])
    timeline_add(
        case=case, author=by, kind=TimelineKind.SEARCH, text=_("Stopped searching for the reported person.")
    )
    audit_record(actor=by, action="case.search_ended", target=case)
    return case


@transaction.atomic
def case_category_set(*, case: Case, by: Member, category: str) -> Case:
    """The type of incident (for the transparency report's totals). Side effects: Case.category,
    audit `case.category_set` when it changed."""
    if category not in Category.values:
        raise Refused(_("Please choose a type of incident from the list."))
    if case.category != category:
        Case.objects.filter(pk=case.pk).update(category=category)
        case.category = category
        audit_record(actor=by, action="case.category_set", target=case)
    return case


def case_visit_record(*, case: Case, member: Member) -> None:
    """`member` opened the case page: what was posted until now is no longer new to them (the
    dashboard's "Waiting for you", the digest). Side effects: their CaseVisit row for the case,
    created or moved to now. The read itself is audited by the caller (`case.read`)."""
    CaseVisit.objects.update_or_create(case=case, member=member, defaults={"seen_at": clock.now()})
