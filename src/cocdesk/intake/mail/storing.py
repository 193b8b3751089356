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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cocdesk import notices
from cocdesk.audit.services import audit_record
from cocdesk.cases import evidence
from cocdesk.cases.models import AttachmentSource, Channel, Kind, PartyRole, TimelineKind
from cocdesk.cases.selectors import case_by_reply_token
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
    FAIL,
    NONE,
    PASS,
    UNCHECKED,
    ParsedEmail,
    SenderCheck,
    email_parse,
    message_key,
    message_key_for_id,
    no_text_description,
    sender_check,
    without_identity,
)
from cocdesk.intake.models import InboundEmail
from cocdesk.intake.services import report_store
from cocdesk.outbox.selectors import reporter_mail_case
from cocdesk.receipts import reply_tokens_in

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


def _thread_target(parsed: ParsedEmail, id_key: str, check: SenderCheck) -> tuple[Case | None, str]:
    """The case this message belongs to, by what only its reporter can know (docs/architecture.md,
    "Mail"): the case's reply token in an address it was sent to (`conduct+TOKEN@…`), else one of
    our own Message-IDs to the reporter in In-Reply-To or References; else, from the address on
    the case and verified as `_confirmable` says, the reporter's own earlier email (a copy with the
    same Message-ID, or a reply to it).

    A case reference in the subject counts for nothing: anyone can write one, so such an email
    opens a new report, and nothing tells its sender that the case exists (sealed ones included).
    """
    for token in reply_tokens_in(parsed.recipients):
        case = case_by_reply_token(token=token)
        if case is not None:
            return case, "token"
    case = reporter_mail_case(message_ids=[*parsed.in_reply_to, *parsed.references])
    if case is not None:
        return case, "our-message"
    if not _confirmable(check) or not parsed.from_address:  # a From line anyone could have written
        return None, ""
    keys = [message_key_for_id(i) for i in parsed.in_reply_to + parsed.references]
    candidates = []
    if id_key:
        candidates.append((InboundEmail.objects.filter(message_id_key=id_key), "message-id"))
    if keys:
        candidates.append((InboundEmail.objects.filter(message_id_key__in=keys), "headers"))
    for emails, how in candidates:
        for earlier in _live(emails).order_by("-received_at", "-pk")[:20]:
            if _from_case_address(earlier.case, parsed.from_address):
                return earlier.case, how
    return None, ""


def _from_case_address(case: Case, address: str) -> bool:
    """Whether the From line shows the address the reporter gave (compared by blind index); only
    the mail server's check says whether it is true."""
    if not address:
        return False
    if case.kind == Kind.NAMED:
        index = blind_index(address, kind="email")
        return case.parties.filter(role=PartyRole.REPORTER, email_index=index).exists()
    notify = case.notify_email
    return bool(notify) and normalize_identifier(notify, kind="email") == normalize_identifier(
        address, kind="email"
    )


def _trusted_authserv_id() -> str:
    return settings.MAIL_AUTHSERV_ID


def _confirmable(check: SenderCheck) -> bool:
    """A new emailed report is confirmed to its From address only when the receiving mail server
    verified the sender, or (development, COCDESK_MAIL_AUTHSERV_ID unset) when nothing was checked:
    a confirmation to a forged From would tell a stranger that a report exists."""
    return check.verdict == PASS or (check.verdict == UNCHECKED and not _trusted_authserv_id())


VERDICT_WORDS = {
    PASS: _lazy("passed"),
    FAIL: _lazy("failed"),
    NONE: _lazy("inconclusive"),
}


