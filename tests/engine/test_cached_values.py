"""The values Excel cached in formula cells: the scan leaves them in the sheet's pieces and the grid
gets them only where they count (a cell the engine keeps, a circle's starting point), so a big
sheet's recomputed cells are never parsed twice."""
from __future__ import annotations

import datetime as dt
import zipfile

from handmade import write_xlsx

from ilt_xl.engine.recalc import compute
from ilt_xl.engine.workbook_model import load_cached_values, load_workbook_model

CELLS = ('<row r="1"><c r="A1"><v>5</v></c><c r="B1" t="str"><f>FOOBAR(A1)</f><v>cached &amp; kept</v></c>'
         '<c r="C1"><f>A1*2</f><v>999</v></c><c r="D1" t="b"><f>BARBAZ()</f><v>1</v></c>'
         '<c r="E1" t="str"><f>B1&amp;"!"</f><v>stale</v></c><c r="F1"><f>D1+1</f><v>0</v></c></row>')


def test_kept_cells_get_their_cached_values_and_computed_cells_do_not_need_them(tmp_path):
    model = load_workbook_model(write_xlsx(tmp_path / "in.xlsx", {"S": CELLS}))
    grid = model.sheets[0].grid
    assert model.sheets[0].cached_pending is not None and grid.value(0, 2) is None   # not parsed yet
    report = compute(model, dt.date(2024, 1, 1))
    assert report.kept_count == 2
    assert [grid.value(0, c) for c in range(6)] == [5.0, "cached & kept", 10.0, True, "cached & kept!", 2.0]


def test_load_cached_values_reads_every_formula_cells_cached_value(tmp_path):
    sheet = load_workbook_model(write_xlsx(tmp_path / "in.xlsx", {"S": CELLS})).sheets[0]
    load_cached_values(sheet)
    assert [sheet.grid.value(0, c) for c in range(6)] == [5.0, "cached & kept", 999.0, True, "stale", 0.0]
    assert sheet.cached_pending is None


def test_iterative_calculation_starts_from_the_cached_values(tmp_path):
    """=A1+1 with iterative calculation and 3 iterations goes up by 3 on every recalculation, from
    the value the cell holds (as a counter does in Excel)."""
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>A1+1</f><v>10</v></c></row>'})
    out = tmp_path / "iterate.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", b'</sheets><calcPr iterate="1" iterateCount="3" iterateDelta="0"/>')
            zout.writestr(info, data)
    model = load_workbook_model(out)
    compute(model, dt.date(2024, 1, 1))
    assert model.sheets[0].grid.value(0, 0) == 13.0
