"""Matching reports on the same person, and unsealing escrowed reports (D7).

Reported people are compared by their blind indexes (keyed hashes of normalised names, email
addresses and handles), never by the identifiers themselves. Intake calls `escrow_match` after
opening a case; cases know nothing of escrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cocdesk import access, clock, notices
from cocdesk.audit.services import audit_record
from cocdesk.cases.selectors import cases_naming_same_person
from cocdesk.cases.services import case_unseal
from cocdesk.errors import Refused
from cocdesk.escrow.models import EscrowMatch

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


@transaction.atomic
def escrow_match(*, case: Case) -> list[EscrowMatch]:
    """Match a report against every other: a pair where either side is sealed is a match.

    Side effects: EscrowMatch rows; an alert (reference only) to every member with no conflict on
    either case; an audit entry per match.
    """
    matches = []
    for other in cases_naming_same_person(case=case):
        for sealed, newer in ((other, case), (case, other)):
            if sealed.sealed:
                match, created = EscrowMatch.objects.get_or_create(sealed_case=sealed, other_case=newer)
                if created:
                    matches.append(match)
                    audit_record(actor="system", action="escrow.matched", target=match)
                    notices.escrow_match(match=match)
    return matches


@transaction.atomic
def escrow_unseal(*, match: EscrowMatch, by: Member) -> Case:
    """Unseal an escrowed report after a match: it becomes an ordinary case the committee acts on.

    Side effects: the case is unsealed (`cases.services.case_unseal`: a timeline entry naming the
    matching reference, audit); the match is marked; every member not conflicted is asked to
    declare, as for a new report.
    """
    if not access.escrow_matches_for(by).filter(pk=match.pk).exists():
        raise Refused(_("Only members with no conflict on both reports can unseal."))
    because = _("Unsealed: the same person was reported again (%(ref)s).") % {
        "ref": match.other_case.reference
    }
    case = case_unseal(case=match.sealed_case, by=by, because=because)
    if case is None:
        return match.sealed_case
    EscrowMatch.objects.filter(sealed_case=case, unsealed_at__isnull=True).update(
        unsealed_at=clock.now(), unsealed_by=by
    )
    notices.case_new(case=case)
    return case
