"""Implicit intersection in plain formulas: a range where a function takes one value is the cell
on the formula's row (one column), column (one row) or both (a block); #VALUE! off it, which the
function then sees (ISERR of it is TRUE, IFERROR's fallback is taken). Excel's rule for formulas
that are not array formulas; the cached values of Excel-saved test workbooks (``ISERR(B7:D7)``
in AF7 is TRUE, ``IFERROR(C6:D6,Q6)`` in AF6 is Q6, ``LEN(B18:C18)`` in AF18 is #VALUE!) confirm it."""
from openpyxl.worksheet.formula import ArrayFormula

from formula_values import values

COLUMN = {"A1": 1, "A2": "x", "A3": "=1/0"}


def test_a_column_range_gives_the_cell_on_the_formulas_row_to_the_function():
    got = values({**COLUMN, "C1": "=ISNUMBER(A1:A3)", "C2": "=ISTEXT(A1:A3)", "C3": "=ISERR(A1:A3)",
                  "C4": "=ISERR(A1:A3)", "D2": "=LEN(A1:A3)", "D4": "=LEN(A1:A3)",
                  "E3": '=IFERROR(A1:A3,"fallback")', "E5": '=IFERROR(A1:A3,"off")', "E2": "=IF(A1:A3,1,2)",
                  "F1": "=NOT(A1:A3)", "F6": "=NOT(A1:A3)"})
    assert (got["C1"], got["C2"], got["C3"]) == (True, True, True)
    assert got["C4"] is True                    # row 4 is off A1:A3: ISERR(#VALUE!)
    assert (got["D2"], got["D4"]) == (1.0, "#VALUE!")
    assert (got["E3"], got["E5"]) == ("fallback", "off")
    assert got["E2"] == "#VALUE!"               # IF("x",...): text is no condition
    assert (got["F1"], got["F6"]) == (False, "#VALUE!")


def test_a_row_range_gives_the_cell_in_the_formulas_column():
    got = values({"B10": 2.5, "C10": "t", "D10": True,
                  "B12": "=ISNUMBER(B10:D10)", "C12": "=ISNUMBER(B10:D10)", "F12": "=ISNUMBER(B10:D10)",
                  "F13": "=ISERROR(B10:D10)", "D13": "=ROUND(B10:D10,0)", "B13": "=ROUND(B10:D10,0)"})
    assert (got["B12"], got["C12"], got["F12"], got["F13"]) == (True, False, False, True)
    assert (got["B13"], got["D13"]) == (3.0, 1.0)


def test_a_block_on_another_sheet_gives_the_cell_on_both():
    got = values({"Data!A1": 1, "Data!B2": 22, "Data!C3": 33, "B2": "=Data!A1:C3", "C3": "=ABS(Data!A1:C3)",
                  "E2": "=Data!A1:C3", "B5": "=ISERR(Data!A1:C3)"}, extra_sheets=("Data",))
    assert (got["B2"], got["C3"], got["E2"], got["B5"]) == (22.0, 33.0, "#VALUE!", True)


def test_a_whole_column_below_its_used_rows_is_an_empty_cell():
    got = values({"A1": 5, "A2": 6, "C2": "=ISBLANK(A:A)", "C9": "=ISBLANK(A:A)", "D9": '=IF(ISBLANK(A:A),"empty")'})
    assert (got["C2"], got["C9"], got["D9"]) == (False, True, "empty")


def test_a_copied_down_column_intersects_row_by_row():
    # one formula text on six rows: evaluated as a run, each row sees its own cell
    cells = {**COLUMN, **{f"C{r}": "=ISERR($A$1:$A$3)" for r in range(1, 7)},
             **{f"D{r}": '=IFERROR($A$1:$A$3*2,"-")' for r in range(1, 7)}}
    got = values(cells)
    assert [got[f"C{r}"] for r in range(1, 7)] == [False, False, True, True, True, True]
    assert [got[f"D{r}"] for r in range(1, 7)] == [2.0, "-", "-", "-", "-", "-"]


def test_parameters_that_take_ranges_and_array_formulas_keep_the_whole_range():
    got = values({"A1": "ab", "A2": "cde", "A3": "f", "C9": "=SUMPRODUCT(LEN(A1:A3))",
                  "D9": ArrayFormula("D9", "=SUM(LEN(A1:A3))"), "E9": '=COUNTIF(A1:A3,"c*")',
                  "F9": "=INDEX(A1:A3,2)", "G9": '=MATCH("f",A1:A3,0)'})
    assert (got["C9"], got["D9"], got["E9"], got["F9"], got["G9"]) == (6.0, 6.0, 1.0, "cde", 3.0)


def test_the_single_function_is_the_at_operator():
    # _xlfn.SINGLE(x) is how a file stores Excel 365's @x
    got = values({**COLUMN, "C2": "=_xlfn.SINGLE(A1:A3)", "C5": "=_xlfn.SINGLE(A1:A3)",
                  "D1": "=_xlfn.SINGLE({7,8})", "D5": "=PERCENTILE(_xlfn.SINGLE(A1:A3),0.5)"})
    assert (got["C2"], got["C5"], got["D1"], got["D5"]) == ("x", "#VALUE!", 7.0, "#VALUE!")
