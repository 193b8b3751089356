"""Storing an email (D2, D11): a new case, a reply on its case, or (seen before) nothing new.

No message is ever dropped. The raw message is always kept, encrypted, so anything not extracted
(an attachment of a type we do not take, a part in an unknown encoding) can still be recovered
from it. Storing is one transaction; if it fails, the caller (`ingest-email`, `fetch-mail`)
reports a temporary failure so the message is delivered again, and the Message-ID makes the retry
idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _

from cocdesk import notices
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import AttachmentSource, Channel, Kind, PartyRole, TimelineKind
from cocdesk.cases.selectors import case_by_reference
from cocdesk.cases.services import (
    Incident,
    PartyInput,
    ReportInput,
    attachment_add,
    reporter_message_in,
    timeline_add,
)
from cocdesk.crypto import blind_index, normalize_identifier
from cocdesk.intake.mail.parsing import (
    REFERENCE_RE,
    ParsedEmail,
    email_parse,
    message_key,
    message_key_for_id,
    no_text_description,
    without_identity,
)
from cocdesk.intake.models import InboundEmail
from cocdesk.intake.services import report_store

if TYPE_CHECKING:
    from cocdesk.cases.models import Case

log = logging.getLogger("cocdesk.intake")

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # what common mail providers let through
MAX_ATTACHMENTS = 20  # extracted per message; the rest stay in the kept original
MAX_TEXT_CHARS = 200_000

EX_NOINPUT = 66  # a FILE could not be read
EX_TEMPFAIL = 75  # storing failed: try again later


def storage_failure_text(exc: BaseException) -> str:
    """What went wrong, for the operator: the error's type and first line, never message content."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


@dataclass(frozen=True)
class IngestResult:
    reference: str  # "" only if the case an earlier copy created no longer exists
    created: bool
    duplicate: bool = False
    threaded: bool = False


def _existing(key: str, id_key: str) -> IngestResult | None:
    """This very message, stored before: by Message-ID and content, or (stored before content
    hashes were kept, when both keys were the hashed Message-ID) by Message-ID alone."""
    seen = Q(message_key=key)
    if id_key:
        seen |= Q(message_key=id_key, message_id_key=id_key)
    inbound = InboundEmail.objects.filter(seen).select_related("case").first()
    if inbound is None:
        return None
    return IngestResult(
        reference=inbound.case.reference if inbound.case else "", created=False, duplicate=True
    )


def _live(emails):
    return emails.filter(case__isnull=False, case__expunged_at__isnull=True).select_related("case")


def _thread_target(parsed: ParsedEmail, id_key: str) -> tuple[Case | None, str]:
    """The case this message belongs to: the case of an earlier, different message with the same
    Message-ID; else by its threading headers; else by a reference in the subject.

    Our outgoing mail carries no stored Message-ID, so replies to it are matched by the
    `[CoC-YYYY-7KQ3]` its subject starts with (older cases: `[CoC-YYYY-NNNN]`).
    """
    if id_key:
        earlier = _live(InboundEmail.objects.filter(message_id_key=id_key)).order_by("received_at", "pk")
        first = earlier.first()
        if first is not None:
            return first.case, "message-id"
    keys = [message_key_for_id(i) for i in parsed.in_reply_to + parsed.references]
    if keys:
        earlier = (
            _live(InboundEmail.objects.filter(message_id_key__in=keys))
            .order_by("-received_at", "-pk")
            .first()
        )
        if earlier is not None:
            return earlier.case, "headers"
    for year, code in REFERENCE_RE.findall(parsed.subject):
        case = case_by_reference(reference=f"CoC-{year}-{code.upper()}")
        if case is not None:
            return case, "subject"
    return None, ""


def _from_case_reporter(case: Case, address: str) -> bool:
    """Whether the sender's address is the one the reporter gave (compared by blind index)."""
    if not address:
        return False
    if case.kind == Kind.NAMED:
        index = blind_index(address, kind="email")
        return case.parties.filter(role=PartyRole.REPORTER, email_index=index).exists()
    notify = case.notify_email
    return bool(notify) and normalize_identifier(notify, kind="email") == normalize_identifier(
        address, kind="email"
    )


def _add_attachments(case: Case, parsed: ParsedEmail) -> tuple[list[str], list[dict[str, object]]]:
    """Extract what the evidence rules accept; note the rest (it stays in the kept original)."""
    added: list[str] = []
    not_extracted: list[dict[str, object]] = []
    for number, item in enumerate(parsed.attachments, start=1):
        if number > MAX_ATTACHMENTS:
            reason = _("more than %(n)s attachments") % {"n": MAX_ATTACHMENTS}
            not_extracted.append({"name": item.name, "size": len(item.data), "reason": reason})
            continue
        try:
            attachment_add(
                case=case,
                name=item.name,
                data=item.data,
                source=AttachmentSource.EMAIL,
                actor="system",
                max_bytes=MAX_ATTACHMENT_BYTES,
            )
        except ValidationError as exc:
            reason = " ".join(exc.messages)
            not_extracted.append({"name": item.name, "size": len(item.data), "reason": reason})
            continue
        added.append(item.name)
    return added, not_extracted


