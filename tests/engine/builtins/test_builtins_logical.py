"""IF/IFS/IFERROR/IFNA/CHOOSE evaluate only what they pick; AND/OR as Excel reads their arguments."""
import pytest

from formula_values import value, values


@pytest.mark.parametrize("formula, expected", [
    ("=IF(TRUE,1,2)", 1.0), ("=IF(0,1)", False), ("=IF(1,,2)", 0.0), ('=IF("TRUE",1,2)', 1.0),
    ('=IF("x",1,2)', "#VALUE!"), ("=IF(1/0,1,2)", "#DIV/0!"),
    ("=IFERROR(1/0,5)", 5.0), ("=IFERROR(3,1/0)", 3.0), ("=IFNA(NA(),7)", 7.0), ("=IFNA(1/0,7)", "#DIV/0!"),
    ("=_xlfn.IFS(FALSE,1,TRUE,2)", 2.0), ("=_xlfn.IFS(FALSE,1)", "#N/A"), ("=_xlfn.IFS(1/0,1,TRUE,2)", "#DIV/0!"),
    ("=CHOOSE(2,1/0,7,1/0)", 7.0), ("=CHOOSE(4,1,2)", "#VALUE!"),
    ('=AND(TRUE,"0")', True),                 # text arguments are left out...
    ('=AND(TRUE,"0",#REF!)', "#REF!"),        # ... errors are not
    ('=AND("x")', "#VALUE!"),                 # nothing left to test
    ('=AND("TRUE",1)', True), ('=OR(FALSE,"FALSE")', False), ("=OR(0,2)", True), ("=AND(1,0)", False),
])
def test_logical(formula, expected):
    assert value(formula) == expected


def test_lazy_branches_never_evaluate_the_other_side():
    # the branch not taken would read a circular cell; Excel never evaluates it
    got = values({"A1": False, "B1": "=IF(A1,B1,1)", "C1": "=CHOOSE(1,5,C1)", "D1": "=IFERROR(2,D1)"})
    assert (got["B1"], got["C1"], got["D1"]) == (1.0, 5.0, 2.0)


def test_and_over_ranges_ignores_text_and_blanks():
    got = values({"A1": True, "A2": "x", "A4": 1, "B1": "=AND(A1:A4)", "B2": "=AND(A2:A3)", "B3": "=OR(A2,FALSE)"})
    assert (got["B1"], got["B2"], got["B3"]) == (True, "#VALUE!", False)


def test_a_real_circle_is_kept_and_reported_when_iteration_is_off():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"] = True, "=IF(A1,C1,1)", "=B1+1"
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "c.xlsx")
        model = load_workbook_model(Path(tmp) / "c.xlsx")
    report = compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    assert (grid.value(0, 1), grid.value(0, 2)) == (None, None)       # openpyxl caches no value: none to keep
    assert "circular reference" in " ".join(str(p) for p in report.problems)


def test_iterative_calculation_converges_as_excel_when_the_file_asks_for_it():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    ws = wb.active
    # x = 1 + x/2 converges to 2; each pass halves the distance
    ws["A1"] = "=1+A1/2"
    wb.calculation.iterate, wb.calculation.iterateCount, wb.calculation.iterateDelta = True, 100, 1e-9
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "i.xlsx")
        model = load_workbook_model(Path(tmp) / "i.xlsx")
    assert model.iteration == (100, 1e-9)
    report = compute(model, dt.date(2024, 1, 1))
    assert report.problems == [] and abs(model.sheets[0].grid.num[0, 0] - 2.0) < 1e-8


def test_a_doubled_quote_in_a_text_literal_is_one_quote():
    from formula_values import value
    assert value('=LEN("a""b")') == 3.0 and value('="say ""hi"""') == 'say "hi"'


def test_not_of_text_is_an_error_unless_typed_true_or_false():
    from formula_values import values
    got = values({"A1": "1", "A2": "0", "B1": "=NOT(A1)", "B2": "=NOT(A2)", "B3": '=NOT("TRUE")',
                  "B4": '=NOT("false")', "B5": '=NOT("1")', "B6": "=NOT(0)", "B7": "=NOT(2.3)", "B8": "=NOT(A9)"})
    assert (got["B1"], got["B2"], got["B3"], got["B4"], got["B5"]) == ("#VALUE!", "#VALUE!", False, True, "#VALUE!")
    assert (got["B6"], got["B7"], got["B8"]) == (True, False, True)


@pytest.mark.parametrize("formula, expected", [
    ('=_xlfn.SWITCH(2,1,"one",2,"two","other")', "two"),
    ('=_xlfn.SWITCH(3,1,"one",2,"two","other")', "other"),
    ('=_xlfn.SWITCH(3,1,"one",2,"two")', "#N/A"),             # no default
    ('=_xlfn.SWITCH("UPPER","upper","match")', "match"),      # text ignores case
    ('=_xlfn.SWITCH(1,"1","text",TRUE,"bool",1,"number")', "number"),   # never across types
    ('=_xlfn.SWITCH(1,1,"ok",2,1/0)', "ok"),                 # only the chosen result is evaluated
    ('=_xlfn.SWITCH(1/0,1,"one")', "#DIV/0!"),
    ('=_xlfn.SWITCH(1,2)', "#VALUE!"),
])
def test_switch(formula, expected):
    assert value(formula) == expected


