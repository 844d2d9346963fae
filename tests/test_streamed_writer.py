"""The streamed table writer (issue 14, item 15) writes what the writer before it wrote.

``tests/data/streamed_writer/`` holds, per case, an input workbook (``CASE.in.xlsx``) and what
the previous writer (which held every cell of the sheet as text; commit 98749aa) made of it with
the frame of :data:`CASES` (``CASE.before.xlsx``). The streamed writer's output must read back the
same through openpyxl (values, formulas, number formats, merged ranges, tables) and
python-calamine (values), keep every other part byte for byte, and keep the worksheet's text
around ``<sheetData>`` as it was; calculated columns are now one shared formula each, which both
readers expand to the formula of every row. Small blocks and pieces force the streaming's
boundaries on these small tables.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from ilt_xl.workbook import sheet_writer
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.sheet_stream import SheetStream
from ilt_xl.workbook.sheet_writer import replace_table_rows, write_tables
from tests.test_macros_sheet_writer import _frame

DATA = Path(__file__).resolve().parent / "data" / "streamed_writer"
EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"


def _every_kind() -> pd.DataFrame:
    return pd.DataFrame({
        "SessionId": ["a", " padded ", "=1+1", None, "two\nlines", "ünï & <b>"],
        "DueDate": pd.to_datetime(["2024-02-29", None, "1900-03-01", "2099-12-31 18:30", "2025-01-01", None], format="ISO8601"),
        "Status": pd.Series([True, False, 1, 2.5, None, "x"], dtype=object),
        "Notes": [1e20, 1.5, np.nan, "t", float("inf"), 3],
    })


# case -> (table, frame, reshape)
CASES = {
    "grow_with_totals": ("Checklist", lambda: _frame(23), False),
    "shrink_with_totals": ("Checklist", lambda: _frame(3), False),
    "content_below_and_beside": ("Checklist", lambda: _frame(30), False),
    "values_of_every_kind": ("Checklist", _every_kind, False),
    "reshape": ("Checklist", lambda: pd.DataFrame({"SessionId": list("XYZ"), "Status": ["Open"] * 3,
                                                    "2025-W01": [3, 1, 0], "2025-W02": [0, 2, 5]}), True),
    "empty": ("Checklist", lambda: _frame(0), False),
    "relative_formula": ("Tab", lambda: pd.DataFrame({"A": range(12), "B": range(100, 112)}), False),
}


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(sheet_writer, "_BLOCK_ROWS", 4)
    monkeypatch.setattr(sheet_writer, "_PIECE_CHARS", 200)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _around_sheet_data(xml: bytes) -> tuple[bytes, bytes]:
    return xml[:xml.index(b"<sheetData")], xml[xml.rindex(b"</sheetData>"):]


def _openpyxl_view(path: Path) -> dict:
    book = openpyxl.load_workbook(path)
    view = {}
    for ws in book.worksheets:
        cells = {c.coordinate: (c.value, c.number_format, c.style_id) for row in ws.iter_rows() for c in row
                 if c.value is not None or c.has_style}
        view[ws.title] = (cells, ws.dimensions, sorted(str(r) for r in ws.merged_cells.ranges),
                          {name: (ws.tables[name].ref, [c.name for c in ws.tables[name].tableColumns]) for name in ws.tables})
    return view


def _calamine_view(path: Path) -> dict:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_output_reads_back_as_the_previous_writers(case, tmp_path, small_blocks):
    table, frame, reshape = CASES[case]
    source, before = DATA / f"{case}.in.xlsx", DATA / f"{case}.before.xlsx"
    out = tmp_path / "out.xlsx"
    package = PackageEditor(source)
    location = replace_table_rows(package, table, frame(), reshape=reshape)
    package.save(out)

    old, new = _parts(before), _parts(out)
    assert list(new) == list(old), "same parts in the same order"
    assert [n for n in new if new[n] != old[n]] in ([], [location.sheet_part]), "only the sheet's rows differ"
    assert _around_sheet_data(new[location.sheet_part]) == _around_sheet_data(old[location.sheet_part])
    assert _openpyxl_view(out) == _openpyxl_view(before)
    assert _calamine_view(out) == _calamine_view(before)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_written_table_written_again_is_the_same_part(case, tmp_path, small_blocks):
    """Round trip: the table read back (openpyxl) and written again gives the same sheet part."""
    table, frame, reshape = CASES[case]
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    write_tables(DATA / f"{case}.in.xlsx", first, {table: frame()}, reshape=[table] if reshape else [])
    ws = next(ws for ws in openpyxl.load_workbook(first) if table in ws.tables)
    definition = ws.tables[table]
    rows = [[c.value for c in row] for row in ws[definition.ref]][:len(ws[definition.ref]) - (definition.totalsRowCount or 0)]
    rows = [[float("inf") if v == "#NUM!" else v for v in row] for row in rows]    # how an infinity is written
    calculated = {c.name for c in definition.tableColumns if c.calculatedColumnFormula is not None}
    again = pd.DataFrame(rows[1:], columns=rows[0]).drop(columns=list(calculated))
    if len(again) == 1 and again.isna().all(axis=None):
        again = again.iloc[:0]
    for name in again.columns:          # openpyxl reads dates as datetimes: the column's type again
        if again[name].map(lambda v: isinstance(v, dt.datetime) or v is None).all() and again[name].notna().any():
            again[name] = pd.to_datetime(again[name])
    write_tables(first, second, {table: again}, reshape=[table] if reshape else [])
    sheet = PackageEditor(first).table(table).sheet_part
    assert _parts(second)[sheet] == _parts(first)[sheet]


def test_rows_cut_anywhere_between_pieces_read_the_same():
    xml = _parts(DATA / "content_below_and_beside.before.xlsx")["xl/worksheets/sheet1.xml"]
    whole = SheetStream((xml,), "x.xlsx", "sheet1")
    expected = (whole.head, list(whole.rows()), whole.tail)
    for size in (1, 2, 3, 7, 64, 65, 1000):
        stream = SheetStream((xml[i:i + size] for i in range(0, len(xml), size)), "x.xlsx", "sheet1")
        assert (stream.head, list(stream.rows()), stream.tail) == expected, size


def test_what_comments_and_processing_instructions_hold_is_no_row_nor_cell():
    """A row or cell inside <!-- --> or <? ?> (between rows or within one) is none: the table writer
    rewrote such a row as a real one (close added a session S9 out of a comment)."""
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b'<row r="1"><c r="A1"><v>1</v></c><!-- <c r="B1"><v>9</v></c> --></row>'
           b'<!-- <row r="2"><c r="A2"><v>2</v></c></row> --><?pi <row r="3"/> ?>'
           b'<row r="4"><?x <c r="B4"/>?><c r="A4"><v>4</v></c></row>'
           b'<!-- <row r="9"/> --></sheetData></worksheet>')
    for size in (len(xml), 1, 5, 64):
        stream = SheetStream((xml[i:i + size] for i in range(0, len(xml), size)), "x.xlsx", "sheet1")
        assert list(stream.rows()) == [(1, ' r="1"', '<c r="A1"><v>1</v></c>'), (4, ' r="4"', '<c r="A4"><v>4</v></c>')], size
        assert stream.tail == "</worksheet>"


def test_the_example_allocation_streamed_equals_its_rows(tmp_path, small_blocks):
    """The example's Allocation (thousands of rows, many blocks) reads back as the rows computed."""
    from ilt_xl.workbook.headless import run_macro
    from ilt_xl.workbook.reader import read_planner

    out = tmp_path / "out.xlsx"
    run = run_macro("allocate", EXAMPLE, out)
    read = read_planner(out, validate=False).tables["Allocation"]
    assert len(read) == run.rows > 3 * 4
    written = run.written.reset_index(drop=True)
    for name in written.columns:
        if pd.api.types.is_numeric_dtype(written[name]):
            assert np.allclose(read[name].to_numpy(dtype=float), written[name].to_numpy(dtype=float), equal_nan=True), name
        else:
            assert read[name].astype(str).tolist() == written[name].astype(str).tolist(), name
