"""Criteria (COUNTIF/SUMIFS/AVERAGEIF/MINIFS/MAXIFS share one matcher) and SUBTOTAL."""
from formula_values import values

from ilt_xl.engine.values import STR

CELLS = {"A1": "x", "A3": 3, "A4": "3", "A5": "b", "A6": True,
         "B1": 1, "B2": 2, "B3": 3, "B4": 4, "B5": 5, "B6": 6, "Data!A1": "x", "Data!A2": "y"}


def _eval(formulas: dict) -> dict:
    got = values({**CELLS, **formulas}, extra_sheets=("Data",))
    return {k: got[k] for k in formulas}


def test_criteria():
    got = _eval({
        "D1": '=COUNTIF(A1:A6,"<>")',        # non-blank cells
        "D2": '=COUNTIF(A1:A6,"=")',         # blank cells only
        "D3": '=COUNTIF(A1:A6,"")',          # blank cells (and empty text)
        "D4": '=COUNTIF(A1:A6,3)',           # the number and the numeric text
        "D5": '=COUNTIF(A1:A6,">2")',        # numbers only
        "D6": '=COUNTIF(A1:A6,"?")',         # one-character texts
        "D7": '=COUNTIF(A1:A6,"~?")',
        "D8": '=COUNTIF(A1:A6,TRUE)',
        "D9": '=MINIFS(B1:B6,A1:A6,"<>")',
        "D10": '=MAXIFS(B1:B6,A1:A6,"x")',
        "D11": '=MAXIFS(B1:B6,A1:A6,"nothing")',
        "D12": '=SUM(COUNTIF(A1:A6,{"x","b"}))',
        "D13": '=AVERAGEIF(A1:A6,"<>x",B1:B6)',
        "D14": '=SUMIF(A1:A6,"<>3",B1:B6)',   # leaves out the number 3 only, not the text "3" (Excel's values)
        "D15": '=COUNTIF(A1:A7,"<")',         # an operator with nothing to compare with: no cell
        "D16": '=COUNTIF(A:A,">=")',
    })
    assert got == {"D1": 5.0, "D2": 1.0, "D3": 1.0, "D4": 2.0, "D5": 1.0, "D6": 3.0, "D7": 0.0, "D8": 1.0,
                   "D9": 1.0, "D10": 1.0, "D11": 0.0, "D12": 2.0, "D13": 4.0, "D14": 18.0, "D15": 0.0, "D16": 0.0}


def test_whole_columns_count_the_empty_rows_below_the_used_ones():
    got = _eval({"D1": '=COUNTIF(A:A,"")', "D2": '=COUNTIF($A:$A,"<>")', "D3": "=ROWS(A:A)",
                 "D4": '=SUMIFS(B:B,Data!A:A,"x")', "D5": '=COUNTIFS(A:A,"",B:B,"")'})
    # A holds 5 values in 6 rows: 1,048,576 - 5 rows are blank; B has one blank row fewer
    assert got == {"D1": 1048571.0, "D2": 5.0, "D3": 1048576.0, "D4": 1.0, "D5": 1048570.0}


def test_subtotal_skips_hidden_rows_for_1xx_and_other_subtotals_always():
    cells = {"A1": 1, "A2": 2, "A3": 4, "A4": "=SUBTOTAL(9,A1:A3)", "A5": 8, "A6": "=SUBTOTAL(9,A1:A5)",
             "B1": "=SUBTOTAL(109,A1:A5)", "B2": "=SUBTOTAL(103,A1:A5)", "B3": "=SUBTOTAL(101,A1:A5)",
             "B4": "=SUBTOTAL(12,A1:A5)", "B5": "=SUM(A1:A6)", "B6": "=SUBTOTAL(9,{1,2})"}
    got = values(cells, hidden_rows=(2,))
    assert (got["A4"], got["A6"]) == (7.0, 15.0)             # a manually hidden row counts for code 9
    assert (got["B1"], got["B2"], got["B3"]) == (13.0, 3.0, 13 / 3)
    assert (got["B4"], got["B5"], got["B6"]) == ("#VALUE!", 37.0, "#VALUE!")


def test_subtotal_of_an_error_instead_of_a_reference_is_that_error():
    got = values({"A1": 1, "B1": "=SUBTOTAL(9,#REF!)", "B2": "=SUBTOTAL(1,#REF!:A1)", "B3": "=SUBTOTAL(9,A1,#N/A)",
                  "B4": "=SUBTOTAL(9,A1,2)"})
    assert [got[f"B{i}"] for i in range(1, 5)] == ["#REF!", "#REF!", "#N/A", "#VALUE!"]


