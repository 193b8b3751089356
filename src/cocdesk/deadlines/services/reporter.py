"""Writing to the reporter (D5): compose → preview → send, "told them by phone or in person", the
automatic delay notice, and the templates.

A message is kept on the case (the receipt-code portal shows it) and reaches the reporter by the
route their report allows (`selectors.reporter_route`). A reporter who asked for no further
involvement (`Case.wants_updates` False) is never written to; a reporter we cannot write to (no
email address, no receipt code) is told by phone or in person, and a member records that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cocdesk import clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import MessageKind, ToldHow
from cocdesk.cases.selectors import reporter_address
from cocdesk.cases.services import case_wants_updates_set, reporter_message_out, require_participant
from cocdesk.deadlines import selectors
from cocdesk.deadlines.models import ReporterTemplate, Rule, TemplateKind
from cocdesk.deadlines.services.claims import action_claim
from cocdesk.errors import Refused
from cocdesk.fields import ONE_LINE_SUBJECT, has_line_break

if TYPE_CHECKING:
    from cocdesk.cases.models import Case, Message
    from cocdesk.members.models import Member

# "[What the committee decided…]": the parts of a template a member must replace before sending.
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,400}\]")


@dataclass(frozen=True)
class Delivery:
    message: Message
    how: str  # "email", "portal and a notification email", "portal", "kept on the case only"


@dataclass(frozen=True)
class Preview:
    """Exactly what the reporter will get, and where (shown before anything is sent)."""

    kind: str
    route: str  # a selectors.Route value
    address: str  # the email address a named reporter gets it at; "" when nothing is emailed
    email_subject: str  # the email as it will be sent ("" when nothing is emailed)
    email_body: str
    portal_body: str  # what the receipt-code page shows ("" when they have no receipt code)

    @property
    def emails_the_message(self) -> bool:
        return self.route == selectors.Route.EMAIL

    @property
    def emails_a_ping(self) -> bool:
        return self.route == selectors.Route.PING

    @property
    def counts_as_decision(self) -> bool:
        return self.kind == MessageKind.DECISION


def template_fill(text: str, *, case: Case, member_name: str) -> str:
    """Put the reference and the sender's name into a template (no other placeholders exist)."""
    return text.replace("{reference}", case.reference).replace("{member}", member_name)


def placeholders_in(*texts: str) -> list[str]:
    """The `[…]` parts of a template still waiting to be replaced, in order, each once."""
    return list(dict.fromkeys(found for text in texts for found in PLACEHOLDER.findall(text)))


NO_FURTHER_INVOLVEMENT = _lazy(
    "This reporter asked for no further involvement, so we do not write to them or call them. "
    "If they tell us they would like to hear from us again, record that first."
)


def _refuse_unless_they_want_updates(case: Case) -> None:
    if not case.wants_updates:
        raise Refused(NO_FURTHER_INVOLVEMENT, code="no_further_involvement")


def reporter_message_check(*, case: Case, author: Member, kind: str, subject: str, body: str) -> str:
    """Refuse a message that must not go: the member is not taking part, the reporter asked for no
    further involvement, we have no way to write to them, the kind is unknown, the text is empty
    or still has `[…]` parts to replace. Returns the route it would take. Reads only."""
    require_participant(case, author)
    _refuse_unless_they_want_updates(case)
    if kind not in TemplateKind.values:
        raise Refused(_("Please choose what kind of message this is."))
    route = selectors.reporter_route(case=case)
    if route == selectors.Route.NONE:
        raise Refused(
            _(
                "We have no way to write to this reporter: no email address and no receipt code. "
                "Please tell them by phone or in person, then record it on this page."
            ),
            code="no_route",
        )
    if not subject.strip():
        raise Refused(_("Please write a subject."))
    if has_line_break(subject):
        raise Refused(ONE_LINE_SUBJECT, code="line_break")
    if not body.strip():
        raise Refused(_("Please write the message."))
    left = placeholders_in(subject, body)
    if left:
        raise Refused(
            _("Please replace the parts in square brackets before sending: %(parts)s")
            % {"parts": " ".join(left)},
            code="placeholder",
        )
    return route


def reporter_message_preview(*, case: Case, author: Member, kind: str, subject: str, body: str) -> Preview:
    """What the reporter would get by email and in the portal, refused as `reporter_message_send`
    would refuse it. Reads only; sends nothing."""
    subject, body = subject.strip(), body.strip()
    route = reporter_message_check(case=case, author=author, kind=kind, subject=subject, body=body)
    email_subject = email_body = address = ""
    if route == selectors.Route.EMAIL:
        address = reporter_address(case=case)
        email_subject, email_body = notices.reporter_message_text(case=case, subject=subject, body=body)
    elif route == selectors.Route.PING:
        email_subject, email_body = notices.reporter_ping_text()
    return Preview(
        kind=kind,
        route=route,
        address=address,
        email_subject=email_subject,
        email_body=email_body,
        portal_body=body if case.receipt_hash else "",
    )


