"""The identifier check before publishing (D6, issue 10): the report's text, tokenised and blind-indexed,
against the parties of the year's cases. Never an oracle: the chair learns only about cases she may
see; the teams of the other cases check them, and she hears "waiting for the case teams' check"
whether or not anything matched."""

import re
from unittest import mock

import pytest
from django.test import TestCase

from cocdesk import clock, crypto
from cocdesk.audit.models import AuditEntry
from cocdesk.cases.models import Case, PartyRole
from cocdesk.cases.services import PartyInput, conflict_declare
from cocdesk.transparency import selectors, services
from cocdesk.transparency.models import ReportStatus, TransparencyReport
from cocdesk.transparency.selectors import IdentifierKind
from tests.factories import open_report, verified_client
from tests.mailbox import delivered
from tests.transparency.conftest import AFTER, IN_2025, IN_2026, draft, incident

pytestmark = pytest.mark.django_db


def named_case(*, at=IN_2026, kind="named", reported="Quinn Avery"):
    """A report received in 2026 about a person with distinct identifiers, and a witness."""
    with clock.frozen(at), TestCase.captureOnCommitCallbacks(execute=True):
        opened = open_report(
            channel="email",
            kind=kind,
            description="whatever",
            parties=[
                PartyInput(
                    role=PartyRole.REPORTED, name=reported, email="qa.writes@example.com", handle="@sparrow42"
                ),
                PartyInput(role=PartyRole.WITNESS, name="Mo", handle="owl@social.example"),
            ],
        )
    return opened.case


def publish(report, chair, moment=AFTER):
    with clock.frozen(moment):
        report.refresh_from_db()
        return services.report_publish(report=report, by=chair, read=selectors.text_digest(report.body))


# --- what the check finds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("A conversation with QUINN AVERY followed.", IdentifierKind.NAME),
        ("A conversation with quinn\n avery followed.", IdentifierKind.NAME),
        ("A talk by (Quinn Avery).", IdentifierKind.NAME),
        ("They wrote as Qa.Writes@Example.COM in the forum.", IdentifierKind.EMAIL),
        ("They wrote as QA.WRITES in the forum.", IdentifierKind.EMAIL_LOCAL),
        ("Posts by @Sparrow42 were hidden.", IdentifierKind.HANDLE),
        ("Posts by SPARROW42 were hidden.", IdentifierKind.HANDLE),
        ("Posts by Owl were hidden.", IdentifierKind.HANDLE),
        ("Posts by @owl@Social.Example were hidden.", IdentifierKind.HANDLE),
        ("Avery apologized.", IdentifierKind.NAME_PART),
        ("Mo apologized.", IdentifierKind.NAME),
    ],
)
def test_an_identifier_of_a_party_the_chair_may_see_blocks_publication(alice, chair, text, kind):
    named = named_case()
    conflict_declare(case=named, member=chair, has_conflict=False)  # she takes part: she checks it herself
    summarized = incident(by=alice, category="harassment", state="closed", summary=text)
    conflict_declare(case=summarized, member=chair, has_conflict=False)
    report = draft(chair)

    outcome = publish(report, chair)

    assert not outcome.published and not outcome.waiting_for_teams
    assert (named.reference, kind) in {(hit.reference, hit.kind) for hit in outcome.hits}
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.published_at is None
    blocked = AuditEntry.objects.get(action="transparency.publish_blocked")
    assert blocked.object_id == str(report.pk)
    logged = " ".join(f"{e.actor} {e.action} {e.object_type} {e.object_id}" for e in AuditEntry.objects.all())
    assert "quinn" not in logged.lower() and "sparrow" not in logged.lower()


def test_words_that_only_contain_an_identifier_do_not_block(alice):
    named = named_case()
    text = "The Quinnipiac sparrow420 averyday owls talk; Mohair, momo and qa.writes.more."
    assert selectors.identifier_hits(text=text, cases=Case.objects.filter(pk=named.pk)) == []


def test_the_check_compares_blind_indexes_and_decrypts_nothing(alice):
    named = named_case()
    with mock.patch.object(crypto, "decrypt", side_effect=AssertionError("decrypted")) as decrypt:
        hits = selectors.identifier_hits(
            text="Quinn Avery and @sparrow42.", cases=Case.objects.filter(pk=named.pk)
        )
    assert decrypt.call_count == 0
    assert {hit.kind for hit in hits} == {IdentifierKind.NAME, IdentifierKind.HANDLE}
    assert {hit.found for hit in hits} == {"Quinn Avery", "@sparrow42"}


def test_a_hit_says_where_in_the_text_it_is(alice, chair):
    named = named_case()
    conflict_declare(case=named, member=chair, has_conflict=False)
    incident(by=alice, category="harassment", state="closed", summary="A remark.")
    incident(by=alice, category="harassment", state="closed", summary="Later Quinn Avery left.")
    report = draft(chair)
    with clock.frozen(AFTER):
        services.report_edit(
            report=report, by=chair, promotion="Thanks, @sparrow42!", include_statistics=False
        )
    hits = publish(report, chair).hits
    assert {(hit.found, hit.where) for hit in hits} == {
        ("@sparrow42", "How the Code of Conduct was promoted"),
        ("Quinn Avery", "Incident 2"),
    }


