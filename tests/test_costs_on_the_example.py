"""Issue 10's checks on copies of the committed example, edited as a user edits it (only the edited table's
rows rewritten) and run through the commands: a business unit given both row kinds in Budget is reported and
counted once; day rates raised after the 2023-2025 close change no closed figure in the recalculated workbook
(engine) while open sessions move."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.schema import PLANNER
from ilt_xl.workbook.macros import allocation_rows
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.reader import read_planner
from ilt_xl.workbook.sheet_writer import replace_table_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
CLOSED_THROUGH = pd.Timestamp("2025-12-31")
runner = CliRunner()


def _edited(tmp_path: Path, table: str, edit) -> Path:
    """A copy of the example whose ``table`` rows are ``edit(rows)`` (input columns), nothing else rewritten."""
    path = Path(shutil.copy(EXAMPLE, tmp_path / "copy.xlsx"))
    rows = read_planner(EXAMPLE, validate=False).tables[table][[c.name for c in PLANNER.table(table).input_columns]]
    editor = PackageEditor(path)
    replace_table_rows(editor, table, edit(rows.copy()).reset_index(drop=True))
    editor.save(path)
    return path


def _table(path: Path, sheet: str) -> pd.DataFrame:
    """A sheet's table as its cells hold it (the cached values)."""
    rows = list(openpyxl.load_workbook(path, data_only=True, read_only=True)[sheet].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_a_business_unit_with_both_row_kinds_is_reported_and_counted_once(tmp_path):
    """2026 SALES gets a DE row beside its whole-BU row: `check` warns, naming the BU, year and country; Budget's
    DE row takes the ledger's SALES/DE amounts of delivered sessions and fees (summed by hand here), the whole-BU
    row the rest, so the two add up to the whole-BU figure before, to the cent."""
    path = _edited(tmp_path, "Budget", lambda rows: pd.concat([rows, pd.DataFrame(
        {"Year": [2026], "BusinessUnit": ["SALES"], "Country": ["DE"], "Budget": [10000.0]})], ignore_index=True))
    check = runner.invoke(app, ["check", str(path)], env={"COLUMNS": "300"})
    assert "business unit SALES has both a whole-BU row and country rows (DE) in 2026" in " ".join(check.output.split())
    planner = read_planner(path)
    sessions = planner.sessions.set_index("SessionId")
    ledger = allocation_rows(planner.tables, planner.settings)
    status = sessions.loc[ledger["SessionId"], "Status"].to_numpy()
    year = pd.to_datetime(sessions.loc[ledger["SessionId"], "StartDate"]).dt.year.to_numpy()
    charged = np.isin(status, ["Delivered", "Cancelled"]) & (year == 2026) & (ledger["BusinessUnit"] == "SALES").to_numpy()
    de = round(math.fsum(ledger.loc[charged & (ledger["Country"] == "DE").to_numpy(), "AmountReporting"]), 2)
    everything = round(math.fsum(ledger.loc[charged, "AmountReporting"]), 2)
    assert de > 0
    from ilt_xl.core.plan import budget_table

    budget = budget_table(planner.tables, planner.settings).set_index(["Year", "BusinessUnit", "Country"])["Actual"]
    assert budget[(2026, "SALES", "DE")] == de
    assert budget[(2026, "SALES", "")] == round(everything - de, 2)
    before = _table(EXAMPLE, "Budget").set_index(["Year", "BusinessUnit"])["Actual"]
    assert round(before[(2026, "SALES")], 2) == everything


def test_day_rates_raised_after_the_close_change_no_closed_figure(tmp_path):
    """Every instructor's day rate raised by half on a copy of the example, then `ilt-xl recalc` (the engine):
    the closed sessions' cost cells and 2023-2025's Budget Actual cells are as they were; an open session priced at
    the Instructors rate is charged 1.5 x its instructor cost; `check` warns that closed figures would have moved."""
    path = _edited(tmp_path, "Instructors", lambda rows: rows.assign(DayRate=rows["DayRate"] * 1.5))
    out = tmp_path / "recalculated.xlsx"
    done = runner.invoke(app, ["recalc", str(path), "-o", str(out), "--today", "2026-06-15", "--quiet"])
    assert done.exit_code == 0, done.output
    before, after = (_table(p, "Sessions").set_index("SessionId") for p in (EXAMPLE, out))
    closed = pd.to_datetime(before["StartDate"]) <= CLOSED_THROUGH
    assert closed.sum() > 300
    for column in ("FixedCost", "VariableCost", "FxRate", "CostReporting"):
        assert after.loc[closed, column].tolist() == before.loc[closed, column].tolist(), column
    taught = ~closed & (before["InstructorId"].fillna("") != "") & (before["Status"] != "Cancelled")
    # an open session priced at the Instructors day rate costs 1.5 x that instructor cost now (one priced at a Rates
    # row valid from its date, or at an entered cost, stays): most of them
    cost = [frame.loc[taught, "InstructorCost"].astype(float) for frame in (before, after)]
    moved = cost[1] != cost[0]
    assert moved.mean() > 0.8
    np.testing.assert_allclose(cost[1][moved], 1.5 * cost[0][moved], rtol=1e-12)
    assert (after.loc[moved[moved].index, "CostReporting"] > before.loc[moved[moved].index, "CostReporting"]).all()
    budgets = [_table(p, "Budget").set_index(["Year", "BusinessUnit"])["Actual"] for p in (EXAMPLE, out)]
    closed_years = budgets[0].index.get_level_values(0) <= 2025
    assert budgets[1][closed_years].tolist() == budgets[0][closed_years].tolist()
    check = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert "FrozenFixedCost" in check.stdout


def _report(path: Path) -> dict:
    import json

    return json.loads(runner.invoke(app, ["report", str(path), "--format", "json", "--quiet"]).stdout)


def test_reserved_seats_remove_the_unallocated_forecast_of_their_session(tmp_path):
    """The first session the example's report lists as "(unallocated)" gets a line reserving for IT the forecast
    learners its lines do not hold: the report no longer lists it, the others stay listed, Budget's 2026 "(unallocated)" Forecast shrinks by
    exactly the amount listed, IT's grows, and the year's forecast total stays the same to the cent."""
    from ilt_xl.core.plan import budget_table

    listed = _report(EXAMPLE)["unallocated"]
    first = listed[0]
    lines = read_planner(EXAMPLE, validate=False).tables["Enrolments"]
    lines = lines[lines["SessionId"] == first["SessionId"]]
    # the seats its lines do not hold yet (a line holds the larger of registered and reserved)
    free = first["ForecastLearners"] - int(np.maximum(lines["Registered"].fillna(0), lines["Reserved"].fillna(0)).sum())
    assert free > 0
    path = _edited(tmp_path, "Enrolments", lambda rows: pd.concat([rows, pd.DataFrame(
        {"SessionId": [first["SessionId"]], "BusinessUnit": ["IT"], "Country": ["DE"],
         "Registered": [0], "Reserved": [free]})], ignore_index=True))
    report = _report(path)
    assert report["not_reported"] == []
    after = report["unallocated"]
    assert [r["SessionId"] for r in after] == [r["SessionId"] for r in listed[1:]]
    figures = []
    for p in (EXAMPLE, path):
        planner = read_planner(p)
        figures.append(budget_table(planner.tables, planner.settings).set_index(["Year", "BusinessUnit"])["Forecast"])
    # the unallocated row loses exactly that amount, IT gains it, and 2026's forecast keeps its total, to the cent
    assert round(figures[0][(2026, "(unallocated)")] - figures[1].get((2026, "(unallocated)"), 0.0), 2) == first["Amount"]
    assert round(figures[1][(2026, "IT")] - figures[0][(2026, "IT")], 2) == first["Amount"]
    assert round(math.fsum(figures[1][2026]), 2) == round(math.fsum(figures[0][2026]), 2)
