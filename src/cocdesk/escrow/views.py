"""Escrow matches (D7): two members free of conflict on both reports unseal, together."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cocdesk import access
from cocdesk.confirm import Confirmation, confirm_form, confirmation_page, confirmed
from cocdesk.errors import Refused
from cocdesk.escrow.selectors import unseal_would_complete
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


@require(access.is_committee_member)
def unseal(request: HttpRequest, match_id: int) -> HttpResponse:
    """GET: what agreeing to unseal does and who is told; POST with the box ticked: the agreement
    (the second one unseals the report, D7)."""
    match = get_object_or_404(
        access.escrow_matches_for(request.user).select_related("sealed_case", "other_case"), pk=match_id
    )
    form = confirm_form(request, label=_("Yes, I agree to unseal this report and act on it."))
    if not confirmed(request, form):
        return confirmation_page(request, _unseal_confirmation(request, match), form)
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


def _unseal_confirmation(request: HttpRequest, match) -> Confirmation:
    if unseal_would_complete(match=match, member=request.user):
        happens = [
            _("Yours is the second agreement: the escrowed report is unsealed now."),
            _(
                "It becomes an ordinary case the committee acts on, although the reporter asked that it "
                "be acted on only if this happened. It cannot be sealed again."
            ),
        ]
        told = [
            _(
                "Every committee member free of conflict on it is asked whether they have a conflict, "
                "as for a new report."
            ),
            _("The reporter is not told by this step."),
        ]
    else:
        happens = [
            _("Your agreement is recorded. Nothing is unsealed yet."),
            _(
                "When a second member free of conflict on both reports agrees, "
                "the report is unsealed for good."
            ),
        ]
        told = [_("The other members free of conflict on both reports are told that a member agreed.")]
    return Confirmation(
        title=_("Unseal the escrowed report that matches %(ref)s?") % {"ref": match.other_case.reference},
        happens=happens,
        told=told,
        button=_("I agree to unseal it"),
        action=reverse("escrow:unseal", kwargs={"match_id": match.pk}),
        cancel_url=reverse("escrow:matches"),
        danger=True,
    )