def sender_note(*, case: Case | None, from_case_address: bool, check: SenderCheck) -> str:
    """What the committee is told about who sent an email, honestly: an address on this case or
    not, verified by the receiving mail server or not, and that server's Authentication-Results
    (for anonymous and escrowed cases only the verdict: the header names the sender's domain)."""
    named = case is None or case.kind == Kind.NAMED
    if case is None:
        label = ""
    elif not from_case_address:
        label = _("From an address not on this case: check who wrote it before relying on it.")
    elif check.verdict == PASS and named:
        label = _("Sent from the reporter's address: the receiving mail server verified the sender.")
    elif check.verdict == PASS:
        label = _("Sent from the reporter's notification address: the receiving mail server verified it.")
    elif check.verdict == FAIL:
        label = _(
            "The From line shows the address on this case, but the receiving mail server's check "
            "failed: it may be forged. Check who wrote it before relying on it."
        )
    else:
        label = _(
            "The From line shows the address on this case, but nobody could verify it: the From "
            "line of an email can be forged."
        )
    lines = [label] if label else []
    if check.header and named:
        lines.append(_("Mail server check (Authentication-Results): %(header)s") % {"header": check.header})
    elif check.verdict in VERDICT_WORDS:
        lines.append(_("Mail server check: %(verdict)s.") % {"verdict": VERDICT_WORDS[check.verdict]})
    else:
        lines.append(_("Mail server check: none (no Authentication-Results from our mail server)."))
    return "\n".join(lines)


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
    check = sender_check(parsed.authentication_results, trusted_id=_trusted_authserv_id())
    target, threaded_by = _thread_target(parsed, id_key, check)
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
            result = _store(parsed, inbound, target, threaded_by, check)
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


def _store(
    parsed: ParsedEmail, inbound: InboundEmail, target: Case | None, threaded_by: str, check: SenderCheck
) -> IngestResult:
    details: dict[str, object] = {
        "refs": list(dict.fromkeys(message_key_for_id(i) for i in parsed.in_reply_to + parsed.references)),
        "parser": parsed.parser,
        "problems": sorted(set(parsed.problems)),
        "automatic": parsed.automatic,
        "threaded_by": threaded_by,
        "message_id": parsed.message_id,
        "sender_check": check.verdict,
    }
    if target is None:
        confirm = _confirmable(check)
        reporter = PartyInput(
            role=PartyRole.REPORTER,
            name=parsed.from_name,
            # No address for auto-replies and bounces: no confirmation goes back (no mail loop).
            email="" if parsed.automatic else parsed.from_address,
        )
        intake_details: dict[str, object] = {"subject": parsed.subject, "message_id": parsed.message_id}
        if check.header:
            intake_details["authentication_results"] = check.header
        if parsed.automatic:
            intake_details["automatic"] = True
        report = ReportInput(
            channel=Channel.EMAIL,
            incident=Incident(description=_description(parsed)),
            parties=[reporter],
            intake_details=intake_details,
            confirm=confirm,
        )
        case = report_store(report=report, actor="system").case
        note = sender_note(case=None, from_case_address=False, check=check)
        if not confirm and reporter.email:
            note = (
                _(
                    "No confirmation was emailed: the receiving mail server did not verify that this "
                    "email came from the address in its From line, so it may be forged. Check with the "
                    "reporter another way before writing to that address."
                )
                + "\n"
                + note
            )
        sender_text = note
    else:
        case, sender_text = target, ""
        from_case = _from_case_address(case, parsed.from_address)
        details["from_case_address"] = from_case
        note = sender_note(case=case, from_case_address=from_case, check=check)
        body = _description(parsed)
        message = reporter_message_in(
            case=case,
            body=body,
            timeline_kind=TimelineKind.EMAIL_IN,
            timeline_text=f"{note}\n\n{body}",
            actor="system",
            action="case.reporter_email",
            sender_check=note,
        )
        notices.reporter_wrote(message=message)
    added, not_extracted = _add_attachments(case, parsed)
    details["attachments"] = added
    details["not_extracted"] = not_extracted
    note = "\n".join(text for text in (sender_text, _notes(parsed, not_extracted)) if text)
    if note:
        timeline_add(case=case, author=None, kind=TimelineKind.NOTE, text=note)
    inbound.case = case
    inbound.details = details
    return IngestResult(reference=case.reference, created=target is None, threaded=target is not None)
