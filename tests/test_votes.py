from hypothesis import assume, given
from hypothesis import strategies as st

from cocdesk.votes import QUORUM_FLOOR, decision_outcome, majority_outcome, quorum, quorum_size


def test_more_than_half_passes_and_half_is_not_enough():
    assert majority_outcome(yes=3, not_voted=0, electorate=4) is True
    assert majority_outcome(yes=2, not_voted=0, electorate=4) is False
    assert majority_outcome(yes=2, not_voted=1, electorate=4) is None


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_the_outcome_never_contradicts_what_the_remaining_votes_could_do(yes, no, not_voted):
    electorate = yes + no + not_voted
    outcome = majority_outcome(yes=yes, not_voted=not_voted, electorate=electorate)
    best, worst = yes + not_voted, yes
    assert outcome is (True if worst * 2 > electorate else False if best * 2 <= electorate else None)


# --- quorum (D4, issue 12) ---------------------------------------------------------------------------


def test_a_lone_member_is_no_quorum_while_others_may_still_declare():
    assert not quorum(taking_part=1, undeclared=2, window_passed=False).met
    assert not quorum(taking_part=1, undeclared=2, window_passed=True).met  # (b): one is not two


def test_two_members_are_a_quorum_once_everyone_declared_or_the_window_passed():
    assert not quorum(taking_part=2, undeclared=1, window_passed=False).met
    assert quorum(taking_part=2, undeclared=1, window_passed=True).met
    assert quorum(taking_part=2, undeclared=0, window_passed=False).met


def test_the_only_member_free_of_conflict_may_decide_once_everyone_declared():
    assert quorum(taking_part=1, undeclared=0, window_passed=False).met


def test_the_configured_quorum_is_never_below_two():
    assert quorum_size(minimum=1, free_of_conflict=5) == 2
    assert quorum_size(minimum=0, free_of_conflict=5) == 2
    assert quorum_size(minimum=4, free_of_conflict=5) == 4
    assert quorum_size(minimum=4, free_of_conflict=3) == 3


@given(
    taking_part=st.integers(0, 12),
    undeclared=st.integers(0, 12),
    window_passed=st.booleans(),
    minimum=st.integers(-3, 15),
)
def test_quorum_properties(taking_part, undeclared, window_passed, minimum):
    q = quorum(taking_part=taking_part, undeclared=undeclared, window_passed=window_passed, minimum=minimum)
    free = taking_part + undeclared
    # (a) nothing closes while someone free of conflict may still declare within the window
    if undeclared and not window_passed:
        assert not q.met
    # (b) never fewer than two take part where two are free of conflict
    if q.met and free >= QUORUM_FLOOR:
        assert taking_part >= QUORUM_FLOOR
    # the configured number is honoured where enough members are free of conflict
    if q.met and free >= minimum:
        assert taking_part >= minimum
    # nobody taking part is never a quorum
    if taking_part == 0:
        assert not q.met
    # more members taking part never loses a quorum; more members undeclared never makes one
    if q.met:
        assert quorum(
            taking_part=taking_part + 1, undeclared=undeclared, window_passed=window_passed, minimum=minimum
        ).met
    if not q.met:
        assert not quorum(
            taking_part=taking_part, undeclared=undeclared + 1, window_passed=window_passed, minimum=minimum
        ).met


@given(
    yes=st.integers(0, 20),
    no=st.integers(0, 20),
    not_voted=st.integers(0, 20),
    quorum_met=st.booleans(),
)
def test_a_decision_is_open_without_quorum_and_the_plans_majority_with_it(yes, no, not_voted, quorum_met):
    electorate = yes + no + not_voted
    outcome = decision_outcome(yes=yes, not_voted=not_voted, electorate=electorate, quorum_met=quorum_met)
    if not quorum_met:
        assert outcome is None
    else:
        assert outcome is majority_outcome(yes=yes, not_voted=not_voted, electorate=electorate)


@given(
    electorate=st.integers(1, 15),
    first=st.integers(0, 15),
    second=st.integers(0, 15),
)
def test_two_alternatives_with_separate_yes_votes_never_both_pass(electorate, first, second):
    """One yes per member per question: the yes votes of two alternatives are disjoint sets."""
    assume(first + second <= electorate)
    rest = electorate - first - second
    a = decision_outcome(yes=first, not_voted=rest, electorate=electorate, quorum_met=True)
    b = decision_outcome(yes=second, not_voted=rest, electorate=electorate, quorum_met=True)
    assert not (a is True and b is True)
