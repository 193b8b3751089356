"""The plan's one voting rule, shared by case decisions (D4) and committee removals (D8), and the
quorum a case decision needs before that rule may close it (D4, issue 12). Pure: numbers in,
outcome out; the callers count."""

from __future__ import annotations

from dataclasses import dataclass

# Never fewer than this many members take part in a decision, where that many are free of conflict.
QUORUM_FLOOR = 2


def majority_outcome(*, yes: int, not_voted: int, electorate: int) -> bool | None:
    """A simple majority of the electorate: True once yes votes are more than half of it, False
    as soon as even every outstanding vote could not get there, None while it is still open.
    Abstentions and no votes count the same: neither is a yes."""
    half = electorate / 2
    if yes > half:
        return True
    if yes + not_voted <= half:
        return False
    return None


def quorum_size(*, minimum: int, free_of_conflict: int) -> int:
    """How many members must take part: the configured `minimum`, never fewer than two; but never
    more than are free of conflict (a case where only one member may act can still be decided),
    and at least one."""
    return max(1, min(max(minimum, QUORUM_FLOOR), free_of_conflict))


@dataclass(frozen=True)
class Quorum:
    """Whether a case decision may close yet, and why not (the case page says which part is missing)."""

    met: bool
    everyone_declared: bool  # (a) every member free of conflict has answered the conflict question …
    window_passed: bool  # … or the declaration window is over
    taking_part: int
    needed: int  # (b) at least this many take part

    @property
    def declarations_done(self) -> bool:
        return self.everyone_declared or self.window_passed

    @property
    def enough_taking_part(self) -> bool:
        return self.taking_part >= self.needed


def quorum(*, taking_part: int, undeclared: int, window_passed: bool, minimum: int = QUORUM_FLOOR) -> Quorum:
    """A decision may close only when (a) every member free of conflict has declared (`undeclared`
    is 0) or the declaration window has passed, and (b) at least `quorum_size` members take part.
    Members free of conflict are those taking part plus those who have not declared yet."""
    needed = quorum_size(minimum=minimum, free_of_conflict=taking_part + undeclared)
    everyone = undeclared == 0
    met = (everyone or window_passed) and taking_part >= needed
    return Quorum(
        met=met,
        everyone_declared=everyone,
        window_passed=window_passed,
        taking_part=taking_part,
        needed=needed,
    )


def decision_outcome(*, yes: int, not_voted: int, electorate: int, quorum_met: bool) -> bool | None:
    """A case decision: open (None) until the quorum is met, whatever the votes say (members who
    have not declared yet may still join and vote); then the plan's majority of those taking part."""
    if not quorum_met:
        return None
    return majority_outcome(yes=yes, not_voted=not_voted, electorate=electorate)
