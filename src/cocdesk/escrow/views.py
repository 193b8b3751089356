"""Escrow matches (D7): two members free of conflict on both reports unseal, together."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.errors import Refused
from cocdesk.escrow.services import escrow_unseal
from cocdesk.web import refusal_to_messages, require


@require(access.is_committee_member)
def matches(request: HttpRequest) -> HttpResponse:
    """Matches between escrowed reports and others, for members with no conflict on either."""
    found = (
        access.escrow_matches_for(request.user)
        .select_related("sealed_case", "other_case", "triggered_by")
        .prefetch_related("agreements__member")
    )
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
    if case is None:
        messages.info(
            request,
            _(
                "Thank you, your agreement is recorded. A second member with no conflict on either "
                "report has to agree before it is unsealed."
            ),
        )
        return redirect("escrow:matches")
    return redirect("cases:detail", reference=case.reference)
