"""Lists across cases: the case list and its CSV, the consequence catalog, a member's own conflict
declarations, and what the community manager was given."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cocdesk import access, clock
from cocdesk.audit.services import audit_record
from cocdesk.cases import exports, selectors, services
from cocdesk.cases.forms import CatalogItemForm, DeclarationForm
from cocdesk.cases.models import State
from cocdesk.deadlines import selectors as deadline_selectors
from cocdesk.errors import Refused
from cocdesk.web import found_or_404, refusal_to_form, require, step_up_required

SORTS = [
    ("newest", _("Newest first")),
    ("deadline", _("Next deadline first")),
    ("oldest", _("Oldest first")),
    ("state", _("State")),
    ("reference", _("Reference")),
]


@require(access.is_committee_member)
def cases_index(request: HttpRequest) -> HttpResponse:
    """The case list ("the spreadsheet"), with filters and sorting, and each case's next deadline
    by the rules (D5). Audited, without the filters (a search may hold a name)."""
    listing = selectors.CaseListing.from_query(request.GET)
    audit_record(actor=request.user, action="cases.listed", object_type="case", object_id="list")
    cases = selectors.cases_list(user=request.user, listing=listing)
    if listing.sort == "deadline":
        cases = deadline_selectors.by_next_deadline(cases)
    else:
        cases = deadline_selectors.with_next_deadline(cases)
    cases = list(cases)
    explained = selectors.cases_search_explained(cases=cases, q=listing.q)
    by_deadline = request.GET.copy()
    by_deadline["sort"] = "deadline"
    context = {
        "now": clock.now(),
        "rows": [(case, explained.get(case.pk, [])) for case in cases],
        "deadline_sort": by_deadline.urlencode(),
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
    context = {
        "records": access.law_enforcement_records_for(request.user).select_related("case"),
        "awaiting": access.law_enforcement_records_awaiting_declaration_by(request.user).select_related(
            "case"
        ),
    }
    return render(request, "cases/shared_records.html", context)


def shared_record(request: HttpRequest, record_id: int) -> HttpResponse:
    """The community manager reads exactly what was given to law enforcement, nothing else, after
    answering the conflict question on its case as members do (D3); before, the prompt only."""
    record = (
        access.law_enforcement_records_for(request.user).select_related("case").filter(pk=record_id).first()
    )
    if record is None:
        pending = found_or_404(_shared_awaiting(request, record_id))
        audit_record(actor=request.user, action="case.prompt_read", target=pending.case)
        return _shared_prompt(request, pending, DeclarationForm())
    audit_record(actor=request.user, action="law_enforcement.read", target=record)
    return render(request, "cases/shared_record.html", {"record": record})


def _shared_awaiting(request: HttpRequest, record_id: int):
    records = access.law_enforcement_records_awaiting_declaration_by(request.user)
    return records.select_related("case").filter(pk=record_id).first()


def _shared_prompt(request: HttpRequest, record, form: DeclarationForm, *, status: int = 200) -> HttpResponse:
    context = {"record": record, "prompt": selectors.case_prompt(case=record.case), "form": form}
    return render(request, "cases/shared_declare.html", context, status=status)


@require_POST
@sensitive_post_parameters()
def shared_declare(request: HttpRequest, record_id: int) -> HttpResponse:
    """The community manager answers the conflict question for the case of a shared record."""
    if access.law_enforcement_records_for(request.user).filter(pk=record_id).exists():
        return redirect("cases:shared_record", record_id=record_id)
    pending = found_or_404(_shared_awaiting(request, record_id))
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return _shared_prompt(request, pending, form, status=400)
    has_conflict = form.cleaned_data["answer"] == "conflict"
    services.conflict_declare(case=pending.case, member=request.user, has_conflict=has_conflict)
    if has_conflict:
        messages.info(request, _("Thank you. You will not see anything more of this."))
        return redirect("cases:shared_records")
    return redirect("cases:shared_record", record_id=record_id)


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
