"""read_planner on valid planners (built here, and the committed workbooks) and on files that are not usable."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import broken_workbooks as bw
from ilt_xl import Planner, WorkbookError, read_planner
from ilt_xl.schema import PLANNER

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> Path:
    return bw.write_planner(tmp_path_factory.mktemp("valid") / "planner.xlsx")


def where(planner: Planner) -> set[tuple]:
    return {(p.severity, p.sheet, p.cell, p.column) for p in planner.problems}


def test_valid_planner_reads_clean_and_typed(valid):
    planner = read_planner(valid)
    assert planner.problems == []
    assert set(planner.tables) == set(PLANNER.table_names)
    s = planner.sessions
    assert list(s.columns) == list(PLANNER.table("Sessions").column_names)
    assert list(s.index) == [2, 3, 4] and s.index.name == "row"
    assert list(s["SessionId"]) == ["S1", "S2", "S3"]
    assert s.loc[4, "Country"] == "NA"                      # Namibia, not missing
    assert s["StartDate"].dtype == "datetime64[ns]"
    assert s.loc[3, "EndDate"] == pd.Timestamp("2024-05-07")
    assert s.loc[3, "StartTime"] == pd.Timedelta(hours=9)
    assert pd.isna(s.loc[2, "StartTime"])
    assert str(s["EquipmentUnits"].dtype) == "Int64" and s.loc[2, "EquipmentUnits"] == 8
    assert s.loc[3, "OtherFixedCost"] == 120.5 and np.isnan(s.loc[2, "OtherFixedCost"])
    assert s.loc[2, "RoomId"] == "R1" and s.loc[3, "AllocationKey"] == ""
    # calculated columns written by openpyxl have no cached values: blank, not errors
    assert (s["Currency"] == "").all() and s["Occupancy"].isna().all()
    assert planner.courses["HoursPerDay"].tolist() == [7.0, 6.5]
    assert planner.allocation.empty and list(planner.allocation.columns) == list(PLANNER.table("Allocation").column_names)
    assert planner.enrolments.loc[3, "LearnerId"] == "L-77" and planner.enrolments.loc[3, "Country"] == "NA"


def test_settings_are_typed(valid):
    settings = read_planner(valid).settings
    assert settings["ReportingCurrency"] == "EUR"
    assert settings["GoNoGoLeadDays"] == 14 and isinstance(settings["GoNoGoLeadDays"], int)
    assert settings["BudgetRateDate"] == pd.Timestamp("2024-01-01")
    assert settings["AsOfDate"] is None                     # =TODAY() without a cached value


def test_tables_are_found_by_definition_not_position(tmp_path):
    rows = bw.planner_rows()
    rows["Rooms"][1]["Capacity"] = "many"
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows, origin=(3, 2)))
    assert list(planner.rooms["RoomId"]) == ["R1", "R2", "R3"]
    assert list(planner.rooms.index) == [4, 5, 6]
    assert where(planner) == {("error", "Rooms", "F5", "Capacity")}   # header at B3, Capacity 5th column


def test_blank_rows_are_skipped(tmp_path):
    rows = bw.planner_rows()
    rows["Courses"].insert(1, {})
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows))
    assert list(planner.courses.index) == [2, 4] and planner.problems == []


@pytest.mark.parametrize("kwargs, expected", [
    (dict(drop_sheets=("Rooms",)), {("error", "Rooms", None, None)}),
    (dict(drop_tables=("Budget",)), {("error", "Budget", None, None)}),
    (dict(table_names={"Courses": "Catalogue"}), {("error", "Courses", None, None)}),
    (dict(drop_columns={"Sessions": ("Status",)}), {("error", "Sessions", None, "Status")}),
    (dict(rename_columns={"Rooms": {"Capacity": "Capacty"}}),
     {("error", "Rooms", None, "Capacity"), ("warning", "Rooms", "E1", "Capacty")}),
    (dict(hidden_sheets=("FX",)), {("warning", "FX", None, None)}),
    # its default is used, so the planner still computes: a warning
    (dict(drop_names=("GoNoGoLeadDays",)), {("warning", "Settings", None, "GoNoGoLeadDays")}),
])
def test_structural_problems_are_located(tmp_path, kwargs, expected):
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", **kwargs))
    assert where(planner) == expected


def test_renamed_table_names_the_table_found(tmp_path):
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", table_names={"Courses": "Catalogue"}))
    [problem] = planner.problems
    assert "Catalogue" in problem.message and "rename it to Courses" in problem.message


def test_header_typo_suggests_the_column(tmp_path):
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rename_columns={"Rooms": {"Capacity": "Capacty"}}))
    assert any("'Capacty' a misspelling" in p.message for p in planner.problems)


def test_missing_referenced_table_does_not_flag_every_row(tmp_path):
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", drop_sheets=("Courses",)))
    assert where(planner) == {("error", "Courses", None, None)}


# Files that are not usable workbooks: one WorkbookError with a reason a user can act on.
FILE_CASES = {
    "not a zip": (lambda p, v: bw.not_a_zip_file(p), "not an .xlsx"),
    "truncated zip": (lambda p, v: bw.truncated_file(p, v), "truncated"),
    "encrypted": (lambda p, v: bw.encrypted_file(p), "password-protected"),
    "xls": (lambda p, v: bw.xls_file(p), ".xls"),
    "csv renamed": (lambda p, v: bw.csv_file(p), "CSV"),
    "ods": (lambda p, v: bw.ods_file(p), ".ods"),
    "empty file": (lambda p, v: p.write_bytes(b"") and p or p, "empty"),
    "ratio zip bomb": (lambda p, v: bw.ratio_bomb_file(p, v), "zip bomb"),
    "declared zip bomb": (lambda p, v: bw.declared_bomb_file(p, v), "zip bomb"),
    "billion laughs": (lambda p, v: bw.billion_laughs_file(p, v), "DTD"),
    "external entity": (lambda p, v: bw.external_entity_file(p, v), "DTD"),
    "cell at the far corner": (lambda p, v: bw.far_cell_file(p, v), "cell limit"),
    "table over the row limit": (lambda p, v: bw.oversized_table_file(p, v), "beyond Excel's"),
    "malformed sheet xml": (lambda p, v: bw.malformed_sheet_file(p, v), "sheet Courses (xl/worksheets/sheet2.xml) is damaged"),
}


@pytest.mark.parametrize("case", FILE_CASES)
def test_unusable_files_raise_one_clear_error(tmp_path, valid, case):
    make, reason = FILE_CASES[case]
    path = tmp_path / "broken.xlsx"
    make(path, valid)
    before = path.read_bytes()
    started = time.perf_counter()
    with pytest.raises(WorkbookError) as info:
        read_planner(path)
    assert time.perf_counter() - started < 5
    assert info.value.file == str(path) and reason in info.value.reason
    assert path.read_bytes() == before


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(WorkbookError, match="no such file"):
        read_planner(tmp_path / "absent.xlsx")
    with pytest.raises(WorkbookError, match="folder"):
        read_planner(tmp_path)


@pytest.mark.parametrize("name", ["ilt_planner.xlsx", "ilt_planner_example.xlsx"])
def test_committed_workbooks_read_without_errors(name):
    path = ROOT / "workbooks" / name
    if not path.exists():
        pytest.skip(f"{path} not built yet")
    planner = read_planner(path)
    assert planner.errors == []
    if name == "ilt_planner_example.xlsx":
        assert len(planner.sessions) > 100 and planner.sessions["StartDate"].notna().all()


@pytest.mark.slow
def test_20000_session_example_reads_whole(tmp_path):
    """Every session of a large example is read (its speed is measured in benchmarks/scale.py, not
    here: a time limit in a test fails on a loaded machine, not on slow code)."""
    example = pytest.importorskip("ilt_xl.workbook.example")
    builder = pytest.importorskip("ilt_xl.workbook.builder")
    path = builder.build_planner(tmp_path / "big.xlsx", example.make_example(20000, 7))
    planner = read_planner(path)
    assert len(planner.sessions) == 20000 and planner.sessions["SessionId"].is_unique


def test_merged_cells_inside_a_table_are_an_error_located_by_range(tmp_path, valid):
    path = tmp_path / "merged.xlsx"
    path.write_bytes(valid.read_bytes())
    bw.replace_in_part(path, bw.sheet_part("Sessions"), b"</sheetData>",
                       b'</sheetData><mergeCells count="2"><mergeCell ref="B3:C3"/><mergeCell ref="AZ40:BA41"/></mergeCells>')
    planner = read_planner(path)
    assert where(planner) == {("error", "Sessions", "B3:C3", "CourseId")}   # AZ40:BA41 lies outside the table
    assert planner.problems[0].row == 3 and "merged" in planner.problems[0].message


def test_each_sheet_is_read_once_and_let_go_after_its_last_table(valid, monkeypatch):
    """A table sheet's values (a Python object per cell) are released once the planner's last table on
    that sheet is read, so reading a large planner holds one big sheet at a time, not all of them."""
    import gc
    import weakref

    import ilt_xl.workbook.reader as reader

    read = reader.read_sheet_values
    alive_at_each_read: list[set[str]] = []
    seen: dict[str, weakref.ref] = {}
    reads: list[str] = []

    def tracked(pkg, sheet, last_row):
        gc.collect()
        alive_at_each_read.append({name for name, ref in seen.items() if ref() is not None})
        values = read(pkg, sheet, last_row)
        seen[sheet] = weakref.ref(values)
        reads.append(sheet)
        return values

    monkeypatch.setattr(reader, "read_sheet_values", tracked)
    read_planner(valid)
    assert "Sessions" in reads and "Allocation" in reads
    assert len(reads) == len(set(reads))                     # each sheet read once
    # One table per sheet in the planner: no table sheet is still held when the next sheet is read
    # (Settings, read last for the named cells, holds no table and may stay).
    assert all(alive <= {"Settings"} for alive in alive_at_each_read), alive_at_each_read


def test_a_read_column_holds_its_own_cells_not_the_sheets_grid(valid):
    """A text column is kept as read: were it a view of the 2-D grid its table was cut from, that grid (an
    object per cell of every column, 800 MB at 200,000 sessions) would live as long as the planner.

    The arrays a table's text columns hold, together, are no larger than those columns: pandas 3 gives
    each its own 1-D array, pandas 2.2 one 2-D block of the frame's text columns; a view of the table's
    grid would also hold its number and date columns."""
    planner = read_planner(valid)
    for name, frame in planner.tables.items():
        texts = [c for c in frame.columns if frame[c].dtype.kind in "OT"]   # numbers live in pandas' own blocks
        held = {}
        for column in texts:
            root = np.asarray(frame[column].array)
            while isinstance(root.base, np.ndarray):
                root = root.base
            held[id(root)] = root.size
        assert sum(held.values()) <= len(frame) * len(texts), (name, held)

def test_a_text_column_holds_each_distinct_text_once(valid):
    """Calamine makes a Python object per cell; a read text column keeps one per distinct text (a
    session's id on each of its enrolments, "Confirmed" on each session), not one per cell."""
    planner = read_planner(valid)
    for name, column in (("Sessions", "CourseId"), ("Enrolments", "SessionId"), ("Holidays", "Name")):
        texts = planner.tables[name][column].to_numpy(object)
        assert len(texts) > len(set(texts)) > 1, (name, column)        # the case: repeated texts
        assert len({id(t) for t in texts}) == len(set(texts)), (name, column)


def test_a_table_block_inside_the_read_values_is_a_view_one_past_them_is_padded():
    """The reader cuts each table out of its sheet's values: a block inside them is a view (the sheet's
    cells are not held twice while the table is typed), one reaching past them a copy padded with ""."""
    from ilt_xl.xlsx.values import SheetValues

    grid = np.array([["a", 1.0, 2.0], ["b", 3.0, 4.0]], dtype=object)
    values = SheetValues("S", grid)
    inside = values.block(1, 2, 2, 3)
    assert inside.tolist() == [[1.0, 2.0], [3.0, 4.0]] and np.shares_memory(inside, grid)
    past = values.block(2, 3, 1, 4)
    assert past.tolist() == [["b", 3.0, 4.0, ""], ["", "", "", ""]] and not np.shares_memory(past, grid)
