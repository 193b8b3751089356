"""Small-number protection (D6): counts under the threshold read "fewer than 3", and in a table with
totals no hidden count can be worked out by subtraction."""

from hypothesis import given
from hypothesis import strategies as st

from cocdesk.transparency.selectors.numbers import protect, protect_grid


def test_a_count_under_the_threshold_is_not_kept(settings):
    settings.SMALL_NUMBER_THRESHOLD = 3
    assert [(s.text, s.value, s.small) for s in map(protect, (0, 1, 2, 3))] == [
        ("0", 0, False),
        ("fewer than 3", 0, True),
        ("fewer than 3", 0, True),
        ("3", 3, False),
    ]


def test_one_small_count_beside_a_total_hides_another(settings):
    settings.SMALL_NUMBER_THRESHOLD = 3
    # One month: web 2, email 5, phone 9 (total 16): "2" would be 16 - 5 - 9.
    cells, totals, grand = protect_grid([[2], [5], [9]])
    assert [row[0].text for row in cells] == ["fewer than 3", "not shown", "9"]
    assert (totals[0].text, grand.text) == ("16", "16")


def test_one_small_month_beside_the_years_total_hides_another_month(settings):
    settings.SMALL_NUMBER_THRESHOLD = 3
    _cells, totals, grand = protect_grid([[2, 4, 7, 0]])
    assert [t.text for t in totals] == ["fewer than 3", "not shown", "7", "0"]
    assert grand.text == "13"


@given(st.lists(st.lists(st.integers(0, 6), min_size=4, max_size=4), min_size=1, max_size=4))
def test_no_hidden_count_can_be_worked_out_from_the_totals(grid):
    cells, totals, grand = protect_grid(grid)
    labels = range(len(grid[0]))
    for i in labels:
        nonzero = [j for j in range(len(grid)) if grid[j][i]]
        hidden = [j for j in nonzero if cells[j][i].small]
        if not totals[i].small:
            assert len(hidden) != 1, (grid, i)
        elif nonzero:
            assert hidden, (grid, i)
        for j in range(len(grid)):  # what is shown is true; what is small is never shown
            cell = cells[j][i]
            assert cell.small or cell.value == grid[j][i]
            assert not (0 < grid[j][i] < 3) or cell.small
    hidden_totals = [i for i in labels if totals[i].small and sum(row[i] for row in grid)]
    assert grand.small or len(hidden_totals) != 1, grid