def _deliver_to_reporter(
    *, case: Case, kind: str, subject: str, body: str, author: Member | None
) -> Delivery:
    """Keep the message (the portal shows it), put it on the timeline, and email it if we may."""
    how = selectors.reporter_route(case=case)
    message = reporter_message_out(
        case=case, kind=kind, body=body, author=author, how=how, emailed=how == selectors.Route.EMAIL
    )
    if how == selectors.Route.EMAIL:
        notices.reporter_message(message=message, subject=subject)
    elif how == selectors.Route.PING:  # anonymous: the notification address hears of a message, no more
        notices.reporter_ping(message=message)
    return Delivery(message=message, how=how)


def delay_notice_send(*, case: Case) -> Delivery | None:
    """The automatic delay notice (from the "delay" template), once per case; None if already sent
    or if the reporter asked for no further involvement or cannot be written to.

    Side effects: DeadlineAction `delay:<case>`, a Message, a timeline entry, audit
    `case.message_sent.delay`, and queued mail (the notice itself to a named reporter, a "you have
    a new message" note to an anonymous reporter's notification address).
    """
    if not case.wants_updates or selectors.reporter_route(case=case) == selectors.Route.NONE:
        return None
    with transaction.atomic():
        if not action_claim(key=f"delay:{case.pk}", rule=Rule.DELAY_NOTICE, case=case):
            return None
        template = selectors.reporter_template(kind=TemplateKind.DELAY)
        sender = _("The Code of Conduct committee")
        return _deliver_to_reporter(
            case=case,
            kind=TemplateKind.DELAY,
            subject=template_fill(template.subject, case=case, member_name=sender),
            body=template_fill(template.body, case=case, member_name=sender),
            author=None,
        )


@transaction.atomic
def reporter_message_send(*, case: Case, author: Member, kind: str, subject: str, body: str) -> Delivery:
    """A member sends the reporter a message they wrote or adapted from a template, after seeing
    its preview. Refused as `reporter_message_check` says (no further involvement, no way to
    write to them, `[…]` left to replace…).

    Side effects: a Message (shown in the receipt-code portal), a timeline entry with the text,
    audit `case.message_sent.<kind>`, and a queued email (the outbox worker sends it): the message
    itself to a named reporter (reference in the subject, so replies thread back), or only "you have
    a new message" to an anonymous reporter's notification address. A decision message counts as
    telling the reporter the outcome (D5).
    """
    subject, body = subject.strip(), body.strip()
    reporter_message_check(case=case, author=author, kind=kind, subject=subject, body=body)
    return _deliver_to_reporter(case=case, kind=kind, subject=subject, body=body, author=author)


@transaction.atomic
def reporter_told_record(
    *, case: Case, by: Member, kind: str, how: str, text: str, at: datetime | None = None
) -> Message:
    """A member told the reporter by phone, in person or otherwise (who: `by`, when: `at`, what:
    `text`). It counts like a written message of that kind: an acknowledgement or update stops
    the reminders, a decision stops the decision reminders and the automatic delay notice (D5).

    Side effects: a Message marked `told` (not shown in the portal), a timeline entry, audit
    `case.reporter_told.<kind>`. Nothing is sent.
    """
    require_participant(case, by)
    _refuse_unless_they_want_updates(case)
    if kind not in TemplateKind.values:
        raise Refused(_("Please choose what you told them."))
    if how not in ToldHow.values:
        raise Refused(_("Please choose how you told them."))
    if not text.strip():
        raise Refused(_("Please note what you told them, in a few words."))
    now = clock.now()
    at = at or now
    if at > now:
        raise Refused(_("That time is in the future. Please record it after you have told them."))
    if at < case.received_at:
        raise Refused(_("That time is before the report was received."))
    return reporter_message_out(
        case=case, kind=kind, body=text.strip(), author=by, how="", emailed=False, told=how, at=at
    )


def reporter_wishes_record(*, case: Case, by: Member, wants_updates: bool) -> Case:
    """The reporter told a member they would like to hear from us again (or no longer): the one
    "no further involvement" field changes (`cases.services.case_wants_updates_set`: timeline,
    audit). From then on the reporter deadlines apply, or stop."""
    return case_wants_updates_set(case=case, by=by, wants_updates=wants_updates)


@transaction.atomic
def reporter_template_update(*, kind: str, subject: str, body: str, by: Member) -> ReporterTemplate:
    """Change a reporter template. The delay notice goes out automatically, so its template may
    have no `[…]` parts to fill in. Side effects: the template row, audit `template.updated`."""
    if has_line_break(subject):
        raise Refused(ONE_LINE_SUBJECT, code="line_break")
    if kind == TemplateKind.DELAY and placeholders_in(subject, body):
        raise Refused(
            _(
                "The delay notice is sent automatically, so nobody fills in the parts in square "
                "brackets. Please write it in full."
            )
        )
    default = selectors.default_template(kind)
    template, _created = ReporterTemplate.objects.get_or_create(
        kind=kind, defaults={"subject": default.subject, "body": default.body}
    )
    template.subject, template.body = subject.strip(), body.strip()
    template.updated_at, template.updated_by = clock.now(), by
    template.full_clean()
    template.save()
    audit_record(actor=by, action="template.updated", target=template)
    return template
