"""Matching reports on the same person, and unsealing escrowed reports (DESIGN D7).

Reported people are compared by their blind indexes (keyed hashes of normalised names, email
addresses and handles), never by the identifiers themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases.models import Case, Party, PartyRole, TimelineKind
from cocdesk.escrow.models import EscrowMatch
from cocdesk.members.models import Member
from cocdesk.outbox.services import outbox_enqueue


def _same_person(case: Case) -> Q:
    """Parties of other cases who are reported and share a name, email or handle index with `case`."""
    reported = Party.objects.filter(case=case, role=PartyRole.REPORTED)
    match = Q(pk__in=[])
    for field in ("name_index", "email_index", "handle_index"):
        values = [v for v in reported.values_list(field, flat=True) if v]
        if values:
            match |= Q(**{f"{field}__in": values})
    return match


@transaction.atomic
def escrow_match(*, case: Case) -> list[EscrowMatch]:
    """Match a new report against every other: a pair where either side is sealed is a match.

    Side effects: EscrowMatch rows; an alert (reference only) to every member with no conflict on
    either case; an audit entry per match.
    """
    others = (
        Party.objects.filter(_same_person(case), role=PartyRole.REPORTED)
        .exclude(case=case)
        .filter(case__expunged_at__isnull=True)
        .values_list("case_id", flat=True)
        .distinct()
    )
    matches = []
    for other in Case.objects.filter(pk__in=list(others)):
        for sealed, newer in ((other, case), (case, other)):
            if sealed.sealed:
                match, created = EscrowMatch.objects.get_or_create(sealed_case=sealed, other_case=newer)
                if created:
                    matches.append(match)
                    audit_record(actor="system", action="escrow.matched", target=match)
                    _alert(match)
    return matches


def _alert(match: EscrowMatch) -> None:
    for member in access.members_free_on_both(match.sealed_case, match.other_case):
        outbox_enqueue(
            kind="escrow_match",
            member=member,
            subject=_("A report held in escrow matches another report"),
            body=_(
                "A report held in escrow names the same person as another report. "
                "You may decide to unseal it:\n%(url)s/escrow/\n"
            )
            % {"url": settings.BASE_URL},
            dedupe_key=f"escrow_match:{match.pk}:{member.pk}",
        )


@transaction.atomic
def escrow_unseal(*, match: EscrowMatch, by: Member) -> Case:
    """Unseal an escrowed report after a match: it becomes an ordinary case the committee acts on.

    Side effects: the case is unsealed; a timeline entry names the matching reference; audit;
    every member not conflicted is asked to declare, as for a new report.
    """
    from cocdesk.cases.services import members_notify_new_case, timeline_add

    if not access.escrow_matches_for(by).filter(pk=match.pk).exists():
        raise PermissionError("Only members with no conflict on both reports can unseal.")
    case = Case.objects.select_for_update().get(pk=match.sealed_case_id)
    if not case.sealed:
        return case
    case.sealed = False
    case.save(update_fields=["sealed"])
    EscrowMatch.objects.filter(sealed_case=case, unsealed_at__isnull=True).update(
        unsealed_at=clock.now(), unsealed_by=by
    )
    timeline_add(
        case=case,
        author=by,
        kind=TimelineKind.ESCROW,
        text=_("Unsealed: the same person was reported again (%(ref)s).")
        % {"ref": match.other_case.reference},
    )
    audit_record(actor=by, action="escrow.unsealed", target=case)
    members_notify_new_case(case)
    return case
