"""xlwings Lite, through xlwings' own machinery: udfs/lite/main.py as Lite runs it.

``lite_probe.py`` loads main.py in an interpreter where xlwings runs its server side
(``XLWINGS_ON_SERVER=true``, the ``noncommercial`` key xlwings Lite's runtime sets; test
only) and calls ``custom_functions_meta``, ``custom_functions_call`` and, for every script,
``custom_scripts_call`` on ``xw.Book(json=payload)``, the payload built from a saved
planner as the Office.js client sends it (``office_js.py``). Here:

- each script's actions, applied to the payload's cells, write the same rows as its
  command-line twin (``ilt-xl checklist|allocate|conflicts|fx|budget|availability``) writes
  into the file, column by column, on the example and on the empty template;
- on a planner without the Availability sheet, with settings as sheet-scoped names, and
  with ids that look like numbers (written behind an apostrophe so Excel keeps the text);
- every worksheet function, with scalars, ranges and bad rows, returns what the registry
  computes, errors as Excel error values.

Measured when this test was written: 0 of 6 scripts ran through ``custom_scripts_call``
before (no ``xw.Book`` annotation; then 5 of 6 read ``Range.formula``); 6 of 6 after.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from ilt_xl.functions import REGISTRY, SPECS
from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.headless import run_macro
from tests.udfs.office_js import payload
from udfs.book_io import typed_safe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workbooks" / "ilt_planner_example.xlsx"
TEMPLATE = ROOT / "workbooks" / "ilt_planner.xlsx"
SCRIPTS = {  # Lite script -> command-line twin
    "ilt_refresh_checklist": "checklist", "ilt_build_allocation": "allocate", "ilt_check_conflicts": "conflicts",
    "ilt_refresh_fx": "fx", "ilt_refresh_budget": "budget", "ilt_refresh_availability": "availability",
    "ilt_optimise": "optimise", "ilt_merge_advice": "merge-advice",
    "ilt_refresh_holidays": "holidays",
}
APPLY = "ilt_apply_proposals"  # writes four tables: compared with `ilt-xl apply` on a planner with proposals
FORECAST_SCRIPT = "ilt_forecast"  # twin: ilt-xl forecast PATH -o OUT (three tables)
CLOSE_SCRIPT = "ilt_close_periods"  # twin: ilt-xl close PATH --through (Settings' ClosedThrough) -o OUT
CLOSE_THROUGH = dt.date(2026, 3, 31)  # typed into the example's ClosedThrough (2025-12-31): closes Q1 2026
ERROR_TYPES = {"Div0": "#DIV/0!", "NotAvailable": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
               "Ref": "#REF!", "Value": "#VALUE!"}
TEXT_ID = "00123"


# ---------------------------------------------------------------------------------------------
# The job: payloads and function calls, run once in the probe's interpreter.

def _without_sheet(book: dict, name: str) -> dict:
    book = copy.deepcopy(book)
    position = [s["name"] for s in book["sheets"]].index(name)
    del book["sheets"][position]
    book["names"] = [n for n in book["names"] if n["sheet_index"] != position]
    for n in book["names"]:
        for key in ("sheet_index", "scope_sheet_index"):
            if n[key] is not None and n[key] > position:
                n[key] -= 1
    return book


def _with_text_id(book: dict) -> dict:
    """The first instructor's id replaced by ``00123`` (text), everywhere it appears as a cell."""
    book = copy.deepcopy(book)
    sheet = next(s for s in book["sheets"] if s["name"] == "Instructors")
    old = sheet["values"][1][0]
    for s in book["sheets"]:
        s["values"] = [[TEXT_ID if v == old else v for v in row] for row in s["values"]]
    return book


def _with_session_id_in_other_case(book: dict) -> dict:
    """The second session's id typed as the first one's in lower case (S00001 and s00001: one id to Excel)."""
    book = copy.deepcopy(book)
    sheet = next(s for s in book["sheets"] if s["name"] == "Sessions")
    sheet["values"][2][0] = sheet["values"][1][0].lower()
    return book


