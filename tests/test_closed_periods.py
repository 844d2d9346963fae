"""Closed periods and frozen actuals (issue 10, items 4 and 6), on hand-computed cases and on copies of the
example: closing freezes a session's figures; raising a day rate, adding a rate row or moving FX afterwards changes
no closed figure (core, ledger, Budget, engine and LibreOffice alike) and `check` locates every figure that would
have moved; reopening is explicit; `scenario --fx` and `--room-rate` change nothing in closed years."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from typer.testing import CliRunner

from libreoffice import recalculate_with_libreoffice, soffice_available
from test_costs_finance import S1_FIXED, SETTINGS, VARIABLE, _as_read, _tables

from ilt_xl.cli import app
from ilt_xl.core import periods, plan
from ilt_xl.core.sessions import session_table
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook import macros
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.reader import read_planner

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
THROUGH, CLOSED_ON = dt.date(2024, 3, 31), dt.date(2024, 4, 5)
# S1 (2024-03-04): 386 GBP room + 682 USD instructor + 8 learners x 10 EUR; closed at those figures.
S1_COST = round(S1_FIXED + 8 * VARIABLE + 1e-9, 2)


def _closed() -> tuple[dict[str, pd.DataFrame], dict]:
    """The hand-computed planner of test_costs_finance with an open April session S6 of the same instructor,
    closed through March 2024."""
    tables = _tables()
    s6 = _as_read("Sessions", pd.DataFrame({"SessionId": ["S6"], "CourseId": "C1", "Status": "Delivered",
                                             "StartDate": pd.to_datetime(["2024-04-08"]), "EndDate": pd.to_datetime(["2024-04-08"]),
                                             "Country": "GB", "RoomId": "R1", "InstructorId": "I1"}))
    tables["Sessions"] = _as_read("Sessions", pd.concat([tables["Sessions"], s6], ignore_index=True))
    tables["FX"] = macros.fx_rows(tables, {})
    closing = periods.close(tables, SETTINGS, THROUGH, CLOSED_ON)
    assert (closing.frozen, closing.reopened) == (5, 0)
    return {**tables, "Sessions": closing.sessions}, {**SETTINGS, "ClosedThrough": pd.Timestamp(THROUGH)}


def _raised(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """I1's day rate raised after the close: 682 -> 800 USD on its row, and a Rates row of 900 USD from 2024-01-01."""
    instructors = tables["Instructors"].assign(DayRate=[800.0])
    rates = _as_read("Rates", pd.DataFrame({"ResourceType": ["Instructor"], "ResourceId": ["I1"],
                                            "ValidFrom": pd.to_datetime(["2024-01-01"]), "DayRate": [900.0], "Currency": ["USD"]}))
    return {**tables, "Instructors": instructors, "Rates": rates}


def test_closing_stores_the_figures_of_the_sessions_in_closed_months():
    tables, settings = _closed()
    s = tables["Sessions"].set_index("SessionId")
    assert s.at["S1", "FrozenFixedCost"] == pytest.approx(S1_FIXED, rel=1e-12)
    assert s.at["S1", "FrozenVariableCost"] == 8 * VARIABLE
    assert s.at["S1", "FrozenCostReporting"] == S1_COST
    assert (s.at["S1", "FrozenCurrency"], s.at["S1", "FrozenFxRate"]) == ("EUR", 1.0)
    assert s.at["S5", "FrozenCurrency"] == "GBP" and pd.Timestamp(s.at["S1", "ClosedOn"]).date() == CLOSED_ON
    assert math.isnan(s.at["S6", "FrozenCostReporting"]) and s.at["S6", "FrozenCurrency"] == ""


