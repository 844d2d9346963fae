"""GROUPBY, PIVOTBY and PERCENTOF on a hand-made table (expectations worked out by hand from
Excel's documentation of the arguments; layouts as Excel-saved workbooks show them)."""
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from formula_values import value, values

DATA = {"A1": "Region", "B1": "Product", "C1": "Units",
        "A2": "East", "B2": "A", "C2": 10,
        "A3": "West", "B3": "B", "C3": 5,
        "A4": "East", "B4": "B", "C4": 7,
        "A5": "West", "B5": "A", "C5": 3,
        "A6": "East", "B6": "A", "C6": 1,
        "A7": "North", "B7": "A", "C7": 2}


def spill(formula: str, rows: int, cols: int) -> list[list]:
    """The rows x cols values of an array formula placed at E1 (empty text read as None)."""
    area = {f"{get_column_letter(5 + j)}{1 + i}": None for i in range(rows) for j in range(cols)}
    area["E1"] = ArrayFormula(f"E1:{get_column_letter(4 + cols)}{rows}", formula)
    got = values({**DATA, **area})
    return [[got[f"{get_column_letter(5 + j)}{1 + i}"] or None for j in range(cols)] for i in range(rows)]


def test_groupby_sums_each_group_sorted_with_a_total():
    assert spill("=_xlfn.GROUPBY(A2:A7,C2:C7,_xleta.SUM)", 4, 2) == [
        ["East", 18.0], ["North", 2.0], ["West", 8.0], ["Total", 28.0]]


def test_groupby_headers_shown_with_subtotals():
    assert spill("=_xlfn.GROUPBY(A1:B7,C1:C7,_xleta.SUM,3,2)", 10, 3) == [
        ["Region", "Product", "Units"],
        ["East", "A", 11.0], ["East", "B", 7.0], ["East", None, 18.0],
        ["North", "A", 2.0], ["North", None, 2.0],
        ["West", "A", 3.0], ["West", "B", 5.0], ["West", None, 8.0],
        ["Grand Total", None, 28.0]]


def test_groupby_headers_guessed_total_on_top_sorted_by_value_descending():
    # the first value is text and the second a number: row 1 is headers (not shown)
    assert spill("=_xlfn.GROUPBY(A1:A7,C1:C7,_xleta.SUM,,-1,-2)", 4, 2) == [
        ["Total", 28.0], ["East", 18.0], ["West", 8.0], ["North", 2.0]]


def test_groupby_filter_and_lambda():
    assert spill('=_xlfn.GROUPBY(A2:A7,C2:C7,_xlfn.LAMBDA(_xlpm.x,MAX(_xlpm.x)),0,0,1,B2:B7="A")', 3, 2) == [
        ["East", 10.0], ["North", 2.0], ["West", 3.0]]


def test_pivotby_crosses_row_and_column_groups():
    assert spill("=_xlfn.PIVOTBY(A2:A7,B2:B7,C2:C7,_xleta.SUM)", 5, 4) == [
        [None, "A", "B", "Total"],
        ["East", 11.0, 7.0, 18.0],
        ["North", 2.0, None, 2.0],          # no record: empty
        ["West", 3.0, 5.0, 8.0],
        ["Total", 16.0, 12.0, 28.0]]


@pytest.mark.parametrize("relative_to, east_a", [(0, 11 / 16), (1, 11 / 18), (2, 11 / 28), (3, 11 / 18), (4, 11 / 16)])
def test_pivotby_percentof_relative_to(relative_to, east_a):
    got = spill(f"=_xlfn.PIVOTBY(A2:A7,B2:B7,C2:C7,_xleta.PERCENTOF,0,1,1,1,1,,{relative_to})", 2, 2)
    assert got[1][1] == pytest.approx(east_a)


@pytest.mark.parametrize("formula, expected", [
    ("=_xlfn.GROUPBY(A2:A7,C2:C6,_xleta.SUM)", "#VALUE!"),      # rows of different lengths
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,1)", "#VALUE!"),               # not a function
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,1/0)", "#DIV/0!"),
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,_xleta.SUM,0,3)", "#VALUE!"),  # a depth past the fields
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,_xleta.SUM,0,1,3)", "#VALUE!"),  # a sort column past the fields
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,_xleta.SUM,0,1,1,{1;0;1;0;1;1})", "East"),
    ("=_xlfn.GROUPBY(A2:A7,C2:C7,_xleta.SUM,0,1,1,C2:C7>100)", "#VALUE!"),   # no record kept
    ("=_xlfn.PERCENTOF({1,2},{1,2,3,4})", 0.3),
    ("=_xlfn.PERCENTOF({1,2},{0})", "#DIV/0!"),
    ("=_xlfn.PERCENTOF({1,2},1/0)", "#NUM!"),                   # Excel's code for an error in the data
])
def test_arguments(formula, expected):
    assert value(formula, **DATA) == expected