def _with_stale_availability(book: dict, rows: int = 300, columns: int = 60) -> dict:
    """The Availability table larger than the new one (more weeks, more resources): old values everywhere."""
    book = copy.deepcopy(book)
    sheet = next(s for s in book["sheets"] if s["name"] == "Availability")
    header = ["Kind", "Resource", "Name"] + [f"old{i}" for i in range(columns - 3)]
    sheet["values"] = [header] + [["old"] * columns for _ in range(rows - 1)]
    table = next(t for t in sheet["tables"] if t["name"] == "Availability")
    last = get_column_letter(columns)
    table.update(range_address=f"A1:{last}{rows}", header_row_range_address=f"A1:{last}1",
                 data_body_range_address=f"A2:{last}{rows}")
    return book


def _cell(kind: str, good: int):
    return {"number": [3, 2.5][good % 2], "date": [45658, 45720][good % 2], "text": ["DE", "FR"][good % 2]}[kind]


TEXT_VALUES = {"from_ccy": ["USD", "GBP"], "to_ccy": ["EUR", "CHF"], "status": ["Planned", "Confirmed"],
               "country": ["DE", "FR"], "skill": ["Excel", "Python"]}
RANGES = {  # small hand-made ranges for range arguments
    "weights": [[1], [2], [""], [3]],
    "rates": [["Date", "Currency", "PerEUR"], [45658, "USD", 1.04]],
    "session_ids": [["S1"], ["S2"], ["S3"]], "resource_ids": [["I1"], ["I1"], ["I2"]],
    "starts": [[45658], [45659], [45658]], "ends": [[45660], [45661], [45658]],
    "statuses": [["Planned"], ["Cancelled"], ["Confirmed"]],
    "instructor_ids": [["I1"], ["I2"]], "instructor_skills": [["Excel, Python"], ["Python"]],
    "booked_instructors": [["I1"]], "booked_resources": [["I1"]],
    "booked_starts": [[45658]], "booked_ends": [[45660]], "booked_statuses": [["Planned"]],
}
NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}  # an error cell as Office.js passes it


def _value(spec, arg, row: int):
    if arg.name in TEXT_VALUES:
        return TEXT_VALUES[arg.name][row % 2]
    if arg.name == "resource_ids" and not spec.name == "ILT_CONFLICTS":
        return ["I1", "I2"][row % 2]
    return _cell(arg.kind, row)


def _calls() -> list[dict]:
    """Every function: all scalars; then element-wise ones over a column with a blank and an error row."""
    calls = []
    for name, spec in SPECS.items():
        scalar, column = [], []
        for arg in spec.args:
            if arg.is_range or (spec.spills and arg.name in RANGES):
                scalar.append(RANGES.get(arg.name))
                column.append(RANGES.get(arg.name))
                continue
            scalar.append([[_value(spec, arg, 0)]])
            column.append([[_value(spec, arg, 0)], [_value(spec, arg, 1)], [""], [NA_CELL], ["not valid"]])
        calls.append({"func_name": name, "args": scalar})
        if not spec.spills:
            calls.append({"func_name": name, "args": column})
    return calls


def _closing(folder: Path) -> Path:
    """The example with CLOSE_THROUGH typed into Settings' ClosedThrough (only that cell rewritten)."""
    from ilt_xl.workbook.package_editor import PackageEditor
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.sheet_writer import write_cell_value

    target = folder / "closing.xlsx"
    editor = PackageEditor(EXAMPLE)
    write_cell_value(editor, *read_planner(EXAMPLE, validate=False).setting_cells["ClosedThrough"], CLOSE_THROUGH)
    editor.save(target)
    return target


def _proposed(folder: Path) -> Path:
    """The example with the optimiser's proposals in its Proposals tab (what `ilt-xl optimise` writes)."""
    target = folder / "proposed.xlsx"
    assert run_macro("optimise", EXAMPLE, target).rows > 0
    return target


