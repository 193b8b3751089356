"""Conflicts of interest and the case page (D3; access issue)."""

import contextlib

import pytest
from django.test import Client, RequestFactory

from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import ConflictDeclaration
from cocdesk.cases.services import conflict_declare
from cocdesk.cases.views import deliberation, file, lists
from cocdesk.errors import Refused
from cocdesk.intake import views as intake_views
from cocdesk.members.selectors import totp_current_code
from tests.factories import CASE_CANARY, case_factory, device_of, member_factory, verified_client

pytestmark = pytest.mark.django_db


def page(client, case, suffix=""):
    return client.get(f"/cases/{case.reference}/{suffix}")


def test_undeclared_member_sees_only_the_prompt_with_names_and_channel(alice):
    case = case_factory()
    response = page(verified_client(alice), case)
    assert response.status_code == 200
    assert "Jamie Doe" in response.text and "has been reported by web form" in response.text
    assert "metamour" in response.text  # the plan's examples of conflicts
    assert CASE_CANARY not in response.text
    assert "robin@example.net" not in response.text and "jamie@example.com" not in response.text


def test_declaring_no_conflict_opens_the_case_file(alice):
    case = case_factory()
    client = verified_client(alice)
    response = client.post(f"/cases/{case.reference}/declare/", {"answer": "no_conflict"})
    assert response.status_code == 302
    opened = page(client, case)
    assert CASE_CANARY in opened.text
    assert AuditEntry.objects.filter(
        action="case.read", object_id=str(case.pk), actor=f"member:{alice.pk}"
    ).exists()


def test_member_declaring_a_conflict_sees_nothing_more(alice):
    case = case_factory()
    client = verified_client(alice)
    client.post(f"/cases/{case.reference}/declare/", {"answer": "conflict"})
    assert page(client, case).status_code == 404
    assert case.reference not in client.get("/dashboard/").text
    assert case.reference not in client.get("/cases/").text


def test_member_who_is_a_party_sees_not_even_the_prompt():
    jamie = member_factory(name="Jamie Doe", email="jamie@example.com")
    case = case_factory()
    client = verified_client(jamie)
    assert page(client, case).status_code == 404
    assert case.reference not in client.get("/dashboard/").text
    declaration = ConflictDeclaration.objects.get(case=case, member=jamie)
    assert declaration.has_conflict and declaration.source == "party"


def test_recusing_ends_access_on_the_next_request(alice, bob):
    case = case_factory(participants=(alice, bob))
    client = verified_client(alice)
    assert CASE_CANARY in page(client, case).text
    client.post(f"/cases/{case.reference}/recuse/", {"confirm": "on"})
    assert page(client, case).status_code == 404


def test_clearing_a_conflict_needs_another_members_agreement(alice):
    case = case_factory()
    conflict_declare(case=case, member=alice, has_conflict=True)
    with pytest.raises(Refused):
        conflict_declare(case=case, member=alice, has_conflict=False)
    assert (
        verified_client(alice)
        .post(f"/cases/{case.reference}/declare/", {"answer": "no_conflict"})
        .status_code
        == 404
    )


def test_participants_see_who_takes_part(alice, bob):
    case = case_factory(participants=(alice, bob))
    text = page(verified_client(alice), case).text
    assert "Alice Member" in text and "Bob Member" in text