def test_a_day_rate_raised_after_the_close_changes_no_closed_figure():
    tables, settings = _closed()
    before = session_table(tables, settings).set_index("SessionId")
    after_tables = _raised(tables)
    after = session_table(after_tables, settings).set_index("SessionId")
    closed = ["S1", "S2", "S3", "S4", "S5"]
    for column in ("Currency", "FixedCost", "VariableCost", "SessionCost", "FxRate", "CostReporting"):
        assert after.loc[closed, column].tolist() == before.loc[closed, column].tolist(), column
    assert after.at["S1", "CostReporting"] == S1_COST
    # the open April session is charged the new rate (the Rates row, valid since January)
    assert after.at["S6", "InstructorCost"] > before.at["S6", "InstructorCost"]
    # the ledger and Budget's Actual of the closed sessions are unchanged, to the cent
    for t in (tables, after_tables):
        ledger = macros.allocation_rows(t, settings)
        by_session = ledger.groupby("SessionId")["AmountReporting"].agg(math.fsum).round(2)
        assert by_session["S1"] == S1_COST
        assert set(ledger.loc[ledger["SessionId"] == "S1", "RateSource"]) == {"frozen at close"}
    march = lambda t: plan.budget_table(t, settings)["Actual"].sum()  # noqa: E731  (S6 is the only open one)
    s6 = lambda t: session_table(t, settings).set_index("SessionId").at["S6", "CostReporting"]  # noqa: E731
    assert round(march(after_tables) - s6(after_tables), 2) == round(march(tables) - s6(tables), 2)


def test_drift_names_each_closed_figure_that_would_have_moved():
    tables, settings = _closed()
    assert periods.drift(tables, settings) == []
    moved = {(d.session_id, d.column) for d in periods.drift(_raised(tables), settings)}
    # S1 is the closed session charged for the instructor (the cancelled S3 is charged its fee only)
    assert moved == {("S1", "FixedCost"), ("S1", "CostReporting")}


def test_check_locates_the_moved_figures_and_a_session_left_open_in_a_closed_period(tmp_path):
    tables, settings = _closed()
    raised = _raised(tables)
    late = _as_read("Sessions", pd.DataFrame({"SessionId": ["S7"], "CourseId": "C1", "Status": "Delivered",
                                               "StartDate": pd.to_datetime(["2024-03-20"]), "EndDate": pd.to_datetime(["2024-03-20"]),
                                               "Country": "DE"}))
    raised["Sessions"] = pd.concat([raised["Sessions"], late], ignore_index=True)
    raised["FX"] = macros.fx_rows(raised, {})
    path = build_planner(tmp_path / "closed.xlsx", _Data(raised, settings))
    warnings = [p for p in read_planner(path).problems if p.sheet == "Sessions"]
    located = sorted((p.row, p.column, p.severity) for p in warnings)
    # rows: header 1, S1 on row 2, S7 on row 8
    assert located == [(2, "FrozenCostReporting", "warning"), (2, "FrozenFixedCost", "warning"), (8, "StartDate", "warning")]
    fixed = next(p for p in warnings if p.column == "FrozenFixedCost")
    assert "S1" in fixed.message and "FixedCost" in fixed.message and f"{S1_FIXED:,.2f}" in fixed.message


class _Data:
    def __init__(self, tables, settings):
        self.tables, self.settings = tables, settings


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed")
def test_the_workbook_shows_the_frozen_figures_natively(tmp_path):
    tables, settings = _closed()
    src = build_planner(tmp_path / "closed.xlsx", _Data(_raised(tables), settings), as_of=dt.date(2024, 6, 30))
    recalculate(src, tmp_path / "engine.xlsx", today=dt.date(2024, 6, 30))
    core = session_table(_raised(tables), settings).set_index("SessionId")
    for by, path in {"LibreOffice": recalculate_with_libreoffice(src, tmp_path / "lo"), "engine": tmp_path / "engine.xlsx"}.items():
        ws = openpyxl.load_workbook(path, data_only=True)["Sessions"]
        header = [c.value for c in ws[1]]
        rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
        assert rows["S1"]["CostReporting"] == S1_COST, by
        assert rows["S1"]["FixedCost"] == pytest.approx(S1_FIXED, rel=1e-12), by
        assert rows["S5"]["Currency"] == "GBP", by
        assert rows["S6"]["CostReporting"] == pytest.approx(core.at["S6", "CostReporting"], abs=0.005), by


