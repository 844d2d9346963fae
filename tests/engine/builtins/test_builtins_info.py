"""ISFORMULA, SHEET, SHEETS and text that looks like an error."""
from formula_values import values


def test_isformula_sheet_and_sheets():
    got = values({"A1": 1, "A2": "=A1", "B1": "=ISFORMULA(A1)", "B2": "=ISFORMULA(A2)", "B3": '=ISFORMULA("A2")',
                  "C1": "=SHEET()", "C2": "=SHEET(Data!A1)", "C3": '=SHEET("data")', "C4": '=SHEET("nope")',
                  "C5": "=SHEETS()", "Data!A1": 5}, extra_sheets=("Data",))
    assert (got["B1"], got["B2"], got["B3"]) == (False, True, "#VALUE!")
    assert (got["C1"], got["C2"], got["C3"], got["C4"], got["C5"]) == (1.0, 2.0, 2.0, "#N/A", 2.0)


def test_text_that_looks_like_an_error_stays_text():
    got = values({"A1": '="#N/A"', "A2": "=ISTEXT(A1)", "A3": "=ISNA(A1)", "A4": '=A1&"!"'})
    assert (got["A1"], got["A2"], got["A3"], got["A4"]) == ("#N/A", True, False, "#N/A!")


def test_isref_n_and_the_intersection_operator():
    got = values({"A1": 1, "A2": 2, "B1": 10, "B2": 20,
                  "D1": "=ISREF(A1)", "D2": "=ISREF(OFFSET(A1,1,1))", "D3": '=ISREF("A1")', "D4": "=ISREF(1)",
                  "D5": "=SUM(A1:B2 B1:B5)", "D6": "=A1:A2 B1:B2", "D7": "=ROWS(A1:A2 B1:B2)", "D8": "=N(B1:B2)",
                  "D9": "=ROW(A1:B9 B2:C3)", "D10": "=ISREF(OFFSET(A1,9,3))"})     # D10 itself: read as a reference only
    assert [got[f"D{i}"] for i in range(1, 11)] == [True, True, False, False, 30.0, "#NULL!", "#NULL!", 10.0, 2.0,
                                                     True]


def test_type_tests_n_and_na_from_the_table():
    from direct_calls import arg, call
    cells = arg([1, "1", True, None, "#N/A", "#DIV/0!"], area=True)
    column = {name: [row[0] for row in call(name, cells)] for name in
              ("ISNUMBER", "ISTEXT", "ISNONTEXT", "ISLOGICAL", "ISBLANK", "ISERROR", "ISERR", "ISNA")}
    assert column == {"ISNUMBER": [True, False, False, False, False, False],
                      "ISTEXT": [False, True, False, False, False, False],
                      "ISNONTEXT": [True, False, True, True, True, True],
                      "ISLOGICAL": [False, False, True, False, False, False],
                      "ISBLANK": [False, False, False, True, False, False],
                      "ISERROR": [False, False, False, False, True, True],
                      "ISERR": [False, False, False, False, False, True],
                      "ISNA": [False, False, False, False, True, False]}
    assert [call("N", arg(v)) for v in (7, True, "7", "#DIV/0!")] == [7.0, 1.0, 0.0, "#DIV/0!"]
    assert call("N", arg([[5, 6]], area=True)) == 5.0          # an area: its first cell
    assert call("NA") == "#N/A"


def test_type_tests_in_an_array_formula_larger_than_their_range():
    # Excel tests each cell of the area: past the end of A1:A2 the element is #N/A, so ISNA gives
    # TRUE and ISBLANK FALSE there (not #N/A, as an operator's result would be)
    from openpyxl.worksheet.formula import ArrayFormula
    got = values({"A1": 1, "A2": None,
                  "B1": ArrayFormula("B1:B3", "=ISNA(A1:A2)"), "B2": None, "B3": None,
                  "C1": ArrayFormula("C1:C3", "=ISBLANK(A1:A2)"), "C2": None, "C3": None,
                  "D1": ArrayFormula("D1:D3", "=ISERR(A1:A2)"), "D2": None, "D3": None,
                  "E1": ArrayFormula("E1:E3", "=A1:A2+1"), "E2": None, "E3": None,
                  "F1": ArrayFormula("F1:F2", "=ISNUMBER(A1)"), "F2": None})
    assert [got[f"B{i}"] for i in (1, 2, 3)] == [False, False, True]
    assert [got[f"C{i}"] for i in (1, 2, 3)] == [False, True, False]
    assert [got[f"D{i}"] for i in (1, 2, 3)] == [False, False, False]
    assert [got[f"E{i}"] for i in (1, 2, 3)] == [2.0, 1.0, "#N/A"]
    assert [got[f"F{i}"] for i in (1, 2)] == [True, True]          # a single cell spreads over the area