def _notes(parsed: ParsedEmail, not_extracted: list[dict[str, object]]) -> str:
    lines = []
    if parsed.automatic:
        lines.append(
            _("This email was sent automatically (an auto-reply or a delivery report); nobody was answered.")
        )
    if parsed.problems:
        lines.append(_("Parts of this email could not be read. The original message is kept."))
    if not_extracted:
        lines.append(_("These attachments were not extracted; they are kept inside the original message:"))
        lines += [f"- {item['name']}: {item['reason']}" for item in not_extracted]
    return "\n".join(lines)


def _description(parsed: ParsedEmail) -> str:
    text = parsed.text
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + "\n[…] " + _("(The rest is in the original message.)")
    return text or no_text_description()


def email_ingest(*, raw: bytes) -> IngestResult:
    """Store one message: a new case, a reply on its case, or (seen before) nothing new.

    Side effects, in one transaction: an InboundEmail (raw message encrypted in storage under
    `mail/`), then either a named email case opened with `case_open` (which queues the reporter's
    confirmation and the members' notices) or a reporter message on the threaded case
    (participants told) — a different message reusing a known Message-ID is threaded onto the
    case of the first; attachments the evidence rules accept, and a timeline note of anything
    not extracted. Raises on a storage failure, leaving nothing behind, so the caller can ask the
    sender to retry.
    """
    parsed = email_parse(raw)
    key = message_key(message_id=parsed.message_id, raw=raw)
    id_key = message_key_for_id(parsed.message_id) if parsed.message_id else ""
    seen = _existing(key, id_key)
    if seen is not None:
        return seen
    target, threaded_by = _thread_target(parsed, id_key)
    # A reply to an anonymous or escrowed case keeps no trace of who sent it (D2).
    anonymous_target = target is not None and target.kind != Kind.NAMED
    stored_raw = without_identity(raw) if anonymous_target else raw
    try:
        # Every file stored inside (the raw email, attachments) is deleted if this rolls back.
        with evidence.atomic_with_files():
            raw_name, digest = evidence.store_encrypted(stored_raw, folder="mail")
            # First, so a concurrent copy of the same message waits here and then finds this one.
            inbound = InboundEmail.objects.create(
                message_key=key,
                message_id_key=id_key,
                raw_storage_name=raw_name,
                size=len(stored_raw),
                details={},
            )
            result = _store(parsed, inbound, target, threaded_by)
            inbound.details.update(sha256=digest, identity_removed=anonymous_target)
            inbound.save(update_fields=["case", "details"])
            audit_record(actor="system", action="email.received", target=inbound)
    except IntegrityError:  # the same message, stored meanwhile by another process
        seen = _existing(key, id_key)
        if seen is not None:
            return seen
        raise
    log.info("email stored on case %s (new case: %s)", result.reference, result.created)
    return result


def _store(parsed: ParsedEmail, inbound: InboundEmail, target: Case | None, threaded_by: str) -> IngestResult:
    details: dict[str, object] = {
        "refs": list(dict.fromkeys(message_key_for_id(i) for i in parsed.in_reply_to + parsed.references)),
        "parser": parsed.parser,
        "problems": sorted(set(parsed.problems)),
        "automatic": parsed.automatic,
        "threaded_by": threaded_by,
    }
    if target is None:
        reporter = PartyInput(
            role=PartyRole.REPORTER,
            name=parsed.from_name,
            # No address for auto-replies and bounces: no confirmation goes back (no mail loop).
            email="" if parsed.automatic else parsed.from_address,
        )
        intake_details: dict[str, object] = {"subject": parsed.subject}
        if parsed.automatic:
            intake_details["automatic"] = True
        report = ReportInput(
            channel=Channel.EMAIL,
            incident=Incident(description=_description(parsed)),
            parties=[reporter],
            intake_details=intake_details,
        )
        case = report_store(report=report, actor="system").case
    else:
        case = target
        from_reporter = _from_case_reporter(case, parsed.from_address)
        details["from_reporter_address"] = from_reporter
        sender_note = (
            _("Sent from the reporter's address.")
            if from_reporter
            else _(
                "Sent from an address that is not the reporter's: check who wrote it before relying on it."
            )
        )
        body = _description(parsed)
        message = reporter_message_in(
            case=case,
            body=body,
            timeline_kind=TimelineKind.EMAIL_IN,
            timeline_text=f"{sender_note}\n\n{body}",
            actor="system",
            action="case.reporter_email",
        )
        notices.reporter_wrote(message=message)
    added, not_extracted = _add_attachments(case, parsed)
    details["attachments"] = added
    details["not_extracted"] = not_extracted
    note = _notes(parsed, not_extracted)
    if note:
        timeline_add(case=case, author=None, kind=TimelineKind.NOTE, text=note)
    inbound.case = case
    inbound.details = details
    return IngestResult(reference=case.reference, created=target is None, threaded=target is not None)
