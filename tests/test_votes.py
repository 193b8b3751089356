from hypothesis import given
from hypothesis import strategies as st

from cocdesk.votes import majority_outcome


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
