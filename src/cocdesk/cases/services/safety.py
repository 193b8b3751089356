"""The safety path (D2): "Someone may be in danger", at any time, on any case.

The plan: "If an incident is creating a physically unsafe situation, any incident responder has the
power to immediately decide a response without convening a meeting of the Code of Conduct
committee", and "Only call law enforcement if the reporter asks you to". What was done is recorded
(action, who, when, note); every member free of conflict is alerted at once; anything given to law
enforcement, at any point (intake included), is a record the community manager is told about.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cocdesk import access, clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Case, ImmediateAction, ImmediateResponse, LawEnforcementRecord, TimelineKind
from cocdesk.cases.services.records import timeline_add
from cocdesk.errors import Refused

if TYPE_CHECKING:
    from cocdesk.members.models import Member

LAW_ONLY_WHEN_ASKED = _lazy("Law enforcement is only involved when the reporter asks for it.")


def law_enforcement_record_create(
    *, case: Case, by: Member | None, shared: str, shared_on: date
) -> LawEnforcementRecord:
    """What was given to law enforcement (the reporter asked), and the community manager told
    (`access.community_managers_for`: they may read exactly this record). Side effects: the record,
    a timeline entry, audit `law_enforcement.recorded`, queued mail to the community manager(s)."""
    if not case.law_enforcement_requested:
        raise Refused(LAW_ONLY_WHEN_ASKED)
    record = LawEnforcementRecord.objects.create(
        case=case, shared=shared, shared_on=shared_on, recorded_by=by
    )
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.LAW_ENFORCEMENT,
        text=_("Shared with law enforcement: %(s)s") % {"s": shared},
    )
    notices.law_enforcement_shared(record=record)
    audit_record(actor=by or "system", action="law_enforcement.recorded", target=record)
    return record


@transaction.atomic
def immediate_response_record(
    *, case: Case, by: Member, action: str, note: str = "", at: datetime | None = None
) -> ImmediateResponse:
    """What a responder did at once (action, who: `by`, when: `at`, note). Law enforcement only if
    the reporter asked; calling them is also a law-enforcement record the community manager is
    told about. Side effects: ImmediateResponse, a timeline entry, audit `case.immediate_response`;
    for law enforcement `law_enforcement_record_create`'s."""
    if action not in ImmediateAction.values:
        raise Refused(_("Please choose what was done."))
    if action == ImmediateAction.LAW_ENFORCEMENT and not case.law_enforcement_requested:
        raise Refused(LAW_ONLY_WHEN_ASKED)
    now = clock.now()
    at = at or now
    if at > now:
        raise Refused(_("That time is in the future. Please record what has been done."))
    response = ImmediateResponse.objects.create(case=case, recorded_by=by, action=action, note=note, at=at)
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.IMMEDIATE,
        text=f"{response.get_action_display()}. {note}".strip(),
    )
    audit_record(actor=by, action="case.immediate_response", target=case)
    if action == ImmediateAction.LAW_ENFORCEMENT:
        shared = note.strip() or _("Law enforcement was called as an immediate response.")
        law_enforcement_record_create(case=case, by=by, shared=shared, shared_on=at.date())
    return response


@transaction.atomic
def danger_raise(
    *,
    case: Case,
    by: Member,
    action: str,
    note: str = "",
    at: datetime | None = None,
    reporter_asked_for_law_enforcement: bool = False,
) -> ImmediateResponse:
    """ "Someone may be in danger": raised by a member taking part or the person who took the report
    (`access.may_raise_danger`), at any time.

    Side effects: the case marked urgent; the reporter's request for law enforcement recorded when
    they asked (`reporter_asked_for_law_enforcement`); the immediate response recorded
    (`immediate_response_record`); audit `case.danger_raised`; an urgent email (reference and a
    link only) at once to every member free of conflict but `by` (`notices.case_danger`).
    """
    if not access.may_raise_danger(by, case):
        raise Refused(_("Only members taking part in this case, or who took the report, can do that."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    changed = []
    if not case.urgent:
        case.urgent = True
        changed.append("urgent")
    if reporter_asked_for_law_enforcement and not case.law_enforcement_requested:
        case.law_enforcement_requested = True
        changed.append("law_enforcement_requested")
        timeline_add(
            case=case,
            author=by,
            kind=TimelineKind.LAW_ENFORCEMENT,
            text=_("The reporter asked us to involve law enforcement."),
        )
    if changed:
        case.save(update_fields=changed)
    response = immediate_response_record(case=case, by=by, action=action, note=note, at=at)
    audit_record(actor=by, action="case.danger_raised", target=case)
    notices.case_danger(case=case, response=response, by=by)
    return response
