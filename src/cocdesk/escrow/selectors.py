"""Reads for escrow matches (D7). Matches are fetched through `access.escrow_matches_for`."""

from __future__ import annotations

from cocdesk import access
from cocdesk.escrow.models import EscrowMatch

UNSEAL_AGREEMENTS_NEEDED = 2  # D7: two members free of conflict on both reports, together


def unseal_agreements_counted(*, match: EscrowMatch, besides: object | None = None) -> int:
    """The agreements to unseal that count: members still free of conflict on both reports, never
    the member who triggered the match. `besides`: leave that member's own agreement out (the
    confirmation page tells them whether theirs would be the second)."""
    free = access.members_free_on_both(match.sealed_case, match.other_case).values("pk")
    agreed = match.agreements.filter(member__in=free)
    if match.triggered_by_id is not None:
        agreed = agreed.exclude(member_id=match.triggered_by_id)
    if besides is not None:
        agreed = agreed.exclude(member_id=getattr(besides, "pk", None))
    return agreed.count()


def unseal_would_complete(*, match: EscrowMatch, member: object) -> bool:
    """Whether `member` agreeing now unseals the report (theirs would be the second agreement)."""
    return unseal_agreements_counted(match=match, besides=member) + 1 >= UNSEAL_AGREEMENTS_NEEDED
