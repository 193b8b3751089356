from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.escrow.services import escrow_unseal


def matches(request: HttpRequest) -> HttpResponse:
    """Matches between escrowed reports and others, for members with no conflict on either."""
    if not access.is_committee_member(request.user):
        raise Http404
    found = access.escrow_matches_for(request.user).select_related("sealed_case", "other_case")
    return render(request, "escrow/matches.html", {"matches": found})


@require_POST
def unseal(request: HttpRequest, match_id: int) -> HttpResponse:
    match = get_object_or_404(access.escrow_matches_for(request.user), pk=match_id)
    case = escrow_unseal(match=match, by=request.user)
    return redirect("cases:detail", reference=case.reference)