def test_cell_describes_the_referenced_cell():
    got = values({"B2": 7, "B3": "text", "C1": '=CELL("contents",B2)', "C2": '=CELL("address",B3)',
                  "C3": '=CELL("row",A3:B9)', "C4": '=CELL("col",B3)', "C5": '=CELL("type",B2)',
                  "C6": '=CELL("type",B3)', "C7": '=CELL("type",A9)', "C8": '=CELL("contents",B3)',
                  "C9": '=CELL("nonsense",B3)', "C10": "=CELL(1,B3)"})
    assert (got["C1"], got["C2"], got["C3"], got["C4"]) == (7.0, "$B$3", 3.0, 2.0)
    assert (got["C5"], got["C6"], got["C7"], got["C8"]) == ("v", "l", "b", "text")
    assert got["C10"] == "#VALUE!"


def test_type_of_each_kind_of_value():
    # the examples of Excel's TYPE documentation (A1 "Smith"), then each kind
    got = values({"A1": "Smith", "B1": "=TYPE(A1)", "B2": '=TYPE("MR. "&A1)', "B3": "=TYPE(2+A1)",
                  "B4": "=TYPE({1,2;3,4})", "A5": 1, "B5": "=TYPE(A5)", "B6": "=TYPE(A99)", "B7": "=TYPE(TRUE)",
                  "B8": "=TYPE(A1:A5)", "B9": "=TYPE(_xleta.SUM)", "B10": "=TYPE(_xlfn.LAMBDA(_xlpm.x,_xlpm.x))"})
    assert [got[f"B{r}"] for r in range(1, 11)] == [2.0, 2.0, 16.0, 64.0, 1.0, 1.0, 4.0, 64.0, 128.0, 128.0]


def test_formulatext_shows_the_formula_of_a_cell():
    got = values({"A1": "=SUM(B1:B2)*2", "A2": "=_xlfn.CONCAT(\"a\",\"b\")", "A3": 5,
                  "C1": "=FORMULATEXT(A1)", "C2": "=FORMULATEXT(A2)", "C3": "=FORMULATEXT(A3)",
                  "C4": "=FORMULATEXT(A1:A3)", "C5": "=FORMULATEXT(1)"})
    assert (got["C1"], got["C2"], got["C4"]) == ("=SUM(B1:B2)*2", '=CONCAT("a","b")', "=SUM(B1:B2)*2")
    assert (got["C3"], got["C5"]) == ("#N/A", "#VALUE!")      # no formula; no reference


def test_sheet_of_a_value_that_names_no_sheet():
    got = values({"A1": "=_xlfn.SHEET(1)", "A2": "=_xlfn.SHEET(0)", "A3": "=_xlfn.SHEET(1/0)", "A4": '=_xlfn.SHEET("")',
                  "A5": "=_xlfn.SHEET(TRUE)"})
    assert (got["A1"], got["A2"], got["A3"], got["A4"], got["A5"]) == ("#N/A", "#N/A", "#DIV/0!", "#N/A", "#N/A")


def test_cell_asking_where_its_reference_is_reads_no_value():
    # cached (IronCalc INFORMATION_CELL.xlsx): CELL("col",A8:C8) in B8 is 1, no circular reference;
    # CELL("contents") of a blank cell is 0. CELL("type") of its own cell reads it: a circle, kept.
    got = values({"B8": '=CELL("col",A8:C8)', "B9": '=CELL("row",B9)', "B10": '=CELL("address",B10)',
                  "B11": '=CELL("contents",A11)', "B12": '=CELL("type",B12)'})
    assert [got[f"B{i}"] for i in range(8, 13)] == [1.0, 9.0, "$B$10", 0.0, None]
