"""SUM, MIN, MAX, AVERAGE, PRODUCT called from the table on hand-made values (Excel's documented
rules: in a reference only numbers count; values typed as arguments are coerced)."""
import pytest

from direct_calls import arg, call
from formula_values import values

AREA = arg([1, "2", True, None, 4], area=True)      # text, booleans and empty cells of a reference are skipped


@pytest.mark.parametrize("name, expected", [("SUM", 5.0), ("MIN", 1.0), ("MAX", 4.0), ("AVERAGE", 2.5),
                                            ("PRODUCT", 4.0)])
def test_an_area_counts_its_numbers_only(name, expected):
    assert call(name, AREA) == expected


def test_typed_arguments_are_coerced():
    assert call("SUM", AREA, arg("2"), arg(True)) == 8.0            # "2" and TRUE typed in count
    assert call("SUM", arg("x")) == "#VALUE!"
    assert call("MAX", arg(-1), arg("-3")) == -1.0


def test_no_numbers_at_all():
    text_only = arg(["x", None], area=True)
    assert [call(n, text_only) for n in ("SUM", "MIN", "MAX", "PRODUCT")] == [0.0, 0.0, 0.0, 0.0]
    assert call("AVERAGE", text_only) == "#DIV/0!"


def test_an_error_in_the_area_is_the_result():
    assert call("SUM", arg([1, "#N/A", 2], area=True)) == "#N/A"
    assert call("MIN", arg([1, "#DIV/0!"], area=True), arg(0)) == "#DIV/0!"


def test_per_row_arguments_give_one_result_per_row():
    got = call("SUM", arg([1, 2, 3], per_row=True), arg(10), arg([[1, 1]], area=True), rows=(4, 5, 6))
    assert got == [[13.0], [14.0], [15.0]]
    assert call("AVERAGE", arg([1, "x", None], per_row=True), arg(3), rows=(1, 2, 3)) == [[2.0], [3.0], [3.0]]


def test_aggregate_leaves_out_what_its_option_says():
    cells = {"A1": 1, "A2": 2, "A3": "=1/0", "A4": 4, "A5": "=SUBTOTAL(9,A1:A2)", "A6": 10,
             "B1": "=AGGREGATE(9,6,A1:A4)",       # errors left out
             "B2": "=AGGREGATE(9,4,A1:A4)",       # nothing left out: the error
             "B3": "=AGGREGATE(9,6,A1:A6)",       # option 6 keeps the nested SUBTOTAL (3)
             "B4": "=AGGREGATE(9,3,A1:A6)",       # option 3 leaves it out
             "B5": "=AGGREGATE(14,6,A1:A6,2)",    # LARGE(...,2) without the error
             "B6": "=AGGREGATE(1,7,A1:A4)",       # AVERAGE of 1, 2, 4; row 6 hidden anyway
             "B7": "=AGGREGATE(5,1,A1:A6)",       # MIN, hidden rows left out, error kept
             "B8": "=AGGREGATE(20,0,A1:A4)"}
    got = values(cells, hidden_rows=(6,))
    assert [got[f"B{i}"] for i in range(1, 9)] == [7.0, "#DIV/0!", 20.0, 7.0, 4.0, 7 / 3, "#DIV/0!", "#VALUE!"]


def test_sumsq_counts_numbers_of_references_and_coerces_typed_values():
    from formula_values import values
    got = values({"A1": 3, "A2": "8", "A3": True, "A5": "x", "A6": 4,
                  "B1": "=SUMSQ(A1:A6)", "B2": "=SUMSQ(A4)", "B3": '=SUMSQ(A2)',
                  "B4": '=SUMSQ(2,"3",TRUE)', "B5": "=SUMSQ({1,2,3;4,5,6})", "B6": "=SUMSQ(A1,1/0)",
                  "B7": '=SUMSQ("x")'})
    assert [got[f"B{i}"] for i in range(1, 8)] == [25.0, 0.0, 0.0, 14.0, 91.0, "#DIV/0!", "#VALUE!"]


def test_count_and_counta_of_references_and_typed_values():
    from formula_values import values
    got = values({"A1": 1, "A2": False, "A3": 0, "A4": True, "A5": "Hola", "A7": "=1+2", "A8": "23", "A9": "=1/0",
                  "B1": "=COUNT(A1:A9)", "B2": "=COUNT(A1,A2,A3,A4,A5,A6,A7,A8,A9)", "B3": '=COUNT(TRUE,"23","Hola",1/0,2)',
                  "B4": "=COUNT({1,TRUE,\"2\"})", "B5": "=COUNTA(A1:A9)", "B6": '=COUNTA("Hola",1/0,A6)',
                  "B7": '=COUNTA(C1)', "C1": '=""'})
    # references count numbers only; typed logicals and numeric text count; errors never
    assert [got[f"B{i}"] for i in range(1, 8)] == [3.0, 3.0, 3.0, 1.0, 8.0, 2.0, 1.0]
