"""Escrow matches (D7): members free of conflict on both reports may unseal."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.errors import Refused
from cocdesk.escrow.services import escrow_unseal
from cocdesk.web import refusal_to_messages, require


@require(access.is_committee_member)
def matches(request: HttpRequest) -> HttpResponse:
    """Matches between escrowed reports and others, for members with no conflict on either."""
    found = access.escrow_matches_for(request.user).select_related("sealed_case", "other_case")
    return render(request, "escrow/matches.html", {"matches": found})


@require_POST
@require(access.is_committee_member)
def unseal(request: HttpRequest, match_id: int) -> HttpResponse:
    match = get_object_or_404(access.escrow_matches_for(request.user), pk=match_id)
    try:
        case = escrow_unseal(match=match, by=request.user)
    except Refused as exc:
        refusal_to_messages(request, exc)
        return redirect("escrow:matches")
    return redirect("cases:detail", reference=case.reference)
