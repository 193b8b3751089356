"""Decisions a committee can stand behind (D4, issue 12): a quorum before anything closes, and one
answer per question."""

from datetime import UTC, datetime, timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from cocdesk import clock
from cocdesk.cases import selectors
from cocdesk.cases import services as d
from cocdesk.cases.models import DecisionRound, Proposal, ProposalStatus, State, Vote
from cocdesk.cases.services import ConversationInput, conflict_declare, conflict_set
from cocdesk.errors import Refused
from tests.factories import case_factory, member_factory, verified_client

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_t():
    with clock.frozen(T):
        yield


@pytest.fixture
def carol(db):
    return member_factory(name="Carol Member", email="carol@example.org")


def status(proposal) -> str:
    return Proposal.objects.get(pk=proposal.pk).status


def later(hours: float) -> None:
    """Let time pass, then run what `cocdesk tick` runs for decisions."""
    clock.set_now(clock.now() + timedelta(hours=hours))
    d.proposals_evaluate_due()


# --- quorum -------------------------------------------------------------------------------------------


def test_lone_member_cannot_pass_a_proposal_on_a_new_case(alice, bob, carol):
    case = case_factory(participants=(alice,))  # bob and carol have not declared yet
    proposal = d.proposal_create(case=case, kind="violation", text="No, this is NOT a violation", by=alice)
    assert d.vote_cast(proposal=proposal, member=alice, choice="yes").status == ProposalStatus.OPEN
    later(25)  # the declaration window is over, but one member is not two
    assert status(proposal) == ProposalStatus.OPEN
    conflict_declare(case=case, member=bob, has_conflict=False)
    assert status(proposal) == ProposalStatus.OPEN  # bob has not voted: 1 of 2 is not a majority
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    assert status(proposal) == ProposalStatus.PASSED


def test_nothing_closes_while_a_member_may_still_declare_within_the_window(alice, bob, carol):
    case = case_factory(participants=(alice, bob))
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    assert status(proposal) == ProposalStatus.OPEN  # carol may still declare and vote
    later(23)
    assert status(proposal) == ProposalStatus.OPEN
    later(2)  # 25 hours after the report: `tick` closes it without a new vote
    assert status(proposal) == ProposalStatus.PASSED
    assert Proposal.objects.get(pk=proposal.pk).tally["participants"] == 2


def test_a_no_vote_does_not_fail_a_proposal_before_the_quorum(alice, bob, carol):
    case = case_factory(participants=(alice,))
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    assert d.vote_cast(proposal=proposal, member=alice, choice="no").status == ProposalStatus.OPEN
    for member in (bob, carol):
        conflict_declare(case=case, member=member, has_conflict=False)
        d.vote_cast(proposal=proposal, member=member, choice="yes")
    assert status(proposal) == ProposalStatus.PASSED  # 2 of 3, everyone declared


def test_everyone_declared_closes_the_decision_at_once(alice, bob, carol):
    case = case_factory(participants=(alice, bob))
    conflict_set(case=case, member=carol)
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    assert d.vote_cast(proposal=proposal, member=bob, choice="yes").status == ProposalStatus.PASSED


def test_the_only_member_free_of_conflict_decides_alone_once_the_others_declared(alice, bob, carol):
    case = case_factory(participants=(alice,))
    conflict_set(case=case, member=bob)
    conflict_set(case=case, member=carol)
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    assert d.vote_cast(proposal=proposal, member=alice, choice="yes").status == ProposalStatus.PASSED


def test_immediate_danger_shortens_the_declaration_window(alice, bob, carol):
    case = case_factory(participants=(alice, bob), urgent=True)
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    later(1)
    assert status(proposal) == ProposalStatus.OPEN
    later(1.5)  # 2 hours by default (COCDESK_DECLARATION_WINDOW_URGENT_HOURS)
    assert status(proposal) == ProposalStatus.PASSED


def test_the_window_and_the_quorum_are_settings(settings, alice, bob, carol):
    settings.DECLARATION_WINDOW = timedelta(hours=1)
    settings.QUORUM_MEMBERS = 3
    case = case_factory(participants=(alice, bob))
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    later(2)
    assert status(proposal) == ProposalStatus.OPEN  # three must take part
    conflict_declare(case=case, member=carol, has_conflict=False)
    assert status(proposal) == ProposalStatus.PASSED  # 2 of 3


