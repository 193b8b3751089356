"""Lists across cases: the case list and its CSV, the consequence catalog, a member's own conflict
declarations, and what the community manager was given."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access
from cocdesk.audit.services import audit_record
from cocdesk.cases import exports, selectors, services
from cocdesk.cases.forms import CatalogItemForm
from cocdesk.cases.models import State
from cocdesk.errors import Refused
from cocdesk.web import refusal_to_form, require, step_up_required

SORTS = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("state", _("State")),
    ("reference", _("Reference")),
]


@require(access.is_committee_member)
def cases_index(request: HttpRequest) -> HttpResponse:
    """The case list ("the spreadsheet"), with filters and sorting. Audited, without the filters (a
    search may hold a name)."""
    listing = selectors.CaseListing.from_query(request.GET)
    audit_record(actor=request.user, action="cases.listed", object_type="case", object_id="list")
    context = {
        "cases": selectors.cases_list(user=request.user, listing=listing),
        "awaiting": selectors.cases_awaiting_list(user=request.user),
        "listing": listing,
        "listing_states": State.choices,
        "sorts": SORTS,
    }
    return render(request, "cases/list.html", context)


@sensitive_post_parameters("code")
@require(access.may_export)
@step_up_required
def cases_export_csv(request: HttpRequest) -> HttpResponse:
    """CSV of the case list: step-up, audited; cases the user may not see are simply absent."""
    listing = selectors.CaseListing.from_query(request.GET)
    rows = selectors.cases_list(user=request.user, listing=listing)
    audit_record(actor=request.user, action="cases.exported_csv", object_type="case", object_id="list")
    response = HttpResponse(exports.cases_csv(cases=rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


@sensitive_post_parameters()
@require(access.is_committee_member)
def catalog(request: HttpRequest) -> HttpResponse:
    """The consequence catalog, editable by the committee."""
    form = CatalogItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.catalog_item_save(by=request.user, **form.cleaned_data)
        except Refused as exc:
            refusal_to_form(form, exc)
        else:
            return redirect("cases:catalog")
    return render(
        request,
        "cases/catalog.html",
        {"items": selectors.consequence_catalog(), "form": form},
        status=400 if form.errors else 200,
    )


@require(access.is_community_manager)
def shared_records(request: HttpRequest) -> HttpResponse:
    records = access.law_enforcement_records_for(request.user).select_related("case")
    return render(request, "cases/shared_records.html", {"records": records})


def shared_record(request: HttpRequest, record_id: int) -> HttpResponse:
    """The community manager reads exactly what was given to law enforcement, nothing else."""
    record = get_object_or_404(
        access.law_enforcement_records_for(request.user).select_related("case"), pk=record_id
    )
    audit_record(actor=request.user, action="law_enforcement.read", target=record)
    return render(request, "cases/shared_record.html", {"record": record})


@require(access.is_committee_member)
def my_declarations(request: HttpRequest) -> HttpResponse:
    """The cases a member declared a conflict on; from here they may ask to take part after all."""
    return render(
        request,
        "cases/declarations.html",
        {"declarations": selectors.my_declared_conflicts(member=request.user)},
    )


@require_POST
@sensitive_post_parameters()
@require(access.is_committee_member)
def rejoin_request(request: HttpRequest, reference: str) -> HttpResponse:
    declaration = get_object_or_404(
        selectors.my_declared_conflicts(member=request.user), case__reference=reference
    )
    try:
        services.conflict_rejoin_request(case=declaration.case, member=request.user)
    except Refused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(
            request,
            _("The members taking part have been asked. You will get access once one of them agrees."),
        )
    return redirect("cases:declarations")