def _filtered_workbook_values(sheet_filter: bool, table_filter: bool) -> dict:
    """SUBTOTAL 9 and 109 over rows 2-4 (row 4 hidden, inside the filters' ranges) and rows 7-9
    (row 9 hidden, outside them), with an autoFilter on A1:B4 and a table on E1:F4, each filtering
    by a column or only showing its buttons."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model

    wb = openpyxl.Workbook()
    ws = wb.active
    for r, (name, n) in enumerate([("Name", "N"), ("a", 1), ("b", 2), ("c", 4)], start=1):
        ws.cell(r, 1, name), ws.cell(r, 2, n), ws.cell(r, 5, f"{name}{r}"), ws.cell(r, 6, n)
        if r > 1:
            ws.cell(r + 5, 2, n)
    ws.row_dimensions[4].hidden = ws.row_dimensions[9].hidden = True
    ws.auto_filter.ref = "A1:B4"
    if sheet_filter:
        ws.auto_filter.add_filter_column(0, ["a", "b"])
    table = Table(displayName="T", ref="E1:F4", autoFilter=AutoFilter(ref="E1:F4"))
    if table_filter:
        table.autoFilter.add_filter_column(0, ["Name2", "b3"])
    ws.add_table(table)
    formulas = {"C1": "=SUBTOTAL(9,B2:B4)", "C2": "=SUBTOTAL(109,B2:B4)", "C3": "=SUBTOTAL(9,B7:B9)",
                "C4": "=SUBTOTAL(109,B7:B9)", "C5": "=SUBTOTAL(9,T[N])"}
    for ref, f in formulas.items():
        ws[ref] = f
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "f.xlsx")
        model = load_workbook_model(Path(tmp) / "f.xlsx")
        compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    return {ref: float(grid.num[int(ref[1:]) - 1, 2]) for ref in formulas}


def test_subtotal_leaves_out_hidden_rows_for_codes_1_to_11_only_while_a_filter_filters():
    # Excel's rule (its cached values in files saved with and without active filters): while a
    # filter of the sheet filters by some column, every hidden row is filtered out, inside the
    # filter's range or not; a filter showing only its buttons filters nothing
    idle = {"C1": 7.0, "C2": 3.0, "C3": 7.0, "C4": 3.0, "C5": 7.0}
    active = {"C1": 3.0, "C2": 3.0, "C3": 3.0, "C4": 3.0, "C5": 3.0}
    assert _filtered_workbook_values(False, False) == idle
    assert _filtered_workbook_values(True, False) == active
    assert _filtered_workbook_values(False, True) == active


def test_per_row_criteria_hashed_give_what_each_row_scanned_alone_gives():
    """A calculated column's SUMIFS/COUNTIFS (a criterion per row) is answered by one hash grouping;
    each row must get what the reference scan gives that row on its own."""
    from direct_calls import arg, call
    keys = arg(["a", "b", "A", 1, "1", True, "TRUE", "#N/A", "#N/A"], area=True)
    keys.block.kind[7, 0], keys.block.obj[7, 0] = STR, "#N/A"      # the text "#N/A", beside the error
    amounts = arg([1, 2, 4, 8, 16, 32, 64, 128, 256], area=True, at=(1, 2))
    wanted = ["a", "1", "c", ">0", "b*", 1, "true", "#N/A"]
    rows = tuple(range(1, len(wanted) + 1))
    per_row = arg(wanted, per_row=True)
    per_row.block.kind[7, 0], per_row.block.obj[7, 0] = STR, "#N/A"
    # case-insensitive text; 1 matches the number and the numeric text; ">0" numbers only; a wildcard;
    # the text "true" matches the boolean TRUE only, the text "#N/A" the error only
    assert call("SUMIFS", amounts, keys, per_row, rows=rows) == \
        [[5.0], [24.0], [0.0], [8.0], [2.0], [24.0], [32.0], [256.0]]
    one = [arg(w) for w in wanted]
    one[7].block.kind[0, 0], one[7].block.obj[0, 0] = STR, "#N/A"
    assert [call("SUMIFS", amounts, keys, w) for w in one] == [5.0, 24.0, 0.0, 8.0, 2.0, 24.0, 32.0, 256.0]
    assert call("COUNTIFS", keys, per_row, rows=rows) == [[2.0], [2.0], [0.0], [1.0], [1.0], [2.0], [1.0], [1.0]]
    assert call("AVERAGEIFS", amounts, keys, per_row, rows=rows)[:3] == [[2.5], [12.0], ["#DIV/0!"]]


def test_per_row_comparisons_counted_by_search_give_what_each_row_scanned_alone_gives():
    """COUNTIFS with an equality and a comparison per row (``"<="&[@StartDate]``, the planner's rate
    and FX lookups) is counted by binary search over sorted cells; each row must get what the
    reference scan gives it alone, whatever the operator, ties, numeric text, booleans and blanks."""
    import random

    from direct_calls import arg, call
    rng = random.Random(16)
    keys = [rng.choice(["a", "B", "b", 1, "1", True, None]) for _ in range(60)]
    dates = [rng.choice([1.0, 2.0, 2.0, 3.5, "2", True, None, -1.0]) for _ in range(60)]
    wanted_keys = [rng.choice(["a", "b", "1", 1, "zz"]) for _ in range(40)]
    bounds = [rng.choice(["<=2", "<2", ">2", ">=2", "<= 3.5", ">-1", "<=x", "<>2", "=2", ">=1e0", 2.0]) for _ in range(40)]
    rows = tuple(range(1, 41))
    key_range, date_range = arg([[k] for k in keys], area=True), arg([[d] for d in dates], area=True, at=(1, 2))
    per_row = call("COUNTIFS", key_range, arg(wanted_keys, per_row=True), date_range, arg(bounds, per_row=True), rows=rows)
    alone = [[call("COUNTIFS", key_range, arg(k), date_range, arg(b))] for k, b in zip(wanted_keys, bounds)]
    assert per_row == alone
    only_dates = call("COUNTIF", date_range, arg(bounds, per_row=True), rows=rows)
    assert only_dates == [[call("COUNTIF", date_range, arg(b))] for b in bounds]
    assert len({c for [c] in alone}) > 4


def test_per_row_empty_criteria_hashed_match_what_zero_matches():
    """An empty cell as a row's criterion matches what 0 matches (numbers 0 and the text "0"), in the
    hashed and searched paths as in the scan."""
    from direct_calls import arg, call
    keys = arg([[0], ["0"], [None], [""], [False], [1]], area=True)
    dates = arg([[1], [2], [3], [4], [5], [6]], area=True, at=(1, 2))
    wanted, bounds, rows = arg([None, 1, None], per_row=True), arg(["<=1", "<=9", ">1"], per_row=True), (1, 2, 3)
    assert call("COUNTIFS", keys, wanted, rows=rows) == [[2.0], [1.0], [2.0]] == \
        [[call("COUNTIFS", keys, arg(w))] for w in (None, 1, None)]
    assert call("COUNTIFS", keys, wanted, dates, bounds, rows=rows) == [[1.0], [1.0], [1.0]] == \
        [[call("COUNTIFS", keys, arg(w), dates, arg(b))] for w, b in zip((None, 1, None), ("<=1", "<=9", ">1"))]


def test_not_equal_to_a_number_leaves_out_only_that_number():
    """COUNTIF(range,"<>23") counts the text "23" (which "=23" and 23 match) and the blanks."""
    cells = {"A1": 23, "A2": '="23"', "A3": True, "A4": "hey", "B1": '=COUNTIF(A1:A5,"<>23")',
             "B2": '=COUNTIF(A1:A5,"=23")', "B3": "=COUNTIF(A1:A5,23)", "B4": '=COUNTIFS(A1:A5,"<>"&23)'}
    got = values(cells)
    assert (got["B1"], got["B2"], got["B3"], got["B4"]) == (4.0, 2.0, 2.0, 4.0)


def test_target_ranges_memoised_per_range_keep_their_own_numbers_and_errors():
    """What *IFS aggregates of a target range is worked out once per range (report grids ask many
    cells over one range): other ranges, and an error in one of them, stay their own."""
    cells = {"A1": "x", "A2": "y", "A3": "x", "B1": 1, "B2": 2, "B3": 4, "C1": 10, "C2": "=1/0", "C3": 40,
             "D1": '=SUMIFS(B1:B3,A1:A3,"x")', "D2": '=SUMIFS(C1:C3,A1:A3,"x")', "D3": '=SUMIFS(C1:C3,A1:A3,"y")',
             "D4": '=AVERAGEIFS(B1:B3,A1:A3,"x")', "D5": '=MAXIFS(C1:C3,A1:A3,"x")', "D6": '=SUMIFS(B1:B3,A1:A3,"y")'}
    got = values(cells)
    assert [got[f"D{r}"] for r in range(1, 7)] == [5.0, 50.0, "#DIV/0!", 2.5, 40.0, 2.0]
