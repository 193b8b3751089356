"""Conflicts that hold against real reports (D3, issue 10): members are recognised by identity, not
by the exact address of their account, in every party and in the report's free text, whenever
either side changes. Each test is an attack that leaked before."""

from datetime import date

import pytest

from cocdesk.audit.models import AuditEntry
from cocdesk.cases import services
from cocdesk.cases.models import ConflictDeclaration, PartyRole
from cocdesk.cases.selectors import party_member
from cocdesk.cases.services import PartyInput, conflict_declare, conflict_possible_clear
from cocdesk.errors import Refused
from cocdesk.members.models import TOTPDevice
from cocdesk.members.services import identity_add, member_add
from tests.factories import member_factory, open_report, verified_client
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

CANARY = "canary-3f81 what he did in the hallway"


def report(*people: PartyInput, description: str = CANARY, channel: str = "web", **fields):
    reporter = PartyInput(role=PartyRole.REPORTER, name="Robin Reporter", email="robin@example.net")
    return open_report(
        channel=channel, description=description, parties=[reporter, *people], with_receipt=True, **fields
    ).case


def reported(name: str = "", email: str = "", handle: str = "") -> PartyInput:
    return PartyInput(role=PartyRole.REPORTED, name=name, email=email, handle=handle)


def sees_nothing(member, case) -> None:
    """Not the page, not the prompt, not a line on the dashboard or the case list, no email."""
    client = verified_client(member)
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert client.post(f"/cases/{case.reference}/declare/", {"answer": "no_conflict"}).status_code == 404
    for page in ("/dashboard/", "/cases/", "/declarations/", "/escrow/"):
        assert case.reference not in client.get(page).text, page
    assert not [m for m in delivered() if member.email in m.to and case.reference in m.subject + m.body]


def source(member, case) -> str | None:
    declaration = ConflictDeclaration.objects.filter(case=case, member=member).first()
    return declaration.source if declaration and declaration.has_conflict else None


# --- full matches: the member is a party ---------------------------------------------------------


