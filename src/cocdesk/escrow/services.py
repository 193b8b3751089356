"""Matching reports on the same person, and unsealing escrowed reports (D7).

Reported people are compared by their blind indexes (keyed hashes of normalised names, email
addresses and handles), never by the identifiers themselves. Intake calls `escrow_match` after
opening a case; cases know nothing of escrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cocdesk import access, clock, notices
from cocdesk.audit.services import audit_record, audit_record_many
from cocdesk.cases.selectors import case_made_by_member, cases_naming_same_person
from cocdesk.cases.services import case_unseal
from cocdesk.errors import Refused
from cocdesk.escrow.models import EscrowMatch, UnsealAgreement
from cocdesk.escrow.selectors import UNSEAL_AGREEMENTS_NEEDED, unseal_agreements_counted

if TYPE_CHECKING:
    from cocdesk.cases.models import Case
    from cocdesk.members.models import Member


@transaction.atomic
def escrow_match(*, case: Case, triggered_by: Member | None = None) -> list[EscrowMatch]:
    """Match a report against every other: a pair where either side is sealed is a match.

    `triggered_by`: the member whose change found it (a person they added to a case); otherwise the
    committee member who made or took the report, if one did (`cases.selectors.case_made_by_member`).
    Side effects: EscrowMatch rows, with who triggered them (shown to the others); an audit entry
    per match; one alert (reference only) to every member with no conflict on both cases of at
    least one new match. The same statements whatever the number of matches (issue 15): the
    earlier reports are found in one query over the blind indexes, the new pairs inserted at once.
    """
    pairs = [
        (sealed, newer)
        for other in cases_naming_same_person(case=case)
        for sealed, newer in ((other, case), (case, other))
        if sealed.sealed
    ]
    if not pairs:
        return []
    trigger = triggered_by if triggered_by is not None else case_made_by_member(case=case)
    known = set(
        EscrowMatch.objects.filter(Q(sealed_case=case) | Q(other_case=case)).values_list(
            "sealed_case_id", "other_case_id"
        )
    )
    fresh = [
        EscrowMatch(sealed_case=sealed, other_case=newer, triggered_by=trigger)
        for sealed, newer in dict.fromkeys(pairs)
        if (sealed.pk, newer.pk) not in known
    ]
    if not fresh:
        return []
    try:
        with transaction.atomic():
            matches = EscrowMatch.objects.bulk_create(fresh)
    except IntegrityError:  # a concurrent intake stored some of these pairs first: one at a time
        matches = []
        for match in fresh:
            stored, created = EscrowMatch.objects.get_or_create(
                sealed_case=match.sealed_case, other_case=match.other_case, defaults={"triggered_by": trigger}
            )
            if created:
                matches.append(stored)
    audit_record_many(actor="system", action="escrow.matched", targets=matches)
    notices.escrow_matches(matches=matches)
    return matches


@transaction.atomic
def escrow_unseal(*, match: EscrowMatch, by: Member) -> Case | None:
    """A member free of conflict on both reports agrees to unseal an escrowed report after a match;
    the second such agreement unseals it (D7), and it becomes an ordinary case the committee acts
    on. A member who triggered the match is never one of the two. Returns the case once unsealed,
    None while it waits for a second member.

    Side effects: an UnsealAgreement and audit `escrow.unseal_agreed`; the others are told a member
    agreed. On the second agreement: the case is unsealed (`cases.services.case_unseal`: identities
    re-checked, a timeline entry naming the matching reference, audit); the match is marked; every
    member not conflicted is asked to declare, as for a new report.
    """
    match = (
        EscrowMatch.objects.select_for_update().select_related("sealed_case", "other_case").get(pk=match.pk)
    )
    if not access.members_free_on_both(match.sealed_case, match.other_case).filter(pk=by.pk).exists():
        raise Refused(_("Only members with no conflict on both reports can unseal."))
    if match.unsealed_at is not None or not match.sealed_case.sealed:
        return match.sealed_case
    if match.triggered_by_id == by.pk:
        raise Refused(
            _("This match was found through a report that came from you, so two other members decide.")
        )
    _agreement, created = UnsealAgreement.objects.get_or_create(match=match, member=by)
    if created:
        audit_record(actor=by, action="escrow.unseal_agreed", target=match)
    if unseal_agreements_counted(match=match) < UNSEAL_AGREEMENTS_NEEDED:
        notices.escrow_unseal_agreed(match=match, by=by)
        return None
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