def test_reporter_contact_shows_only_after_step_up(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    assert "robin@example.net" not in page(client, case).text
    code = totp_current_code(device_of(alice))
    client.post(f"/cases/{case.reference}/contact/", {"code": code})
    assert "robin@example.net" in page(client, case).text
    assert AuditEntry.objects.filter(action="case.step_up").count() == 1


def test_wrong_step_up_code_reveals_nothing(alice):
    case = case_factory(participants=(alice,))
    client = verified_client(alice)
    right = totp_current_code(device_of(alice))
    client.post(f"/cases/{case.reference}/contact/", {"code": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert "robin@example.net" not in page(client, case).text


def test_anonymous_visitor_is_sent_to_login_for_any_case_page():
    case = case_factory()
    response = Client().get(f"/cases/{case.reference}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unknown_reference_and_conflicted_case_look_the_same(alice):
    case = case_factory()
    conflict_declare(case=case, member=alice, has_conflict=True)
    client = verified_client(alice)
    hidden, missing = page(client, case), client.get("/cases/CoC-1999-0001/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text


def test_member_who_declared_a_conflict_can_rejoin_only_with_another_participants_agreement(alice, bob):
    case = case_factory(participants=(bob,))
    conflict_declare(case=case, member=alice, has_conflict=True)
    ana, ben = verified_client(alice), verified_client(bob)
    assert case.reference in ana.get("/declarations/").text
    ana.post(f"/declarations/{case.reference}/rejoin/")
    assert page(ana, case).status_code == 404  # asking is not enough
    assert ana.post(f"/cases/{case.reference}/rejoin/{alice.pk}/agree/").status_code == 404  # not herself
    assert "asks to take part" in page(ben, case).text
    ben.post(f"/cases/{case.reference}/rejoin/{alice.pk}/agree/")
    assert CASE_CANARY in page(ana, case).text


def test_a_party_to_the_case_can_never_rejoin():
    jamie = member_factory(name="Jamie Doe", email="jamie@example.com")
    case = case_factory()
    client = verified_client(jamie)
    assert case.reference not in client.get("/declarations/").text
    assert client.post(f"/declarations/{case.reference}/rejoin/").status_code == 404
    assert not ConflictDeclaration.objects.filter(
        case=case, member=jamie, rejoin_requested_at__isnull=False
    ).exists()


def _marks_post_as_sensitive(view, *args) -> bool:
    """Django's decorator marks the request before the view runs; the view itself may then fail."""

    request = RequestFactory().post("/", {"x": "canary"})
    request.user = None
    with contextlib.suppress(Exception):  # only the mark matters here
        view(request, *args)
    return getattr(request, "sensitive_post_parameters", None) == "__ALL__"


@pytest.mark.parametrize(
    "name",
    [
        "case_declare",
        "case_recuse",
        "case_note_add",
        "case_owners",
        "case_post",
        "case_state",
        "case_proposal",
        "case_context",
        "case_follow_up",
        "case_law_requested",
        "case_law_record",
        "case_conversation",
        "rejoin_request",
        "catalog",
    ],
)
def test_case_views_that_take_confidential_text_hide_it_from_error_reports(name):

    view = next(getattr(module, name) for module in (file, deliberation, lists) if hasattr(module, name))
    args = ("CoC-2026-0001",) if name not in ("catalog",) else ()
    assert _marks_post_as_sensitive(view, *args)


@pytest.mark.parametrize("name", ["report_form", "status_lookup", "status_case", "intake_new"])
def test_intake_views_hide_what_reporters_write_from_error_reports(name):

    assert _marks_post_as_sensitive(getattr(intake_views, name))


# --- who has not answered (issue 10) -----------------------------------------------------------------


def test_participants_see_who_has_not_answered_names_only(alice, bob, carol):
    dave = member_factory(name="Dave Conflicted", email="dave@example.org")
    case = case_factory(participants=(alice,))
    conflict_declare(case=case, member=dave, has_conflict=True)
    client = verified_client(alice)
    text = page(client, case).text
    assert "Still to answer the conflict question: Bob Member, Carol Hartmann." in text
    assert "Dave" not in text  # a declared conflict is an answer, and is not shown
    dashboard = client.get("/dashboard/").text
    assert "still to answer the conflict question: Bob Member, Carol Hartmann" in dashboard
    conflict_declare(case=case, member=bob, has_conflict=False)
    conflict_declare(case=case, member=carol, has_conflict=False)
    assert "still to answer" not in client.get("/dashboard/").text.lower()
    # Someone who has not answered sees the prompt, never the list.
    assert "Still to answer" not in verified_client(member_factory()).get(f"/cases/{case.reference}/").text