def test_the_parties_of_a_case_resolved_in_the_year_are_checked(alice, chair):
    named = named_case(at=IN_2025)
    Case.objects.filter(pk=named.pk).update(state="closed", resolution="no_violation", closed_at=IN_2026)
    conflict_declare(case=named, member=chair, has_conflict=False)
    incident(
        by=alice, category="harassment", state="closed", summary="Sparrow42 was rude.", participants=(chair,)
    )
    assert {hit.reference for hit in publish(draft(chair), chair).hits} == {named.reference}


# --- never an oracle ---------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    """A page without what legitimately differs between two requests: tokens and text digests."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'name="read" value="[0-9a-f]+"', "", text)


def test_the_chair_probing_the_check_gets_the_same_answer_whether_or_not_a_hidden_case_matches(alice, chair):
    hidden = named_case()  # alice takes part; the chair does not: it is hidden from her
    conflict_declare(case=hidden, member=alice, has_conflict=False)
    conflict_declare(case=hidden, member=chair, has_conflict=True)
    named_case(kind="escrowed", reported="Sam Vimes")  # sealed: nobody may learn it exists
    mine = incident(
        by=alice, category="harassment", state="closed", summary="A remark.", participants=(chair,)
    )
    assert mine.pk

    answers = {}
    for probe in ("Thanks to Quinn Avery.", "Thanks to Sam Vimes.", "Thanks to Nobody Special."):
        TransparencyReport.objects.all().delete()
        report = draft(chair)
        with clock.frozen(AFTER):
            head = verified_client(chair)
            head.post("/transparency/drafts/2026/promotion/", {"promotion": probe})
            page = head.get("/transparency/drafts/2026/").text
            report.refresh_from_db()
            attempt = head.post(
                "/transparency/drafts/2026/publish/",
                {"confirm": "on", "read": selectors.text_digest(report.body)},
            )
        outcome = publish(report, chair)
        answers[probe] = (
            outcome.published,
            outcome.waiting_for_teams,
            outcome.hits,
            attempt.status_code,
            _normalised(page.replace(probe, "PROBE")),
            _normalised(attempt.text.replace(probe, "PROBE")),
        )
        assert "Waiting for the case teams’ check." in page
        assert hidden.reference not in page and hidden.reference not in attempt.text

    first, *others = answers.values()
    assert all(other == first for other in others)
    assert first[:4] == (False, True, [], 400)
    assert TransparencyReport.objects.get().status == ReportStatus.DRAFT


def test_a_case_outside_the_year_is_no_oracle_either(alice, chair):
    other = named_case(at=IN_2025)  # hidden from the chair, and not in the 2026 report
    conflict_declare(case=other, member=alice, has_conflict=False)
    incident(by=alice, category="harassment", state="closed", summary="A remark.", participants=(chair,))
    report = draft(chair)
    with clock.frozen(AFTER):
        services.report_edit(
            report=report, by=chair, promotion="Thanks, Quinn Avery.", include_statistics=False
        )
    outcome = publish(report, chair)
    assert outcome.published and not outcome.hits


# --- the case teams' check ---------------------------------------------------------------------------


def _check_page(member, case):
    return verified_client(member).get(f"/cases/{case.reference}/transparency/2026/")


def _check(member, case, report, **data):
    report.refresh_from_db()
    with clock.frozen(AFTER):
        return verified_client(member).post(
            f"/cases/{case.reference}/transparency/2026/",
            {"read": selectors.text_digest(report.body), **data},
        )