def test_switch_on_blank_is_zero_not_false():
    got = values({"A1": False, "C1": "=_xlfn.SWITCH(A1,B1,\"match\")", "C2": "=_xlfn.SWITCH(0,B1,\"zero\")"})
    assert (got["C1"], got["C2"]) == ("#N/A", "zero")


def test_if_over_a_column_evaluates_each_branch_for_the_rows_that_take_it():
    # one run of rows whose condition varies (hand-computed): 1/A is #DIV/0! on row 2, which does
    # not take it; text is greater than any number, so "x">0 is TRUE and 1/"x" #VALUE!; the error
    # of row 6 passes through
    cells = {"A1": 4, "A2": 0, "A3": -2, "A4": 5, "A5": "x", "A6": "=NA()"}
    cells.update({f"B{r}": f'=IF(A{r}>0,1/A{r},IF(A{r}=0,"zero",A{r}*10))' for r in range(1, 7)})
    cells.update({f"C{r}": f"=IF(ISNUMBER(A{r}),A{r},#REF!)" for r in range(1, 7)})
    cells.update({f"D{r}": f'=IF(A{r},"yes","no")' for r in range(1, 7)})     # a text condition is #VALUE!
    got = values(cells)
    assert [got[f"B{r}"] for r in range(1, 7)] == [0.25, "zero", -20.0, 0.2, "#VALUE!", "#N/A"]
    assert [got[f"C{r}"] for r in range(1, 7)] == [4.0, 0.0, -2.0, 5.0, "#REF!", "#REF!"]
    assert [got[f"D{r}"] for r in range(1, 7)] == ["yes", "no", "yes", "yes", "#VALUE!", "#N/A"]


def test_if_over_a_column_never_touches_a_circle_in_the_branch_not_taken():
    cells = {"A1": 1, "A2": 2, "A3": 0}
    # B3 would read itself through the first branch: its row takes the other one
    cells.update({f"B{r}": f"=IF(A{r}>0,SUM(B$3:B$3)+A{r},7)" for r in range(1, 4)})
    got = values(cells)
    assert [got[f"B{r}"] for r in range(1, 4)] == [8.0, 9.0, 7.0]


def test_choose_with_an_array_of_indexes_picks_element_by_element():
    # Excel's own result: {CHOOSE(D5:F5, C5:E5, H5:J5, G5:I5, 2, 3)} with D5:F5 = 1.1, 3, 4 takes
    # C5 (option 1, element 1), H5 (option 3, element 2: blank, 0) and 2 (option 4), then #N/A
    got = values({"C5": -2, "D5": 1.1, "E5": 3, "F5": 4, "G5": 4.1,
                  "A1": "=SUM(CHOOSE({1,2},C5,G5))", "A2": '=INDEX(CHOOSE(D5:F5,C5:E5,H5:J5,G5:I5,2,3),1,2)',
                  "A3": '=INDEX(CHOOSE(D5:F5,C5:E5,H5:J5,G5:I5,2,3),1,3)', "A4": "=INDEX(CHOOSE({1,9},1,2),1,2)",
                  "A5": '=INDEX(CHOOSE({1,"x"},1,2),1,2)'})
    assert got["A1"] == pytest.approx(2.1)
    assert (got["A2"], got["A3"], got["A4"], got["A5"]) == (0.0, 2.0, "#VALUE!", "#VALUE!")


def test_if_over_arrays_of_different_sizes_pads_the_smaller_with_na():
    # Excel's rule for arrays combined element by element (as {1,2,3}+{10,20}): each grows with #N/A
    # to the largest size along a dimension where they differ and none is 1
    from openpyxl.worksheet.formula import ArrayFormula
    got = values({"A1": ArrayFormula("A1:D1", "=IF({TRUE,FALSE},{1,2,3,4},{10,11,12,13})"),
                  "B3": 1, "B4": 2, "B5": 3, "B6": 4, "C3": 5, "C4": 6, "D3": 7, "D4": 8,
                  "A3": ArrayFormula("A3:A6", "=IF(B3:B6>2,C3:C4,D3:D4)"),
                  "E1": ArrayFormula("E1:G1", "=IF({TRUE,FALSE,TRUE},5,{1,2,3})"),
                  **{c: None for c in ("B1", "C1", "D1", "F1", "G1", "A4", "A5", "A6")}})
    assert [got[c] for c in ("A1", "B1", "C1", "D1")] == [1.0, 11.0, "#N/A", "#N/A"]
    assert [got[f"A{r}"] for r in range(3, 7)] == [7.0, 8.0, "#N/A", "#N/A"]
    assert [got[c] for c in ("E1", "F1", "G1")] == [5.0, 2.0, 5.0]
