"""OFFSET and INDIRECT: the area is computed, the formulas writing it are evaluated first."""
import pytest

from formula_values import value, values


def test_offset_and_indirect():
    cells = {"A1": 1, "A2": 2, "A3": 3, "B1": "=A1*10", "B2": "=A2*10", "B3": "=A3*10", "Data!A1": 7,
             "D1": "=SUM(OFFSET(A1,1,1,2,1))", "D2": "=OFFSET(A1,2,0)", "D3": "=SUM(OFFSET(A3,0,0,-3))",
             "D4": "=OFFSET(A1,-1,0)", "D5": '=INDIRECT("B"&2)', "D6": '=SUM(INDIRECT("A1:A3"))',
             "D7": '=INDIRECT("Data!A1")', "D8": '=INDIRECT("R2C2",FALSE)', "D9": '=INDIRECT("R[-8]C[-2]",FALSE)',
             "D11": "=ROWS(OFFSET(A1,0,0,3,2))", "D12": "=OFFSET(A1,0,0,0,1)", "D13": '=OFFSET("A1",0,0)',
             # a plain formula takes one value of a range given as rows/cols: the cell on its row (A14)
             "C14": 2, "D14": "=OFFSET(A1,C13:C15,0)"}
    got = values(cells, extra_sheets=("Data",))
    assert [got[f"D{i}"] for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14)] == \
        [50.0, 3.0, 6.0, "#REF!", 20.0, 6.0, 7.0, 20.0, 10.0, 3.0, "#REF!", "#VALUE!", 3.0]


def test_cells_read_through_indirect_are_computed_before_they_are_read():
    # nothing in E1's formula names E2:E3, so only the on-demand evaluation orders them first
    got = values({"D1": 49, "E1": '=SUM(INDIRECT("E"&2&":E"&3))', "E2": "=D1+1", "E3": "=E2*2"})
    assert (got["E1"], got["E2"], got["E3"]) == (150.0, 50.0, 100.0)


def test_row_column_rows_columns_from_the_table():
    from direct_calls import arg, call
    area = arg([[1, 2], [3, 4], [5, 6]], area=True, at=(3, 2))      # B3:C5
    assert (call("ROW", area), call("COLUMN", area)) == ([[3.0], [4.0], [5.0]], [[2.0, 3.0]])
    assert (call("ROWS", area), call("COLUMNS", area)) == (3.0, 2.0)
    assert call("ROW", rows=(7, 8)) == [[7.0], [8.0]]                 # the formula's own rows
    assert call("COLUMN", col=4) == 4.0
    assert call("ROW", arg(5)) == "#VALUE!"                           # not a reference


@pytest.mark.parametrize("formula, expected", [
    ("=AREAS(C4:F4)", 1.0),
    ("=AREAS((D4:G4,I4:J4,K4:N4))", 3.0),                    # a union: its parts
    ("=AREAS(((F4:G4,G4:I4,F6:G6,G6:I6) G3:G11))", 4.0),     # intersection distributes over a union
    ("=AREAS((E4:H4 J4:K4 L4:O4))", "#NULL!"),               # nothing in common
    ("=AREAS(OFFSET(A1,1,1,2,2))", 1.0),
    ('=AREAS("A1")', "#VALUE!"),
])
def test_areas(formula, expected):
    assert value(formula) == expected


def _computed(cells: dict, iterate: bool = False):
    """(values of ``cells`` after recalculation, the cells reported as circular references)."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from formula_values import _plain
    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    from ilt_xl.xlsx import column_index
    wb = openpyxl.Workbook()
    for key, v in cells.items():
        wb.active[key] = v
    if iterate:
        wb.calculation.iterate, wb.calculation.iterateCount, wb.calculation.iterateDelta = True, 100, 1e-12
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "r.xlsx")
        model = load_workbook_model(Path(tmp) / "r.xlsx")
    report = compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    got = {k: _plain(grid, int(k.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - 1,
                     column_index(k.rstrip("0123456789")) - 1) for k in cells}
    circular = sorted(p.cell.split("!")[1] for p in report.problems if p.kind == "circular reference")
    return got, circular


def test_arguments_taken_as_references_only_close_no_circle():
    # Excel: where a cell is (ROW, COLUMN, ROWS, OFFSET's base, INDEX's area) is not its value
    got, circular = _computed({"A5": "=ROW(A5)", "B5": "=COLUMN(B5)*2", "C5": "=ROWS(OFFSET(C1,0,0,10))",
                               "D2": 7, "D5": "=INDEX(D1:D9,2)", "E1": 1, "F1": "=OFFSET(F1,0,-1)*2",
                               "F2": "=OFFSET(F2,-1,0)+1", "F3": "=OFFSET(F3,-1,0)+1"})
    assert circular == []
    assert [got[k] for k in ("A5", "B5", "C5", "D5", "F1", "F2", "F3")] == [5.0, 4.0, 10.0, 7.0, 2.0, 3.0, 4.0]


def test_ranges_built_when_the_formula_runs_are_computed_before_they_are_read():
    got, circular = _computed({
        # a running total through the range operator, in its own column
        "C1": 1, "C2": "=SUM(C$1:INDEX(C:C,ROW()-1))", "C3": "=SUM(C$1:INDEX(C:C,ROW()-1))",
        "C4": "=SUM($C$1:INDEX(C:C,ROW()-1))",
        # nothing in G1's formula names H2:H3, whose formulas read cells computed after them
        "G1": "=SUM(H1:INDEX(H1:H5,3))", "H1": 1, "H2": "=I2*2", "H3": "=I3*2", "I2": "=J1", "I3": 5, "J1": 4,
        # OFFSET over formulas
        "K1": 2, "K2": "=K1*2", "K3": "=K2*2", "L1": "=SUM(OFFSET(K1,0,0,3))", "L2": "=L1+K3"})
    assert circular == []
    assert [got[k] for k in ("C2", "C3", "C4", "G1", "L1", "L2")] == [1.0, 2.0, 4.0, 19.0, 14.0, 22.0]


def test_a_circle_closed_only_when_the_formula_runs_is_a_circular_reference():
    got, circular = _computed({"A1": 1, "A2": "=SUM(OFFSET(A1,0,0,2))",          # reads itself
                               "B1": 1, "B3": "=SUM(B1:INDEX(B1:B5,ROW()))",     # B1:B3, itself included
                               "C5": "=INDEX(C1:C9,5)",                          # picks itself
                               "D1": "=E1+1", "E1": "=SUM(OFFSET(D1,0,0,1,1))"})  # through another cell
    assert circular == ["A2", "B3", "C5", "D1", "E1"]
    assert got["A2"] is None        # kept as cached (openpyxl caches nothing), never a stale sum


def test_a_circle_closed_when_the_formula_runs_iterates_when_the_file_asks():
    got, circular = _computed({"A1": "=1+SUM(OFFSET(A1,0,0,1,1))/2"}, iterate=True)
    assert circular == [] and abs(got["A1"] - 2.0) < 1e-9


def test_a_sheet_named_with_accented_letters_is_read_without_quotes():
    from formula_values import values
    got = values({"Paramètres!T5": "Oui", "Paramètres!A1": 4, "G8": "Oui",
                  "H1": '=IF(G8=Paramètres!T5,"Non","Oui")', "H2": "=Paramètres!$A$1*2"}, extra_sheets=("Paramètres",))
    assert (got["H1"], got["H2"]) == ("Non", 8.0)
