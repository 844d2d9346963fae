"""MATCH, INDEX and VLOOKUP called from the table on hand-made values (Excel's documented rules)."""
from direct_calls import arg, call
from formula_values import values

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


def test_index_rules_for_two_dimensional_sources():
    from openpyxl.worksheet.formula import ArrayFormula
    got = values({"A1": 1, "B1": 2, "A2": 3, "B2": 4, "D1": 3, "D2": 2, "D3": 1,
                  "F1": "=INDEX(A1:B2,2)",                         # a 2-D reference needs a column: #REF!
                  "F2": "=INDEX(A1:B2,2,1)",
                  "F3": "=INDEX({2,3;4,5},1,1,1/0)",               # area_num's error
                  # an array of rows: each picks its row, which shows its first element
                  "G1": ArrayFormula("G1:G3", "=INDEX({2,3;4,5},D1:D3)"), "G2": None, "G3": None,
                  "H1": ArrayFormula("H1:I1", "=INDEX({2,3;4,5},{1,2})"), "I1": None,
                  "J1": ArrayFormula("J1:K1", "=INDEX({2,3;4,5},2)"), "K1": None})    # one row: the whole row
    assert (got["F1"], got["F2"], got["F3"]) == ("#REF!", 3.0, "#DIV/0!")
    assert [got["G1"], got["G2"], got["G3"]] == ["#REF!", 4.0, 2.0]
    assert [got["H1"], got["I1"], got["J1"], got["K1"]] == [2.0, 4.0, 4.0, 5.0]


def test_match_looks_a_blank_up_as_zero_when_approximate():
    got = values({"A1": "=MATCH(B1,{-1.1,2.1,3.1,4.1})", "A2": "=MATCH(B1,{-1.1,0,3.1},0)",
                  "A3": "=MATCH(B1,{1,2})", "A4": "=MATCH(B1,{0,1},1)"})
    assert (got["A1"], got["A2"], got["A3"], got["A4"]) == (1.0, "#N/A", "#N/A", 1.0)


def test_index_with_a_negative_position_is_value_error_before_anything_else():
    got = values({"C1": 1, "D2": 2, "A1": "=INDEX(C1:E3,-1)", "A2": "=INDEX(C1:E3,1,-2)", "A3": "=INDEX(C1:E3,-1,9)"})
    assert (got["A1"], got["A2"], got["A3"]) == ("#VALUE!", "#VALUE!", "#VALUE!")


def test_index_with_an_array_of_one_row_is_still_per_element():
    from openpyxl.worksheet.formula import ArrayFormula
    # Excel's own result: {=INDEX({2,3;4,5},{1})} over two cells is 2, 2 (the row's first element,
    # repeated), where {=INDEX({2,3;4,5},1)} is the whole row 2, 3
    got = values({"A1": ArrayFormula("A1:B1", "=INDEX({2,3;4,5},{1})"), "B1": None,
                  "C1": ArrayFormula("C1:D1", "=INDEX({2,3;4,5},1)"), "D1": None})
    assert [got["A1"], got["B1"], got["C1"], got["D1"]] == [2.0, 2.0, 2.0, 3.0]


def test_index_per_row_into_a_range_of_numbers_gives_it_no_objects():
    """Positions per row into a range of numbers only: the numbers picked, #REF! past its end, and
    the range's block is not given the object array it never needed (picking from it cost a copy)."""
    numbers = arg([10, 20, 30], area=True)
    assert numbers.block._obj is None
    got = call("INDEX", numbers, arg([3, 1, 4, 2], per_row=True), rows=(1, 2, 3, 4))
    assert got == [[30.0], [10.0], ["#REF!"], [20.0]]
    assert numbers.block._obj is None