def test_the_case_page_shows_open_until_quorum(alice, bob, carol):
    case = case_factory(participants=(alice,))
    proposal = d.proposal_create(case=case, kind="violation", text="No, this is NOT a violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Nothing can pass yet." in page
    assert "2 members have not answered the conflict question yet." in page
    assert "At least 2 members need to take part in this case; 1 do now." in page
    assert "1 yes · 0 no · 0 abstaining · of 1 member taking part · open: nothing can pass yet" in page
    assert 'status-open"><span class="status-icon" aria-hidden="true">●</span> Open for votes</span>' in page
    assert "Passed" not in page
    for member in (bob, carol):
        conflict_declare(case=case, member=member, has_conflict=False)
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Nothing can pass yet." not in page
    assert 'status-passed"><span class="status-icon" aria-hidden="true">✓</span> Passed</span>' in page


# --- one answer per question ------------------------------------------------------------------------


@pytest.fixture
def case(alice, bob, carol):
    return case_factory(participants=(alice, bob, carol))


def test_a_passing_answer_closes_its_alternatives(case, alice, bob, carol):
    yes = d.proposal_create(case=case, kind="violation", text="Yes, this is a violation", by=alice)
    no = d.proposal_create(case=case, kind="violation", text="No, this is NOT a violation", by=bob)
    d.vote_cast(proposal=yes, member=alice, choice="yes")
    d.vote_cast(proposal=no, member=bob, choice="yes")
    assert d.vote_cast(proposal=yes, member=carol, choice="yes").status == ProposalStatus.PASSED
    closed = Proposal.objects.get(pk=no.pk)
    assert (closed.status, closed.closed_by_id) == (ProposalStatus.CLOSED, yes.pk)
    with pytest.raises(Refused, match="ended"):
        d.vote_cast(proposal=no, member=carol, choice="yes")
    page = verified_client(alice).get(f"/cases/{case.reference}/").text
    assert "Closed: another answer passed" in page and "Decided in round 1:" in page


def test_voting_yes_for_another_alternative_moves_the_vote(case, alice, bob):
    first = d.proposal_create(case=case, kind="plan", text="Say 'hi all'", by=alice)
    second = d.proposal_create(case=case, kind="plan", text="Say 'hello everyone'", by=bob)
    d.vote_cast(proposal=first, member=alice, choice="yes")
    d.vote_cast(proposal=second, member=alice, choice="yes")
    assert not Vote.objects.filter(proposal=first, member=alice).exists()
    assert selectors.proposal_tally(proposal=second)["yes"] == 1
    d.vote_cast(proposal=first, member=alice, choice="no")  # no and abstain are per proposal
    assert selectors.proposal_tally(proposal=second)["yes"] == 1


def test_proposals_on_different_questions_are_not_alternatives(case, alice, bob):
    violation = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    plan = d.proposal_create(case=case, kind="plan", text="Say 'hi all'", by=alice)
    for member in (alice, bob):
        d.vote_cast(proposal=violation, member=member, choice="yes")
        d.vote_cast(proposal=plan, member=member, choice="yes")
    assert status(violation) == status(plan) == ProposalStatus.PASSED


def test_a_decided_question_takes_no_new_answer_in_the_same_round(case, alice, bob):
    passed = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=passed, member=alice, choice="yes")
    d.vote_cast(proposal=passed, member=bob, choice="yes")
    with pytest.raises(Refused, match="decided in this round"):
        d.proposal_create(case=case, kind="violation", text="Not a violation after all", by=bob)


def test_only_a_re_evaluation_round_reopens_a_decided_question(case, alice, bob, carol):
    passed = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=passed, member=alice, choice="yes")
    d.vote_cast(proposal=passed, member=bob, choice="yes")
    waiting = d.proposal_create(case=case, kind="plan", text="Say 'hi all'", by=alice)
    d.vote_cast(proposal=waiting, member=carol, choice="yes")
    with pytest.raises(Refused, match="no answer yet"):
        d.decision_round_open(case=case, by=alice, questions=["consequences"])
    opened = d.decision_round_open(case=case, by=alice, questions=["violation"])
    assert (opened.number, opened.questions) == (2, ["violation"])
    assert Proposal.objects.get(pk=waiting.pk).round == 2  # open proposals move with their votes
    assert selectors.proposal_tally(proposal=waiting)["yes"] == 1
    again = d.proposal_create(case=case, kind="violation", text="Not a violation after all", by=bob)
    assert again.round == 2
    assert status(passed) == ProposalStatus.PASSED  # the answer stands until a new one passes
    d.vote_cast(proposal=again, member=bob, choice="yes")
    d.vote_cast(proposal=again, member=carol, choice="yes")
    answer = next(q.answer for q in selectors.case_questions(case=case) if q.kind == "violation")
    assert answer.pk == again.pk


