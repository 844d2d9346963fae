"""SEQUENCE, FILTER, SORT, SORTBY, UNIQUE and spill references, read back through INDEX/SUM/ROWS
(results as Excel documents them)."""
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from formula_values import value, values

CELLS = {"A1": "b", "A2": "a", "A3": "B", "A4": 3, "A5": 1, "B1": 10, "B2": 20, "B3": 30, "B4": 40, "B5": 50}


@pytest.mark.parametrize("formula, expected", [
    ("=SUM(_xlfn.SEQUENCE(3))", 6.0),
    ("=INDEX(_xlfn.SEQUENCE(2,3,10,5),2,3)", 35.0),
    ("=ROWS(_xlfn.SEQUENCE(4,2))", 4.0),
    ("=_xlfn.SEQUENCE(0)", "#VALUE!"),
    # numbers before text, text case-insensitively, stable
    ("=INDEX(_xlfn._xlws.SORT(A1:A5),1)", 1.0),
    ("=INDEX(_xlfn._xlws.SORT(A1:A5),3)", "a"),
    ("=INDEX(_xlfn._xlws.SORT(A1:A5),4)", "b"),
    ("=INDEX(_xlfn._xlws.SORT(A1:A5,1,-1),1)", "b"),
    ("=INDEX(_xlfn._xlws.SORT(A1:B5,2,-1),1,1)", 1.0),
    ("=INDEX(_xlfn.SORTBY(A1:A5,B1:B5,-1),1)", 1.0),
    ("=ROWS(_xlfn.UNIQUE(A1:A5))", 4.0),                 # "b" and "B" are the same
    ("=ROWS(_xlfn.UNIQUE(A1:A5,,TRUE))", 3.0),           # exactly once
    ("=SUM(_xlfn._xlws.FILTER(B1:B5,B1:B5>25))", 120.0),
    ('=_xlfn._xlws.FILTER(B1:B5,B1:B5>99,"none")', "none"),
    ("=_xlfn._xlws.FILTER(B1:B5,B1:B3>1)", "#VALUE!"),
])
def test_dynamic(formula, expected):
    assert value(formula, **CELLS) == expected


def test_spill_reference_reads_the_area_of_the_array_formula():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = ArrayFormula("A1:A4", "=_xlfn.SEQUENCE(4)")
    ws["C1"] = "=SUM(_xlfn.ANCHORARRAY(A1))"
    ws["C2"] = "=SUM(_xlfn.ANCHORARRAY(B1))"
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "s.xlsx")
        model = load_workbook_model(Path(tmp) / "s.xlsx")
    compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    assert grid.num[:4, 0].tolist() == [1.0, 2.0, 3.0, 4.0] and grid.num[0, 2] == 10.0
    assert str(grid.obj[1, 2]) == "#REF!"
