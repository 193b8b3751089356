"""Writing to the reporter (D5): messages members send, the automatic delay notice, templates.

A message is kept on the case (the receipt-code portal shows it) and reaches the reporter by the
route their report allows (`selectors.reporter_route`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.services import reporter_message_out, require_participant
from cocdesk.deadlines import selectors
from cocdesk.deadlines.models import ReporterTemplate, Rule, TemplateKind
from cocdesk.deadlines.services.claims import action_claim
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.cases.models import Case, Message
    from cocdesk.members.models import Member


@dataclass(frozen=True)
class Delivery:
    message: Message
    how: str  # "email", "portal and a notification email", "portal", "kept on the case only"


def template_fill(text: str, *, case: Case, member_name: str) -> str:
    """Put the reference and the sender's name into a template (no other placeholders exist)."""
    return text.replace("{reference}", case.reference).replace("{member}", member_name)


def _deliver_to_reporter(
    *,
    case: Case,
    kind: str,
    subject: str,
    body: str,
    author: Member | None,
    reporter_asked: bool = False,
) -> Delivery:
    """Keep the message (the portal shows it), put it on the timeline, and email it if we may."""
    how = selectors.reporter_route(case=case, reporter_asked=reporter_asked)
    message = reporter_message_out(
        case=case, kind=kind, body=body, author=author, how=how, emailed=how == selectors.Route.EMAIL
    )
    if how == selectors.Route.EMAIL:
        notices.reporter_message(message=message, subject=subject)
    elif how == selectors.Route.PING:  # anonymous: the notification address hears of a message, no more
        notices.reporter_ping(message=message)
    return Delivery(message=message, how=how)


def delay_notice_send(*, case: Case) -> Delivery | None:
    """The automatic delay notice (from the "delay" template), once per case; None if already sent.

    Side effects: DeadlineAction `delay:<case>`, a Message, a timeline entry, audit
    `case.message_sent.delay`, and queued mail (the notice itself to a named reporter, a "you have
    a new message" note to an anonymous reporter's notification address).
    """
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
def reporter_message_send(
    *,
    case: Case,
    author: Member,
    kind: str,
    subject: str,
    body: str,
    reporter_asked: bool = False,
) -> Delivery:
    """A member sends the reporter a message they wrote or adapted from a template.

    A reporter who chose no further involvement gets a message only when they asked for it
    (`reporter_asked`, confirmed by the member). Side effects: a Message (shown in the receipt-code
    portal), a timeline entry with the text, audit `case.message_sent.<kind>`, and a queued email
    (the outbox worker sends it): the message itself to a named reporter (reference in the subject,
    so replies thread back), or only "you have a new message" to an anonymous reporter's
    notification address.
    """
    if kind not in TemplateKind.values:
        raise Refused(_("Please choose what kind of message this is."))
    require_participant(case, author)
    reporter_asked = reporter_asked and not case.wants_updates  # only means something for them
    if not case.wants_updates and not reporter_asked:
        raise Refused(
            _(
                "This reporter asked for no further involvement. Please write only if they asked "
                "you for something, and tick the box to say so."
            )
        )
    if not body.strip():
        raise Refused(_("Please write the message."))
    return _deliver_to_reporter(
        case=case,
        kind=kind,
        subject=subject.strip(),
        body=body.strip(),
        author=author,
        reporter_asked=reporter_asked,
    )


@transaction.atomic
def reporter_template_update(*, kind: str, subject: str, body: str, by: Member) -> ReporterTemplate:
    """Change a reporter template. Side effects: the template row, audit `template.updated`."""
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