def _wrong_types(folder: Path) -> Path:
    """The small planner with text typed into a date column and into a number column, a time of day as
    BudgetRateDate (Office.js sends it as a datetime on 1899-12-30), a number as AllocationMethod and
    DefaultAvailableDays out of range (the fuzzer's finds: the scripts once took all three)."""
    import broken_workbooks as bw

    rows = bw.planner_rows()
    rows["Sessions"][0]["StartDate"] = "next monday"
    rows["Courses"][1]["MaxLearners"] = "twelve"
    settings = bw.planner_settings() | {"BudgetRateDate": dt.time(7, 33), "AllocationMethod": 81240616,
                                        "DefaultAvailableDays": 197534968}
    return bw.write_planner(folder / "wrong-types.xlsx", rows, settings)


@pytest.fixture(scope="module")
def lite(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("lite")
    example = payload(EXAMPLE)
    books = {
        "example": example,
        "template": payload(TEMPLATE),
        "no-availability": _without_sheet(example, "Availability"),
        "sheet-scoped": payload(EXAMPLE, sheet_scoped=tuple(s.name for s in PLANNER.settings)),
        "text-id": _with_text_id(example),
        "stale-availability": _with_stale_availability(example),
        "proposed": payload(_proposed(folder)),
        "closing": payload(_closing(folder)),
        "case-duplicate": _with_session_id_in_other_case(example),
        "wrong-types": payload(_wrong_types(folder)),
    }
    variants = ("no-availability", "sheet-scoped", "text-id", "stale-availability")  # each checks what the Availability script meets
    only = ({label: ["ilt_refresh_availability"] for label in variants} | {"proposed": [APPLY], "closing": [CLOSE_SCRIPT]}
            | {"case-duplicate": ["ilt_build_allocation", APPLY, FORECAST_SCRIPT, CLOSE_SCRIPT]}
            | {"wrong-types": ["ilt_build_allocation", "ilt_refresh_checklist"]})
    job = {"books": books, "only": only, "calls": _calls(),
           "files": {"closing": str(_closing(folder)), "wrong-types": str(folder / "wrong-types.xlsx")}}
    return {"job": job, **run_probe(job, folder)}


def run_probe(job: dict, folder: Path) -> dict:
    """The result of ``lite_probe.py`` on ``job`` (see its docstring), run in its own interpreter."""
    (folder / "job.json").write_text(json.dumps(job))
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "udfs" / "lite_probe.py"), str(folder / "job.json"),
                          str(folder / "result.json")], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads((folder / "result.json").read_text())


# ---------------------------------------------------------------------------------------------
# Applying the actions to the payload's cells.

class Cells:
    """The workbook as the actions leave it: per sheet, a dict of (row, col) -> value; tables' ranges."""

    def __init__(self, book: dict):
        self.sheets = [s["name"] for s in book["sheets"]]
        self.cells = [{(r, c): v for r, row in enumerate(s["values"]) for c, v in enumerate(row) if v != ""}
                      for s in book["sheets"]]
        self.tables = [{t["name"]: t["range_address"] for t in s["tables"]} for s in book["sheets"]]

    def apply(self, action: dict) -> None:
        func, args, at = action["func"], action["args"], action["sheet_position"]
        if func == "addSheet":
            self.sheets.insert(args[0], args[1])
            self.cells.insert(args[0], {})
            self.tables.insert(args[0], {})
        elif func == "setValues":
            for r, row in enumerate(action["values"]):
                for c, v in enumerate(row):
                    self.cells[at][(action["start_row"] + r, action["start_column"] + c)] = v
        elif func == "rangeClearContents":
            for r in range(action["row_count"]):
                for c in range(action["column_count"]):
                    self.cells[at].pop((action["start_row"] + r, action["start_column"] + c), None)
        elif func == "addTable":
            self.tables[at][args[3]] = args[0]
        elif func == "resizeTable":
            name = list(self.tables[at])[args[0]]
            self.tables[at][name] = args[1]
        else:
            raise AssertionError(f"an action this test does not know: {func}")

    def table(self, name: str) -> list[list]:
        """The table's cells, header first, as Excel would show them after the actions."""
        for i, tables in enumerate(self.tables):
            if name in tables:
                min_col, min_row, max_col, max_row = range_boundaries(tables[name].split("!")[-1].replace("$", ""))
                return [[self.cells[i].get((r - 1, c - 1), "") for c in range(min_col, max_col + 1)]
                        for r in range(min_row, max_row + 1)]
        raise AssertionError(f"no table {name}")