def _cli(*args: str):
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result


def test_close_command_freezes_and_reopening_is_explicit(tmp_path):
    tables, _ = _closed()
    src = build_planner(tmp_path / "plan.xlsx", _tables(), as_of=dt.date(2024, 6, 30))
    bad = _cli("close", str(src), "--through", "2024-03-30", "--in-place")
    # a bad option, like --through 2024-02-30: exit 2 before the planner is read (was 1, a workbook problem)
    assert bad.exit_code == 2 and "month end" in bad.output
    done = _cli("close", str(src), "--through", "2024-03-31", "--in-place", "--today", "2024-04-05", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["frozen"] == 5
    planner = read_planner(src)
    assert planner.settings["ClosedThrough"] == pd.Timestamp("2024-03-31")
    assert planner.sessions.set_index("SessionId").at["S1", "FrozenCostReporting"] == S1_COST
    back = _cli("close", str(src), "--through", "2024-02-29", "--in-place")
    assert back.exit_code == 1 and "--reopen" in back.output
    reopened = _cli("close", str(src), "--through", "2024-02-29", "--reopen", "--in-place", "--format", "json")
    assert reopened.exit_code == 0, reopened.output
    assert (json.loads(reopened.stdout)["reopened"], json.loads(reopened.stdout)["frozen"]) == (5, 0)
    assert periods.frozen_mask(read_planner(src).sessions).sum() == 0


@pytest.mark.parametrize("option", [["--fx", "USD=+10%", "--fx", "GBP=-10%"], ["--room-rate", "+25%"]])
def test_scenarios_change_no_figure_of_the_closed_years(tmp_path, option):
    from ilt_xl.scenario import Scenario, compare, figures, parse_fx, parse_percent, write_scenario

    closed = read_planner(EXAMPLE)
    assert closed.settings["ClosedThrough"] == pd.Timestamp("2025-12-31")
    scenario = (Scenario("fx", fx=tuple(parse_fx(v) for v in option[1::2])) if option[0] == "--fx"
                else Scenario("rooms", room_rate=parse_percent(option[1])))
    write_scenario(EXAMPLE, tmp_path / "what_if.xlsx", scenario, today=dt.date(2026, 6, 15), planner=closed)
    base = read_planner(EXAMPLE, validate=False).sessions.set_index("SessionId")
    what_if = read_planner(tmp_path / "what_if.xlsx", validate=False)
    s = what_if.sessions.set_index("SessionId")
    closed_ids = base.index[base["StartDate"] <= pd.Timestamp("2025-12-31")]
    open_ids = base.index[base["StartDate"] > pd.Timestamp("2025-12-31")]
    for column in ("FixedCost", "SessionCost", "FxRate", "CostReporting"):
        assert s.loc[closed_ids, column].tolist() == base.loc[closed_ids, column].tolist(), column
    assert (s.loc[open_ids, "CostReporting"] != base.loc[open_ids, "CostReporting"]).any()
    rows = compare(figures(EXAMPLE), figures(tmp_path / "what_if.xlsx"), "what-if").rows
    variance = rows[rows["Figure"] == "Budget variance"]
    assert len(variance) and not variance["Key"].str[:4].isin(["2023", "2024", "2025"]).any()
    # allocation stays exact: each closed session's lines add up to its frozen cost to the cent
    ledger = what_if.allocation
    sums = ledger.groupby("SessionId")["AmountReporting"].agg(math.fsum).round(2)
    frozen = base.loc[base.index.isin(sums.index) & base.index.isin(closed_ids), "FrozenCostReporting"]
    assert len(frozen) > 300 and (sums[frozen.index] == frozen).all()