def test_a_case_hidden_from_the_chair_is_checked_by_its_team(alice, bob, chair):
    hidden = named_case()
    conflict_declare(case=hidden, member=alice, has_conflict=False)
    conflict_declare(case=hidden, member=bob, has_conflict=True)
    mine = incident(
        by=alice,
        category="harassment",
        state="closed",
        summary="Posts by @Sparrow42 were hidden.",
        participants=(chair,),
    )
    report = draft(chair)
    assert _check_page(alice, hidden).status_code == 404  # not asked yet

    with clock.frozen(AFTER), TestCase.captureOnCommitCallbacks(execute=True):
        assert verified_client(chair).post("/transparency/drafts/2026/ask/").status_code == 302
    with clock.frozen(AFTER):  # the outbox sends what is due at that time
        asked = [m for m in delivered() if "transparency report" in m.subject]
    assert [m.to for m in asked] == [[alice.email]]  # the team only: not bob (conflicted), not the chair
    assert "/transparency/2026/" in asked[0].body

    dashboard = verified_client(alice).get("/dashboard/").text
    assert f"/cases/{hidden.reference}/transparency/2026/" in dashboard
    assert hidden.reference not in verified_client(bob).get("/dashboard/").text

    page = _check_page(alice, hidden)
    assert page.status_code == 200 and "Posts by @Sparrow42 were hidden." in page.text
    assert "@Sparrow42" in page.text.split('id="found"')[1].split("</section>")[0]
    assert (
        _check(alice, hidden, report, looks_fine="on").status_code == 400
    )  # not while their person is named
    assert (
        _check(alice, hidden, report, change="Please leave the handle out of incident 1.").status_code == 302
    )

    head = verified_client(chair).get("/transparency/drafts/2026/").text
    assert "Waiting for the case teams’ check." in head
    assert "Please leave the handle out of incident 1." in head and hidden.reference not in head
    assert publish(report, chair).waiting_for_teams

    services.case_public_summary_set(
        case=mine, by=alice, category="harassment", text="Posts were hidden.", anonymizable=True
    )
    with clock.frozen(AFTER):
        services.report_refresh(report=report, by=chair)
    assert "Please leave the handle" not in verified_client(chair).get("/transparency/drafts/2026/").text
    assert _check(alice, hidden, report, looks_fine="on").status_code == 302
    assert AuditEntry.objects.filter(action="transparency.case_checked", object_id=str(hidden.pk)).exists()

    head = verified_client(chair).get("/transparency/drafts/2026/").text
    assert "The case teams have checked this text." in head
    assert publish(report, chair).published


def _team_asked_to_check(member, chair):
    """A case hidden from the chair, on which `member` takes part, and the draft the chair asked its team
    to check."""
    hidden = named_case()
    conflict_declare(case=hidden, member=member, has_conflict=False)
    incident(by=member, category="harassment", state="closed", summary="A remark.", participants=(chair,))
    report = draft(chair)
    with clock.frozen(AFTER):
        services.report_checks_request(report=report, by=chair)
    return hidden, report


def test_a_teams_check_holds_only_for_the_text_it_read(alice, chair):
    hidden, report = _team_asked_to_check(alice, chair)
    stale = selectors.text_digest(report.body)
    with clock.frozen(AFTER):
        services.report_edit(
            report=report, by=chair, promotion="Linked from every page.", include_statistics=False
        )

    response = verified_client(alice).post(
        f"/cases/{hidden.reference}/transparency/2026/", {"read": stale, "looks_fine": "on"}
    )
    assert response.status_code == 400 and "changed" in response.text
    assert publish(report, chair).waiting_for_teams
    assert _check(alice, hidden, report, looks_fine="on").status_code == 302
    with clock.frozen(AFTER):  # the chair changes the text after the team read it…
        services.report_edit(
            report=report, by=chair, promotion="Linked from every page!", include_statistics=False
        )
    assert publish(report, chair).waiting_for_teams  # …so the team checks the new text again
    assert _check(alice, hidden, report, looks_fine="on").status_code == 302
    assert publish(report, chair).published


def test_only_the_case_team_sees_its_check(alice, bob, chair):
    hidden, report = _team_asked_to_check(alice, chair)
    assert _check_page(alice, hidden).status_code == 200
    assert _check_page(bob, hidden).status_code == 404  # not declared
    assert _check_page(chair, hidden).status_code == 404
    assert _check(bob, hidden, report, looks_fine="on").status_code == 404
    assert not selectors.case_checks_waiting(user=bob)


def test_no_team_check_is_needed_when_the_chair_takes_part_in_every_case(alice, chair):
    incident(
        by=alice, category="harassment", state="closed", summary="A remark.", participants=(alice, chair)
    )
    report = draft(chair)
    page = verified_client(chair).get("/transparency/drafts/2026/").text
    assert "No case team needs to check this text" in page
    assert publish(report, chair).published


def test_words_the_report_generates_never_block_but_whole_identifiers_there_do(alice, chair):
    """Nobody can change the generated sentences: a party called "Grace Still" must not make
    "Still open" block the report for ever. Whole names, addresses and @handles are still found."""
    with clock.frozen(IN_2026), TestCase.captureOnCommitCallbacks(execute=True):
        opened = open_report(
            channel="web",
            description="whatever",
            parties=[PartyInput(role=PartyRole.REPORTED, name="Grace Still", handle="@resolved")],
        )
    text = "## Resolutions\n\n- Still open: fewer than 3\n- Resolved with action: 3\n"
    cases = Case.objects.filter(pk=opened.case.pk)
    assert selectors.identifier_hits(text=text, cases=cases) == []
    text += (
        "- Grace Still: @resolved\n\n## How the Code of Conduct was promoted\n\nStill, we resolved much.\n"
    )
    found = {(hit.kind, hit.found, hit.where) for hit in selectors.identifier_hits(text=text, cases=cases)}
    assert found == {
        (IdentifierKind.NAME, "Grace Still", "Resolutions"),
        (IdentifierKind.HANDLE, "@resolved", "Resolutions"),
        (IdentifierKind.NAME_PART, "Still", "How the Code of Conduct was promoted"),
        (IdentifierKind.HANDLE, "resolved", "How the Code of Conduct was promoted"),
    }