def test_a_refused_plan_reopens_the_plan_consequences_and_response_not_the_violation(case, alice, bob):
    violation = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    plan = d.proposal_create(case=case, kind="plan", text="Say 'hi all'", by=alice)
    for proposal in (violation, plan):
        d.vote_cast(proposal=proposal, member=alice, choice="yes")
        d.vote_cast(proposal=proposal, member=bob, choice="yes")
    d.conversation_record(
        case=case,
        by=alice,
        talk=ConversationInput(
            held_on=T.date(),
            members=[alice, bob],
            behavior="b",
            impact="i",
            plan="Say 'hi all'",
            plan_accepted=False,
        ),
    )
    case.refresh_from_db()
    assert case.state == State.DELIBERATION
    assert DecisionRound.objects.get(case=case).questions == ["plan", "consequences", "refusal"]
    assert d.proposal_create(case=case, kind="plan", text="Stay out of #general", by=bob).round == 2
    with pytest.raises(Refused, match="re-evaluation round"):
        d.proposal_create(case=case, kind="violation", text="Not a violation", by=bob)


def test_the_database_keeps_one_answer_per_question(case, alice):
    first = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    second = d.proposal_create(case=case, kind="violation", text="Not a violation", by=alice)
    Proposal.objects.filter(pk=first.pk).update(status=ProposalStatus.PASSED)
    # PostgreSQL names the constraint; SQLite names its columns.
    refused = r"one_answer_per_question|UNIQUE constraint failed"
    with pytest.raises(IntegrityError, match=refused), transaction.atomic():
        Proposal.objects.filter(pk=second.pk).update(status=ProposalStatus.PASSED)


def test_a_new_round_is_opened_over_http_and_returns_to_the_decisions(case, alice, bob):
    passed = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=passed, member=alice, choice="yes")
    d.vote_cast(proposal=passed, member=bob, choice="yes")
    client = verified_client(alice)
    assert "Decide again (re-evaluation)" in client.get(f"/cases/{case.reference}/").text
    response = client.post(f"/cases/{case.reference}/rounds/", {"questions": ["violation"]})
    assert response.status_code == 302 and response["Location"].endswith("#decisions")
    assert selectors.case_current_round(case=case) == 2
    refused = client.post(f"/cases/{case.reference}/proposals/", {"kind": "plan", "text": "x"})
    assert refused.status_code == 302  # an undecided question is open in any round


# --- contradictory alternatives never both pass ----------------------------------------------------

MEMBERS = 4
vote = st.tuples(
    st.just("vote"),
    st.integers(0, MEMBERS - 1),
    st.integers(0, 1),
    st.sampled_from(["yes", "yes", "yes", "no", "abstain"]),
)
step = st.one_of(
    vote,
    vote,
    vote,
    st.tuples(st.just("declare"), st.integers(0, MEMBERS - 1), st.booleans()),  # late declaration or recusal
    st.tuples(st.just("time"), st.sampled_from([1, 6, 24])),
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sets(st.integers(0, MEMBERS - 1), min_size=1), steps=st.lists(step, min_size=4, max_size=16))
# The stories the issue tells, always tried: a recusal that makes an answer pass; a late declaration
# after the window, when the other answer has passed already.
@example(
    first={0, 1, 2, 3},
    steps=[("vote", 0, 0, "yes"), ("vote", 1, 0, "yes"), ("vote", 2, 1, "yes"), ("declare", 3, True)],
)
@example(
    first={0, 1},
    steps=[
        ("vote", 0, 1, "yes"),
        ("vote", 1, 0, "yes"),
        ("time", 24),
        ("vote", 1, 1, "yes"),
        ("declare", 2, False),
        ("vote", 2, 0, "yes"),
    ],
)
def test_contradictory_alternatives_never_both_pass(db, first, steps):
    with transaction.atomic(), clock.frozen(T):
        members = [member_factory(name=f"Voter {n}", email=f"voter{n}@example.org") for n in range(MEMBERS)]
        case = case_factory(participants=tuple(members[n] for n in sorted(first)))
        by = members[min(first)]
        answers = [
            d.proposal_create(case=case, kind="violation", text="Yes, this is a violation", by=by),
            d.proposal_create(case=case, kind="violation", text="No, this is NOT a violation", by=by),
        ]
        for action in steps:
            open_before = set(
                Proposal.objects.filter(pk__in=[a.pk for a in answers], status="open").values_list(
                    "pk", flat=True
                )
            )
            try:
                if action[0] == "vote":
                    d.vote_cast(proposal=answers[action[2]], member=members[action[1]], choice=action[3])
                elif action[0] == "declare":
                    conflict_declare(case=case, member=members[action[1]], has_conflict=action[2])
                else:
                    later(action[1])
            except Refused:
                pass
            rows = list(Proposal.objects.filter(pk__in=[a.pk for a in answers]))
            passed = [p for p in rows if p.status == ProposalStatus.PASSED]
            assert len(passed) <= 1
            if passed:
                event("an answer passed")
                other = next(p for p in rows if p.pk != passed[0].pk)
                assert other.status in (ProposalStatus.CLOSED, ProposalStatus.FAILED)
            if any(p.pk in open_before and p.status != ProposalStatus.OPEN for p in rows):
                event("a decision closed")
                assert selectors.case_quorum(case=case).met  # nothing closes without a quorum
            yes = Vote.objects.filter(proposal__in=answers, proposal__status="open", choice="yes")
            assert yes.count() == len(set(yes.values_list("member_id", flat=True)))
        transaction.set_rollback(True)


