"""``ilt-xl refresh``: every macro, then a recalculation, in one output file."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.schema import PLANNER
from ilt_xl.workbook.headless import run_macro
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.reader import read_planner
from ilt_xl.workbook.refresh import macro_order
from ilt_xl.workbook.sheet_writer import replace_table_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
TODAY = "2026-06-15"
runner = CliRunner(env={"COLUMNS": "80"})


@pytest.fixture(scope="module")
def double_booked(tmp_path_factory) -> tuple[Path, str, str]:
    """A copy of the example where a future session is moved onto another's instructor and dates."""
    folder = tmp_path_factory.mktemp("refresh")
    planner = read_planner(EXAMPLE)
    sessions = planner.sessions
    future = sessions[(sessions["Status"] == "Confirmed") & (sessions["StartDate"] > pd.Timestamp(TODAY))]
    # b takes a's instructor and dates; both instructors bill in the same currency, so b stays valid
    currency = planner.instructors.set_index("InstructorId")["Currency"]
    a = future.index[0]
    same = future["InstructorId"].map(currency) == currency[future.loc[a, "InstructorId"]]
    b = future[same & (future["InstructorId"] != future.loc[a, "InstructorId"])].index[0]
    edited = sessions.copy()
    edited.loc[b, ["InstructorId", "StartDate", "EndDate"]] = edited.loc[a, ["InstructorId", "StartDate", "EndDate"]]
    editor = PackageEditor(EXAMPLE)
    replace_table_rows(editor, "Sessions", edited[[c.name for c in PLANNER.table("Sessions").input_columns]])
    path = folder / "plan.xlsx"
    editor.save(path)
    return path, str(sessions.loc[a, "SessionId"]), str(sessions.loc[b, "SessionId"])


def test_refresh_brings_every_tab_and_value_up_to_date_in_one_file(double_booked, tmp_path):
    source, a, b = double_booked
    plan = Path(shutil.copy(source, tmp_path / "plan.xlsx"))
    before = plan.read_bytes()
    result = runner.invoke(app, ["refresh", str(plan), "--today", TODAY])
    assert result.exit_code in (0, 1), result.output          # the example has #DIV/0! cost per learner cells
    assert "refreshed" in result.output and "Traceback" not in result.output
    assert plan.read_bytes() == before, "the input is untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.out.xlsx", "plan.xlsx"], "one output file"
    out = tmp_path / "plan.out.xlsx"

    refreshed = read_planner(out)
    pairs = refreshed.conflicts[refreshed.conflicts["Kind"] == "Instructor double-booked"]
    assert ((pairs["SessionA"].isin([a, b])) & (pairs["SessionB"].isin([a, b]))).any(), "Conflicts lists it"

    values = openpyxl.load_workbook(out, data_only=True, read_only=True)["Sessions"]
    header = [c.value for c in next(values.iter_rows(max_row=1))]
    flags = {row[header.index("SessionId")]: row[header.index("ConflictFlag")]
             for row in values.iter_rows(min_row=2, values_only=True)}
    assert flags[a] == "Conflict" and flags[b] == "Conflict", "ConflictFlag is computed from the new Conflicts"

    # Each tab is what its own twin writes on the same input (the twins stay, and agree).
    for name in ("checklist", "allocate"):
        single = tmp_path / f"{name}.xlsx"
        run_macro(name, source, single)
        table = {"checklist": "Checklist", "allocate": "Allocation"}[name]
        want = read_planner(single).tables[table].reset_index(drop=True)
        got = refreshed.tables[table].reset_index(drop=True)
        inputs = [c.name for c in PLANNER.table(table).input_columns]
        pd.testing.assert_frame_equal(got[inputs], want[inputs])
    # b's tasks moved with it: their DueDate values (the recalculated formula) are the core's for its new dates
    from ilt_xl.core.checklists import due_dates

    moved = refreshed.checklist[refreshed.checklist["SessionId"] == b]
    old = read_planner(source).checklist
    assert len(moved)
    want = due_dates(moved, refreshed.sessions, refreshed.checklist_template)
    assert (moved["DueDate"].to_numpy() == want).all()
    assert not old[old["SessionId"] == b]["DueDate"].reset_index(drop=True).equals(moved["DueDate"].reset_index(drop=True))


def test_refresh_refuses_a_planner_with_errors_and_writes_nothing(tmp_path):
    import broken_workbooks as bw

    rows = bw.planner_rows()
    rows["Sessions"][1]["RoomId"] = "R9"
    plan = bw.write_planner(tmp_path / "p.xlsx", rows)
    result = runner.invoke(app, ["refresh", str(plan)])
    assert result.exit_code == 1 and "refresh refused, nothing written" in result.output
    assert f"{plan}: Sessions!J3: RoomId: error:" in result.output
    assert not (tmp_path / "p.out.xlsx").exists()


def test_refresh_order_puts_rates_first_and_the_budget_after_the_allocation():
    order = macro_order()
    assert order[0] == "fx" and order.index("allocate") < order.index("budget")
    assert order.index("conflicts") < order.index("allocate")


def test_batch_refresh_refreshes_each_file(double_booked, tmp_path):
    source, a, b = double_booked
    plans = tmp_path / "plans"
    plans.mkdir()
    for name in ("one.xlsx", "two.xlsx"):
        shutil.copy(source, plans / name)
    result = runner.invoke(app, ["batch", str(plans / "*.xlsx"), "--out", str(tmp_path / "out"), "--refresh",
                                 "--workers", "1", "--today", TODAY, "--format", "json"])
    import json
    report = json.loads(result.stdout)
    assert report["workbooks"] == 2 and report["failed"] == 0, result.output
    for name in ("one.xlsx", "two.xlsx"):
        conflicts = read_planner(tmp_path / "out" / name).conflicts
        assert conflicts["SessionA"].isin([a, b]).any()
