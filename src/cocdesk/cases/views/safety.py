"""The safety path (D2): "Someone may be in danger", on any case, by a member taking part or the
person who took the report. The page shows the plan's guidance and who to call; nothing of the
case but its reference."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from cocdesk import access
from cocdesk.cases import selectors, services
from cocdesk.cases.forms import DangerForm
from cocdesk.cases.models import Case
from cocdesk.errors import Refused
from cocdesk.intake.selectors import safety_info
from cocdesk.web import found_or_404, refusal_to_form, taken_reference


@sensitive_post_parameters()
def case_danger(request: HttpRequest, reference: str) -> HttpResponse:
    """By reference: the members taking part (a link on the case page), and the taker's filed page."""
    return _danger(request, found_or_404(selectors.case_for_safety(user=request.user, reference=reference)))


@sensitive_post_parameters()
def taken_danger(request: HttpRequest, index: int) -> HttpResponse:
    """The taker's dashboard: a report they took on this device, by position (no reference shown)."""
    reference = taken_reference(request, index)
    case = selectors.case_for_safety(user=request.user, reference=reference) if reference else None
    return _danger(request, found_or_404(case))


def _danger(request: HttpRequest, case: Case) -> HttpResponse:
    form = DangerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.danger_raise(
                case=case,
                by=request.user,
                action=data["action"],
                note=data["note"],
                at=data["at"],
                reporter_asked_for_law_enforcement=data["reporter_asked"],
            )
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Recorded. Every committee member free of a conflict of interest is being alerted now."),
            )
            if access.may_view_case(request.user, case):
                return redirect("cases:detail", reference=case.reference)
            return redirect("dashboard")  # the person who took it sees nothing of the case
    context = {
        "case": case,
        "can_read": access.may_view_case(request.user, case),
        "form": form,
        "safety": safety_info(event=case.event),
    }
    return render(request, "cases/danger.html", context, status=400 if form.errors else 200)