def test_tick_closes_a_decision_once_the_declaration_window_is_over(alice, bob, carol):
    case = case_factory(participants=(alice, bob))
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    clock.set_now(T + timedelta(hours=25))
    call_command("tick", stdout=StringIO())
    assert status(proposal) == ProposalStatus.PASSED


def test_counting_again_after_the_window_says_how_many_closed(alice, bob, carol):
    case = case_factory(participants=(alice, bob))
    proposal = d.proposal_create(case=case, kind="violation", text="A violation", by=alice)
    d.vote_cast(proposal=proposal, member=alice, choice="yes")
    d.vote_cast(proposal=proposal, member=bob, choice="yes")
    assert d.proposals_evaluate_due() == 0
    clock.set_now(T + timedelta(hours=25))
    assert d.proposals_evaluate_due() == 1
    assert d.proposals_evaluate_due() == 0


# --- the migration --------------------------------------------------------------------------------


def test_the_migration_brings_existing_proposals_under_one_answer_per_question(case, alice, bob):
    with connection.cursor() as cursor:  # data as the old rules left it; rolled back with the test
        cursor.execute("DROP INDEX one_answer_per_question")
    yes = d.proposal_create(case=case, kind="violation", text="Yes, this is a violation", by=alice)
    no = d.proposal_create(case=case, kind="violation", text="No, this is NOT a violation", by=bob)
    still = d.proposal_create(case=case, kind="violation", text="We need to know more", by=bob)
    Proposal.objects.filter(pk=yes.pk).update(status="passed", decided_at=T)
    Proposal.objects.filter(pk=no.pk).update(status="passed", decided_at=T + timedelta(minutes=5))
    plans = [d.proposal_create(case=case, kind="plan", text=f"Plan {n}", by=alice) for n in (1, 2)]
    for n, plan in enumerate(plans):
        Vote.objects.create(proposal=plan, member=alice, choice="yes", cast_at=T + timedelta(minutes=n))
    d.conversation_record(
        case=case,
        by=alice,
        talk=ConversationInput(
            held_on=T.date(), members=[alice, bob], behavior="b", impact="i", plan="p", plan_accepted=False
        ),
    )
    DecisionRound.objects.all().delete()
    Proposal.objects.filter(case=case).update(round=1)

    migration = import_module("cocdesk.cases.migrations.0021_rounds_and_one_answer_per_question")
    migration.rounds_and_answers(apps, None)

    rows = {p.pk: p for p in Proposal.objects.filter(case=case)}
    assert rows[yes.pk].status == "passed"  # the first to pass stands
    assert (rows[no.pk].status, rows[no.pk].closed_by_id) == ("closed", yes.pk)
    assert (rows[still.pk].status, rows[still.pk].closed_by_id) == ("closed", yes.pk)
    assert list(Vote.objects.filter(member=alice, choice="yes").values_list("proposal_id", flat=True)) == [
        plans[1].pk
    ]
    assert list(case.decision_rounds.values_list("number", "reason")) == [(2, "plan_refused")]
    assert {rows[p.pk].round for p in plans} == {2}  # open proposals are in the current round
    told = [e.text for e in case.timeline.filter(kind="decision") if e.text.startswith("One answer")]
    assert told == [
        "One answer per question: “No, this is NOT a violation” had passed after another answer to the"
        " same question and is now closed by it."
    ]
