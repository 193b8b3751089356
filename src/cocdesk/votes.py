"""The plan's one voting rule, shared by case decisions (D4) and committee removals (D8)."""

from __future__ import annotations


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