def _after(book: dict, actions: list[dict]) -> Cells:
    cells = Cells(book)
    for action in actions:
        cells.apply(action)
    return cells


def _twin_rows(path: Path, command: str, tmp_path: Path) -> list[list]:
    """The table the command-line twin writes, header first (values; calculated columns as formulas)."""
    out = tmp_path / f"{command}.xlsx"
    run = run_macro(command, shutil.copy(path, tmp_path / f"in-{command}.xlsx"), out)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        if run.table in ws.tables:
            return [list(row) for row in ws[ws.tables[run.table].ref] for row in [[c.value for c in row]]]
    raise AssertionError(run.table)


def _same_cell(lite_value, twin_value) -> bool:
    """A Lite-written cell (as typed into Excel) equals the twin's cell value."""
    if twin_value is None or twin_value == "":
        return lite_value in ("", None)
    if isinstance(twin_value, str):
        return lite_value == typed_safe([twin_value])[0]  # text Excel would convert keeps its apostrophe
    if isinstance(twin_value, dt.datetime):
        text = twin_value.date().isoformat() if twin_value.time() == dt.time(0) else twin_value.isoformat(sep=" ")
        return lite_value == text  # xlwings sends dates as ISO text, which Excel reads as the date
    if isinstance(twin_value, dt.time):  # a time of day is written as the fraction of a day Excel holds
        seconds = twin_value.hour * 3600 + twin_value.minute * 60 + twin_value.second
        return isinstance(lite_value, (int, float)) and math.isclose(lite_value, seconds / 86400, abs_tol=1e-9)
    if isinstance(twin_value, bool) or isinstance(lite_value, bool):
        return lite_value == twin_value
    return isinstance(lite_value, (int, float)) and math.isclose(lite_value, twin_value, rel_tol=1e-12, abs_tol=1e-9)


def _compare(lite_rows: list[list], twin_rows: list[list], table: str) -> None:
    header = [str(h) for h in twin_rows[0]]
    assert [str(h) for h in lite_rows[0]] == header, table
    assert len(lite_rows) == len(twin_rows), (table, len(lite_rows), len(twin_rows))
    calculated = ({c.name for c in PLANNER.table(table).calculated_columns}
                  if table in {t.name for t in PLANNER.tables} else set())
    for j, column in enumerate(header):
        if column in calculated:
            continue  # Excel's formula: neither side writes a value
        for i in range(1, len(twin_rows)):
            assert _same_cell(lite_rows[i][j], twin_rows[i][j]), (table, column, i + 1, lite_rows[i][j], twin_rows[i][j])


# ---------------------------------------------------------------------------------------------
# Scripts

def test_every_script_takes_the_book_and_runs(lite):
    assert sorted(s["function_name"] for s in lite["scripts_meta"]) == sorted([*SCRIPTS, APPLY, FORECAST_SCRIPT,
                                                                               CLOSE_SCRIPT])
    assert set(SCRIPTS.values()) == set(macros.MACROS), "every macro has a Lite script (a new one needs adding here)"
    failures = {(label, name): r["error"] for label, runs in lite["scripts"].items() for name, r in runs.items()
                if "error" in r and label not in ("case-duplicate", "wrong-types")}     # refused: tests below
    # the template's ClosedThrough is blank: closing refuses, saying what to type, and writes nothing
    refused = failures.pop(("template", CLOSE_SCRIPT), "")
    assert refused.startswith("ValueError: Settings' ClosedThrough is blank: type the last day of the months")
    assert failures == {}