def test_a_report_naming_a_member_by_name_only_never_reaches_them(
    carol, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(reported("Carol Hartmann"))
    sees_nothing(carol, case)
    assert source(carol, case) == "party"
    members_told = [m.to for m in delivered() if case.reference in m.subject and "robin" not in m.to[0]]
    assert members_told == [[alice.email]]
    assert party_member(party=case.parties.get(role="reported")) == carol


def test_a_report_naming_a_member_by_handle_only_never_reaches_them(carol, alice):
    identity_add(member=carol, kind="handle", value="@carol_h", by=carol)
    case = report(reported(handle="Carol.H"))
    sees_nothing(carol, case)
    assert source(carol, case) == "party"


@pytest.mark.parametrize(
    "spelling", ["CÁROL   HARTMANN", "Hartmann, Carol", "carol j. hartmann", "Cárol Härtmann"]
)
def test_accented_and_differently_cased_names_still_match(carol, alice, spelling):
    case = report(reported(spelling))
    sees_nothing(carol, case)
    assert source(carol, case) == "party"


def test_a_gmail_alias_with_dots_and_a_tag_still_matches(alice):
    gus = member_factory(name="Gus Member", email="gus.member@gmail.com")
    case = report(reported("Someone", email="GusMember+coc@googlemail.com"))
    sees_nothing(gus, case)


def test_the_reporter_and_witnesses_are_matched_too(carol, alice):
    case = open_report(
        description=CANARY,
        parties=[
            PartyInput(role=PartyRole.REPORTER, name="carol hartmann"),
            PartyInput(role=PartyRole.REPORTED, name="Sam Smith"),
        ],
    ).case
    sees_nothing(carol, case)
    witness_case = report(reported("Sam Smith"), PartyInput(role=PartyRole.WITNESS, name="Hartmann Carol"))
    sees_nothing(carol, witness_case)


def test_a_name_in_the_free_text_conflicts_the_member(carol, alice):
    case = report(reported("Sam Smith"), description="Sam shouted at me while Carol Hartmann filmed it.")
    sees_nothing(carol, case)
    assert source(carol, case) == "party"


def test_an_address_or_handle_in_an_emailed_report_conflicts_the_member(carol, alice):
    identity_add(member=carol, kind="email", value="carolhartmann@gmail.com", by=carol)
    case = report(description="He wrote from carol.hartmann+x@gmail.com at midnight.", channel="email")
    sees_nothing(carol, case)
    identity_add(member=alice, kind="handle", value="alice_m", by=alice)
    other = report(description="Then @AliceM posted the screenshot.", channel="email")
    sees_nothing(alice, other)


# --- partial matches: held until another member clears them ----------------------------------------


def test_a_first_name_only_holds_the_member_until_another_member_clears_them(
    carol, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(reported("Carol"))
    sees_nothing(carol, case)
    assert source(carol, case) == "possible"
    conflict_declare(case=case, member=alice, has_conflict=False)
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Carol Hartmann" in page and "may be involved" in page

    response = verified_client(alice).post(f"/cases/{case.reference}/possible/{carol.pk}/clear/")
    assert response.status_code == 302
    assert source(carol, case) is None
    prompt = verified_client(carol).get(f"/cases/{case.reference}/")
    assert prompt.status_code == 200 and "Carol has been reported by web form." in prompt.text
    for word in ("possibly", "may be involved", "matched", "cleared"):
        assert word not in prompt.text.lower()  # never told why
    assert CANARY not in prompt.text
    assert AuditEntry.objects.filter(action="conflict.possible_cleared", actor=f"member:{alice.pk}").exists()


def test_an_initial_and_a_surname_hold_the_member(carol, alice):
    case = report(reported("C. Hartmann"))
    sees_nothing(carol, case)
    assert source(carol, case) == "possible"


def test_nobody_clears_themselves_and_only_members_taking_part_clear(carol, alice, bob):
    case = report(reported("Carol"))
    with pytest.raises(Refused):
        conflict_possible_clear(case=case, member=carol, by=bob)  # bob has not declared
    assert verified_client(bob).post(f"/cases/{case.reference}/possible/{carol.pk}/clear/").status_code == 404
    conflict_declare(case=case, member=alice, has_conflict=False)
    with pytest.raises(Refused):
        conflict_possible_clear(case=case, member=alice, by=alice)
    assert source(carol, case) == "possible"


def test_a_cleared_member_is_not_held_again_by_the_same_match_but_is_by_a_new_one(carol, alice):
    case = report(reported("Carol"))
    conflict_declare(case=case, member=alice, has_conflict=False)
    conflict_possible_clear(case=case, member=carol, by=alice)
    conflict_declare(case=case, member=carol, has_conflict=False)
    services.conflicts_recheck(case=case)
    assert source(carol, case) is None
    services.party_add(case=case, by=alice, person=reported("C. Hartmann"))
    assert source(carol, case) == "possible"


# --- either side changes later -------------------------------------------------------------------------


def test_a_member_added_after_the_report_never_sees_it(alice):
    case = report(reported(email="frank@example.org"))
    frank, _link = member_add(email="Frank@Example.org", name="Frank Later", actor="system")
    TOTPDevice.objects.create(user=frank, name="test", confirmed=True)  # as after enrolment
    sees_nothing(frank, case)
    assert source(frank, case) == "party"


def test_a_new_alias_ends_access_to_a_report_the_member_was_working_on(carol, alice, bob):
    case = report(reported(handle="@cazza"))
    for member in (alice, bob, carol):
        conflict_declare(case=case, member=member, has_conflict=False)
    services.owners_set(case=case, primary=carol, secondary=alice, by=alice)
    proposal = services.proposal_create(case=case, kind="violation", text="A violation?", by=alice)
    services.vote_cast(proposal=proposal, member=carol, choice="yes")
    services.vote_cast(proposal=proposal, member=alice, choice="yes")
    proposal.refresh_from_db()
    assert proposal.status == "passed"  # 2 of 3
    proposal = services.proposal_create(case=case, kind="plan", text="A plan", by=alice)
    services.vote_cast(proposal=proposal, member=carol, choice="yes")

    identity_add(member=carol, kind="handle", value="Cazza", by=carol)

    sees_nothing(carol, case)
    assert source(carol, case) == "party"
    assert not case.owners.filter(member=carol).exists()
    proposal.refresh_from_db()
    assert proposal.tally["participants"] == 2 and proposal.tally["yes"] == 0  # carol's vote ends


def test_a_new_alias_hides_the_prompt_of_a_report_not_yet_declared(carol, alice):
    case = report(reported("Caroline the Builder"))
    assert verified_client(carol).get(f"/cases/{case.reference}/").status_code == 200
    identity_add(member=carol, kind="name", value="Caroline the Builder", by=carol)
    sees_nothing(carol, case)


def test_a_sealed_report_about_a_member_is_matched_before_anyone_unseals_it(carol, alice):
    sealed = open_report(kind="escrowed", description=CANARY, parties=[reported("Carol Hartmann")]).case
    assert source(carol, sealed) == "party"


# --- the community manager: the same rules -------------------------------------------------------------


def test_the_community_manager_reported_on_a_case_is_not_told_and_cannot_read_the_record(
    alice, bob, django_capture_on_commit_callbacks, community_manager
):
    case = report(reported("Dana Manager"), law_enforcement_requested=True)
    conflict_declare(case=case, member=alice, has_conflict=False)
    with django_capture_on_commit_callbacks(execute=True):
        record = services.law_enforcement_record(
            case=case, by=alice, shared="canary-law what was given", shared_on=date(2026, 11, 21)
        )
    assert source(community_manager, case) == "party"
    assert not [m for m in delivered() if community_manager.email in m.to]
    client = verified_client(community_manager)
    assert client.get(f"/shared/{record.pk}/").status_code == 404
    assert client.post(f"/shared/{record.pk}/declare/", {"answer": "no_conflict"}).status_code == 404
    assert case.reference not in client.get("/shared/").text


def test_a_community_manager_who_declares_a_conflict_sees_nothing_more(alice, community_manager):
    case = report(reported("Sam Smith"), law_enforcement_requested=True)
    conflict_declare(case=case, member=alice, has_conflict=False)
    record = services.law_enforcement_record(
        case=case, by=alice, shared="canary-law", shared_on=date(2026, 1, 2)
    )
    client = verified_client(community_manager)
    client.post(f"/shared/{record.pk}/declare/", {"answer": "conflict"})
    assert client.get(f"/shared/{record.pk}/").status_code == 404
    assert "canary-law" not in client.get("/shared/").text


# --- too few members free -------------------------------------------------------------------------------


def test_the_chair_is_told_when_fewer_than_two_members_remain_free(
    carol, chair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(reported("Carol Hartmann"))  # carol is a party: only the chair is free
    told = [m for m in delivered() if "Fewer than two" in m.subject]
    assert [m.to for m in told] == [[chair.email]] and case.reference in told[0].subject
    assert CANARY not in told[0].body
