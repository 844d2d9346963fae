"""The sheet scanner: the cells it finds are the ones openpyxl finds; formula-cell forms;
references outside Excel's grid."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.engine.sheet_scan import FIELDS, FORMULA_CELL, _spans, cell_refs, scan_sheet_xml
from ilt_xl.engine.value_cells import SHARED_STRING, TypedValues, place_values
from ilt_xl.engine.values import BOOL, ERR, NUM, STR, Block
from ilt_xl.engine.workbook_model import _expand_shared

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"


def _sheet_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(EXAMPLE) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


@pytest.fixture(scope="module")
def example_by_openpyxl():
    """Every sheet of the example as openpyxl reads it: {part: (formula cells, value cells)}."""
    book = openpyxl.load_workbook(EXAMPLE)
    out = {}
    for ws, part in zip(book.worksheets, sorted(_sheet_parts(), key=lambda n: int(n[19:-4]))):
        cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
        formulas = {(c.row, c.column, c.value[1:]) for c in cells if c.data_type == "f"}
        out[part] = (formulas, {(c.row, c.column) for c in cells if c.data_type != "f"})
    return out


def test_scan_finds_the_cells_openpyxl_finds(example_by_openpyxl):
    for part, data in _sheet_parts().items():
        cells = scan_sheet_xml(data, "example.xlsx", part)
        formulas, values = example_by_openpyxl[part]
        # calculated columns are shared formulas: the scan gives the text once, expanded for every cell
        texts = _expand_shared(cells, "example.xlsx", part) if any(cells.f_shared) else cells.f_texts
        assert set(zip(cells.f_rows.tolist(), cells.f_cols.tolist(), texts)) == formulas, part
        assert len(cells.f_rows) == len(formulas)
        # value cells, and the formula cells whose value Excel (here: the builder) cached
        found = set(zip(cells.v_rows.tolist(), cells.v_cols.tolist()))
        assert found - values <= {(r, c) for r, c, _ in formulas} and values <= found, part
        if len(cells.f_rows):
            # the pieces are the part without its formula cells and their cached values, one group per cell
            assert len(cells.pieces) == len(cells.f_rows)
            rest = cells.pieces.without_formula_cells()
            assert rest.count(b"<f>") + rest.count(b"<f ") == 0 and rest.count(b"<c ") + len(cells.f_rows) == data.count(b"<c ")


@pytest.mark.parametrize("cell, formula", [
    (b'<c r="A1"><f/></c>', b"<f/>"),
    (b'<c r="B2" s="1"><f t="shared" si="0"/><v>1</v></c>', b'<f t="shared" si="0"/>'),
    (b'<c r="C3"><f\tt="array" ref="C3:C4">1+1</f><v>2</v></c>', b'<f\tt="array" ref="C3:C4">1+1</f>'),
    (b'<c r="XFD1048576" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>', b'<f>"a"&amp;"b"</f>'),
])
def test_formula_cell_forms(cell, formula):
    split = FORMULA_CELL.split(b"<row>" + cell + b"</row>")
    assert split[3] == formula and split[0] == b"<row>" and split[-1] == b"</row>"


def test_value_cells_are_not_formula_cells():
    assert len(FORMULA_CELL.split(b'<c r="A1" s="1"/><c r="A2"><v>1</v></c><c r="A3"><fo>1</fo></c>')) == 1


def test_cell_references_outside_excels_grid_are_refused_not_wrapped_around():
    assert [a.tolist() for a in cell_refs([b"A1", b"XFD1048576", b"AB12"])] == [[1, 1048576, 12], [1, 16384, 28]]
    sheet = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B0"><v>2</v></c></row></sheetData></worksheet>'
    for bad in (b"B0", b"XFE1", b"A1048577"):
        with pytest.raises(ValueError, match=f"{bad.decode()} lies outside Excel's grid"):
            scan_sheet_xml(sheet.replace(b"B0", bad), "p.xlsx", "Data")


def test_hidden_rows_and_an_active_auto_filter_are_read_from_the_xml_around_the_cells():
    part = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="str"><f>"&lt;row r=""9"" hidden=""1""&gt;"</f><v></v></c></row>'
            b'<row r="2" hidden="1"><c r="A2"><v>2</v></c></row>'
            b'<row r="3"><c r="A3"><v>3</v></c></row>'
            b'<row r="4" spans="1:1" hidden="true"><c r="A4"><f>A3</f><v>3</v></c></row>'
            b'</sheetData><autoFilter ref="A1:A4"><filterColumn colId="0"><filters><filter val="3"/></filters>'
            b'</filterColumn></autoFilter></worksheet>')
    fast = scan_sheet_xml(part, "hand.xlsx", "Sheet1")
    assert fast.pieces is not None and fast.cut is None             # the fast path read it
    assert fast.hidden_rows.tolist() == [2, 4] and fast.filtering
    careful = scan_sheet_xml(part.replace(b'<c r="A3">', b'<c s="0" r="A3">'), "hand.xlsx", "Sheet1")
    assert careful.cut is not None                                   # the ElementTree path
    assert careful.hidden_rows.tolist() == [2, 4] and careful.filtering
    # an autoFilter filtering by no column (buttons only), or one of a custom view only, is not active
    idle = part.split(b"<autoFilter")[0] + b'<autoFilter ref="A1:A4"/></worksheet>'
    assert not scan_sheet_xml(idle, "h", "S").filtering
    viewed = part.split(b"<autoFilter")[0] + b'<customSheetViews><customSheetView guid="{0}">' + \
        part.split(b"</sheetData>")[1].replace(b"</worksheet>", b"") + b'</customSheetView></customSheetViews></worksheet>'
    assert not scan_sheet_xml(viewed, "h", "S").filtering


def _spans_by_one_buffer(chunks):
    """The spans _spans gives: the data cut, each time a chunk has come, before the last "<row" of
    what has come since the last cut (never at that cut itself)."""
    data, cut, end = b"".join(chunks), 0, 0
    for chunk in chunks:
        end += len(chunk)
        last = data.rfind(b"<row", cut, end)
        if last > cut:
            yield data[cut:last]
            cut = last
    yield data[cut:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"<row", b'<row r="1">', b"<ro", b"w", b"<", b"row", b"x", b"</row>", b""]), max_size=14),
       st.lists(st.integers(0, 40), max_size=6))
def test_chunks_are_regrouped_into_the_same_spans_wherever_they_are_cut(pieces, cuts):
    data = b"".join(pieces)
    bounds = sorted(min(c, len(data)) for c in cuts)
    chunks = [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)])]
    assert [bytes(s) for s in _spans(iter(chunks))] == list(_spans_by_one_buffer(chunks))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.sampled_from([NUM, BOOL, STR, ERR, SHARED_STRING, 0])),
                max_size=20))
def test_typed_cells_land_where_a_row_and_column_write_puts_them(cells):
    """place_values against writes by row and column arrays, kind by kind in the same order (a
    cell listed twice keeps what the last write gives it)."""
    rows = np.array([r for r, _, _ in cells], np.int32)
    cols = np.array([c for _, c, _ in cells], np.int32)
    kind = np.array([k for _, _, k in cells], np.int8)
    num = np.arange(len(cells), dtype=np.float64) % 2
    code = np.where((kind == STR) | (kind == ERR), np.arange(len(cells)), -1).astype(np.int32)
    values = TypedValues(kind, num, code, [f"t{i}" for i in range(len(cells))])
    sst = ["s0", "s1"]
    got = Block(np.zeros((4, 3), np.int8), np.zeros((4, 3)), np.empty((4, 3), object))
    place_values(got, rows, cols, values, sst, "p.xlsx", "S")
    want = Block(np.zeros((4, 3), np.int8), np.zeros((4, 3)), np.empty((4, 3), object))
    r, c = rows.astype(np.int64) - 1, cols.astype(np.int64) - 1
    for which in (np.flatnonzero((kind == NUM) | (kind == BOOL)),):
        want.kind[r[which], c[which]] = kind[which]
        want.num[r[which], c[which]] = num[which]
    which = np.flatnonzero(kind == SHARED_STRING)
    want.kind[r[which], c[which]] = STR
    want.obj[r[which], c[which]] = np.array(sst, object)[num[which].astype(np.int64)]
    which = np.flatnonzero(code >= 0)
    want.kind[r[which], c[which]] = kind[which]
    want.obj[r[which], c[which]] = np.array(values.objects, object)[code[which]]
    assert np.array_equal(got.kind, want.kind) and np.array_equal(got.num, want.num)
    assert got.obj.tolist() == want.obj.tolist()