@pytest.mark.parametrize("label", ["closing", "example"])
def test_close_script_writes_what_the_command_line_close_writes(lite, label, tmp_path):
    """Sessions' Frozen* columns and ClosedOn, and Settings' ClosedThrough, as `ilt-xl close --through` writes
    them: on the example with 2026-03-31 typed in (Q1 2026 frozen) and on the example as it is (nothing to freeze)."""
    from typer.testing import CliRunner

    from ilt_xl.cli import app

    path = Path(lite["job"]["files"]["closing"]) if label == "closing" else EXAMPLE
    through = CLOSE_THROUGH if label == "closing" else dt.date(2025, 12, 31)
    before, after = lite["today"]
    out = tmp_path / "closed.xlsx"
    result = CliRunner().invoke(app, ["close", str(path), "--through", through.isoformat(), "--today", after,
                                      "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    frozen = json.loads(result.stdout)["frozen"]
    assert (frozen > 0) == (label == "closing")
    book = lite["job"]["books"][label]
    cells = _after(book, lite["scripts"][label][CLOSE_SCRIPT]["actions"])
    wb = openpyxl.load_workbook(out)
    ws = next(ws for ws in wb.worksheets if "Sessions" in ws.tables)
    lite_rows = cells.table("Sessions")
    closed_on = lite_rows[0].index("ClosedOn")
    for row in lite_rows[1:]:  # a probe run across midnight recorded either day
        row[closed_on] = after if row[closed_on] == before else row[closed_on]
    _compare(lite_rows, [[c.value for c in row] for row in ws[ws.tables["Sessions"].ref]], "Sessions")
    assert sum(row[closed_on] == after for row in lite_rows[1:]) == frozen
    name = next(n for n in book["names"] if n["name"] == "ClosedThrough")
    min_col, min_row, _, _ = range_boundaries(name["address"].replace("$", ""))
    sheet, cell = wb.defined_names["ClosedThrough"].destinations.__next__()
    assert _same_cell(cells.cells[name["sheet_index"]][(min_row - 1, min_col - 1)], wb[sheet][cell.replace("$", "")].value)


def test_a_planner_with_errors_is_refused_as_by_the_command_line(lite):
    """As `ilt-xl allocate` refuses it (exit 1), each script refuses a planner with errors, writing
    nothing and naming the cell: S00001 and s00001 are one session to Excel's SUMIFS."""
    runs = lite["scripts"]["case-duplicate"]
    assert set(runs) == {"ilt_build_allocation", APPLY, FORECAST_SCRIPT, CLOSE_SCRIPT}
    for name, run in runs.items():
        assert "actions" not in run, name
        assert "refused, nothing written" in run["error"] and "Sessions!A3: SessionId: error: duplicate SessionId 's00001'" in run["error"], run


def test_a_cell_of_the_wrong_type_is_reported_as_ilt_xl_check_reports_it(lite):
    """Text in a date and in a number column, three bad settings: the scripts refuse, naming each cell
    and what it should hold in the very words of `ilt-xl check` on the file (they once read such a cell
    as blank and reported it as required, and took the settings)."""
    from typer.testing import CliRunner

    from ilt_xl.cli import app

    path = lite["job"]["files"]["wrong-types"]
    result = CliRunner().invoke(app, ["check", path])
    assert result.exit_code == 1, result.output
    lines = [line.removeprefix(f"{path}: ") for line in result.output.splitlines() if line.startswith(path)]
    assert len(lines) == 5 and any("Sessions!" in x and "(expected a date)" in x for x in lines), lines
    for name, run in lite["scripts"]["wrong-types"].items():
        assert "actions" not in run, name
        assert run["error"].startswith("PlannerHasErrors: ") and "has 5 errors" in run["error"], run
        assert all(line in run["error"] for line in lines), (run["error"], lines)
        assert "required" not in run["error"]


@pytest.mark.parametrize("label,path", [("example", EXAMPLE), ("template", TEMPLATE)])
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_writes_the_rows_of_its_command_line_twin(lite, label, path, script, tmp_path):
    command = SCRIPTS[script]
    table = macros.MACROS[command].table
    cells = _after(lite["job"]["books"][label], lite["scripts"][label][script]["actions"])
    _compare(cells.table(table), _twin_rows(path, command, tmp_path), table)


def test_apply_writes_what_the_command_line_apply_writes(lite, tmp_path):
    from ilt_xl.workbook.proposals import apply_file

    cells = _after(lite["job"]["books"]["proposed"], lite["scripts"]["proposed"][APPLY]["actions"])
    applied = tmp_path / "applied.xlsx"
    run = apply_file(_proposed(tmp_path), applied)
    assert run.applied > 0
    wb = openpyxl.load_workbook(applied)
    for table in ("Sessions", "Enrolments", "Conflicts", "Proposals"):
        ws = next(w for w in wb.worksheets if table in w.tables)
        twin = [[c.value for c in row] for row in ws[ws.tables[table].ref]]
        _compare(cells.table(table), twin, table)


@pytest.mark.parametrize("label,path", [("example", EXAMPLE), ("template", TEMPLATE)])
def test_forecast_script_writes_the_rows_of_its_command_line_twin(lite, label, path, tmp_path):
    from typer.testing import CliRunner

    from ilt_xl.cli import app

    out = tmp_path / "forecast.xlsx"
    result = CliRunner().invoke(app, ["forecast", str(path), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    cells = _after(lite["job"]["books"][label], lite["scripts"][label][FORECAST_SCRIPT]["actions"])
    wb = openpyxl.load_workbook(out)
    for table in ("Forecast", "ForecastMonths", "Budget"):
        ws = next(ws for ws in wb.worksheets if table in ws.tables)
        twin = [[c.value for c in row] for row in ws[ws.tables[table].ref]]
        _compare(cells.table(table), twin, table)


def test_availability_creates_its_table_on_a_planner_without_it(lite, tmp_path):
    book = lite["job"]["books"]["no-availability"]
    actions = lite["scripts"]["no-availability"]["ilt_refresh_availability"]["actions"]
    assert [a["func"] for a in actions][:1] == ["addSheet"] and "addTable" in [a["func"] for a in actions]
    cells = _after(book, actions)
    assert "Availability" in cells.sheets
    _compare(cells.table("Availability"), _twin_rows(EXAMPLE, "availability", tmp_path), "Availability")


def test_a_smaller_availability_leaves_nothing_of_the_old_one(lite, tmp_path):
    book = lite["job"]["books"]["stale-availability"]
    cells = _after(book, lite["scripts"]["stale-availability"]["ilt_refresh_availability"]["actions"])
    _compare(cells.table("Availability"), _twin_rows(EXAMPLE, "availability", tmp_path), "Availability")
    at = cells.sheets.index("Availability")
    min_col, min_row, max_col, max_row = range_boundaries(cells.tables[at]["Availability"])
    outside = {k: v for k, v in cells.cells[at].items() if not (min_row - 1 <= k[0] < max_row and min_col - 1 <= k[1] < max_col)}
    assert max_row < 300 and max_col < 60 and outside == {}


def test_settings_as_sheet_scoped_names_are_read(lite):
    """Settings defined on the Settings sheet arrive as ``Settings!AsOfDate``: the same weeks as with book names."""
    book_scoped = _after(lite["job"]["books"]["example"], lite["scripts"]["example"]["ilt_refresh_availability"]["actions"])
    sheet_scoped = _after(lite["job"]["books"]["sheet-scoped"],
                          lite["scripts"]["sheet-scoped"]["ilt_refresh_availability"]["actions"])
    assert any(not n["book_scope"] for n in lite["job"]["books"]["sheet-scoped"]["names"])
    assert sheet_scoped.table("Availability") == book_scoped.table("Availability")


def test_text_that_looks_like_a_number_is_written_to_stay_text(lite):
    cells = _after(lite["job"]["books"]["text-id"], lite["scripts"]["text-id"]["ilt_refresh_availability"]["actions"])
    rows = cells.table("Availability")
    resource = rows[0].index("Resource")
    assert "'" + TEXT_ID in [r[resource] for r in rows[1:]]
    assert typed_safe(["00123", "=1+1", "TRUE", "2025-03-03", "#N/A", "'x", "-4", "Munich", "Planned"]) == [
        "'00123", "'=1+1", "'TRUE", "'2025-03-03", "'#N/A", "''x", "'-4", "Munich", "Planned"]


# ---------------------------------------------------------------------------------------------
# Worksheet functions

def test_functions_meta_lists_every_function_with_its_excel_arguments(lite):
    meta = {f["name"]: f for f in lite["functions_meta"]["functions"]}
    assert set(meta) == set(SPECS)
    for name, spec in SPECS.items():
        assert [p["name"] for p in meta[name]["parameters"]] == [a.excel_name for a in spec.args]
        assert [bool(p.get("optional")) for p in meta[name]["parameters"]] == [a.optional for a in spec.args]
        assert meta[name]["description"] == spec.description


def _python_arg(value):
    """An Office.js argument as the registry takes it (independently of xlwings' conversion)."""
    if value is None:
        return None
    cells = [[None if c == "" else c["basicValue"] if isinstance(c, dict) else c for c in row] for row in value]
    return cells[0][0] if len(cells) == 1 and len(cells[0]) == 1 else cells


def _expected(name: str, args: list) -> list[list]:
    spec = SPECS[name]
    result = REGISTRY[name](*[_python_arg(a) for a in args])
    grid = np.asarray(result, dtype=object)
    grid = grid.reshape(1, 1) if grid.ndim == 0 else grid.reshape(-1, 1) if grid.ndim == 1 else grid
    out = []
    for row in grid.tolist():
        out.append([])
        for v in row:
            v = v.item() if isinstance(v, np.generic) else v
            if isinstance(v, float) and math.isnan(v):
                v = "#NUM!"
            out[-1].append(v)
    if spec.returns_date:  # dates come back as serials formatted as dates
        out = [[v if isinstance(v, str) else float(v) for v in row] for row in out]
    return out


def _lite_result(result) -> list[list]:
    def plain(v):
        if isinstance(v, dict) and v.get("type") == "Error":
            return ERROR_TYPES[v["errorType"]]
        if isinstance(v, dict) and v.get("type") == "FormattedNumber":
            assert v["numberFormat"] == "yyyy-mm-dd"
            return float(v["basicValue"])
        return v
    result = result if isinstance(result, list) else [[result]]
    return [[plain(v) for v in row] for row in result]


def test_every_function_returns_the_registry_result_with_real_errors(lite):
    seen_errors = set()
    assert {c["func_name"] for c in lite["job"]["calls"]} == set(SPECS)
    for call, got in zip(lite["job"]["calls"], lite["calls"]):
        assert "error" not in got, (call["func_name"], got.get("error"))
        expected = _expected(call["func_name"], call["args"])
        actual = _lite_result(got["result"])
        assert len(actual) == len(expected) and all(len(a) == len(e) for a, e in zip(actual, expected)), call
        for a, e in zip(sum(actual, []), sum(expected, [])):
            assert a == e or (isinstance(e, float) and isinstance(a, (int, float)) and math.isclose(a, e)), (
                call["func_name"], a, e)
        seen_errors |= {v for row in expected for v in row if isinstance(v, str) and v.startswith("#")}
        raw = got["result"] if isinstance(got["result"], list) else [[got["result"]]]
        # An error is Excel's error value, never its text (SUMIFS would skip text silently).
        assert not any(isinstance(v, str) and v in ERROR_TYPES.values() for row in raw for v in row), call
    assert {"#N/A", "#VALUE!"} <= seen_errors  # the bad rows reached the functions


def test_an_error_cell_passed_in_propagates(lite):
    calls = [(c, r) for c, r in zip(lite["job"]["calls"], lite["calls"]) if c["func_name"] == "ILT_OCCUPANCY"
             and len(c["args"][0]) > 1]
    (call, got), = calls
    assert _lite_result(got["result"])[3] == ["#N/A"]  # the row whose cell is #N/A
