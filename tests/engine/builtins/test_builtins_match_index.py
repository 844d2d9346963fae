"""MATCH, INDEX and VLOOKUP called from the table on hand-made values (Excel's documented rules)."""
from direct_calls import arg, call

KEYS = arg(["b", "A", "c", "a"], area=True)
TABLE = arg([["a", 1], ["b", 2], ["c", 3]], area=True)


def test_match_exact_per_row_is_case_insensitive_first_found_and_takes_wildcards():
    got = call("MATCH", arg(["a", "C", "z", 1, "b*", None], per_row=True), KEYS, arg(0), rows=(1, 2, 3, 4, 5, 6))
    assert got == [[2.0], [3.0], ["#N/A"], ["#N/A"], [1.0], ["#N/A"]]
    assert call("MATCH", arg("#REF!"), KEYS, arg(0)) == "#REF!"       # the lookup value's own error


def test_index_picks_a_cell_or_refuses_outside_the_area():
    assert call("INDEX", TABLE, arg(2), arg(2)) == 2.0
    assert call("INDEX", arg([[5, 6, 7]], area=True), arg(3)) == 7.0   # a row: the n-th column
    assert call("INDEX", TABLE, arg(4), arg(1)) == "#REF!"
    assert call("INDEX", TABLE, arg([3, 1], per_row=True), arg(1), rows=(1, 2)) == [["c"], ["a"]]


def test_vlookup_exact():
    assert call("VLOOKUP", arg("B"), TABLE, arg(2), arg(False)) == 2.0
    assert call("VLOOKUP", arg("q"), TABLE, arg(2), arg(0)) == "#N/A"
    assert call("VLOOKUP", arg("b"), TABLE, arg(3), arg(0)) == "#REF!"   # beyond the table's columns
    assert call("VLOOKUP", arg("b"), TABLE, arg(0), arg(0)) == "#VALUE!"
