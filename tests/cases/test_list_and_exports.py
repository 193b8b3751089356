"""The case list ("the spreadsheet") and its CSV export (case-file issue)."""

import pytest

from cocdesk.audit.models import AuditEntry
from cocdesk.cases import services as d
from cocdesk.cases.exports import _cell
from cocdesk.cases.models import ConsequenceCatalogItem
from cocdesk.cases.services import conflict_declare
from cocdesk.members.selectors import totp_current_code
from tests.factories import case_factory, device_of, verified_client

pytestmark = pytest.mark.django_db


def test_case_list_shows_only_cases_the_member_takes_part_in(alice, bob):
    mine = case_factory(participants=(alice,))
    hidden = case_factory(reported="Other Person")
    conflict_declare(case=hidden, member=alice, has_conflict=True)
    page = verified_client(alice).get("/cases/").text
    assert mine.reference in page and hidden.reference not in page


def test_case_list_filters_and_sorts(alice, bob):
    first = case_factory(participants=(alice, bob))
    second = case_factory(participants=(alice,), urgent=True)
    d.owners_set(case=first, primary=alice, secondary=bob, by=alice)
    client = verified_client(alice)
    urgent = client.get("/cases/?urgent=1").text
    assert second.reference in urgent and first.reference not in urgent
    mine = client.get("/cases/?mine=1").text
    assert first.reference in mine and second.reference not in mine
    oldest = client.get("/cases/?sort=oldest").text
    assert oldest.index(first.reference) < oldest.index(second.reference)
    assert client.get("/cases/?sort=evil&state=nonsense").status_code == 200


def test_csv_export_needs_step_up_is_audited_and_leaves_out_conflicted_cases(alice):
    mine = case_factory(participants=(alice,))
    hidden = case_factory(reported="Other Person")
    conflict_declare(case=hidden, member=alice, has_conflict=True)
    client = verified_client(alice)
    assert "Confirm it is you" in client.get("/cases/export.csv").text
    client.post("/cases/export.csv", {"code": totp_current_code(device_of(alice))})
    export = client.get("/cases/export.csv")
    assert export["Content-Type"].startswith("text/csv")
    assert mine.reference in export.text and hidden.reference not in export.text
    assert "canary" not in export.text  # the list, not the contents
    assert AuditEntry.objects.filter(action="cases.exported_csv", actor=f"member:{alice.pk}").exists()


def test_csv_cells_cannot_become_spreadsheet_formulas():

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("CoC-2026-0001") == "CoC-2026-0001"


def test_markdown_export_without_step_up_asks_for_the_code(alice):
    case = case_factory(participants=(alice,))
    response = verified_client(alice).get(f"/cases/{case.reference}/export/")
    assert "Confirm it is you" in response.text and "canary" not in response.text
    assert not AuditEntry.objects.filter(action="case.exported").exists()


def test_search_finds_by_reference_or_exact_name_and_never_a_hidden_case(alice):
    mine = case_factory(participants=(alice,), reported="Jamie Doe")
    hidden = case_factory(reported="Jamie Doe")
    conflict_declare(case=hidden, member=alice, has_conflict=True)
    client = verified_client(alice)
    by_name = client.get("/cases/?q=jamie  DOE").text
    assert mine.reference in by_name and hidden.reference not in by_name
    assert mine.reference in client.get(f"/cases/?q={mine.reference[-4:]}").text
    assert mine.reference not in client.get("/cases/?q=Someone Else").text


def test_a_catalog_item_that_is_not_a_number_is_a_form_error_not_a_server_error(alice):
    before = list(ConsequenceCatalogItem.objects.values_list("pk", "label"))
    response = verified_client(alice).post("/catalog/", {"item": "abc", "label": "Renamed", "active": "on"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert list(ConsequenceCatalogItem.objects.values_list("pk", "label")) == before


def test_a_member_renames_a_catalog_item_through_the_form(alice):
    item = ConsequenceCatalogItem.objects.first()
    response = verified_client(alice).post("/catalog/", {"item": item.pk, "label": "A kind warning"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.label, item.active) == ("A kind warning", False)
