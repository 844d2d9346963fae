"""Costs finance can sign off (issue 10), on hand-computed cases: resources priced in their own currencies,
equipment day rates, cancelled sessions, the budget hierarchy and one rounding rule for every total.

The ECB rates come from the ``currency_converter`` package itself (independent of ilt-xl's FX code); the
native formulas are recalculated by LibreOffice and by the engine.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from currency_converter import CurrencyConverter

from libreoffice import recalculate_with_libreoffice, soffice_available

from ilt_xl.core import kpis, plan
from ilt_xl.core.sessions import session_table
from ilt_xl.engine.recalc import recalculate
from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.reader import read_planner

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
START = dt.date(2024, 3, 4)
ECB = CurrencyConverter(fallback_on_wrong_date=True)
# S1: an EUR course in a GBP room (386 a day) with a USD instructor (682 a day), one day.
S1_FIXED = ECB.convert(386, "GBP", "EUR", START) + ECB.convert(682, "USD", "EUR", START)
# S2: two days, 4 units of an EUR pool at 15 a unit-day and 3 of a GBP pool at 10: units x rate x days.
S2_FIXED = 4 * 15 * 2 + ECB.convert(3 * 10 * 2, "GBP", "EUR", dt.date(2024, 3, 5))
VARIABLE = 10.0  # per registered learner, EUR
S5_START = dt.date(2024, 3, 5)


def _tables() -> dict[str, pd.DataFrame]:
    courses = pd.DataFrame({"CourseId": ["C1"], "Title": ["Excel"], "Skill": ["excel"], "DurationDays": [1],
                            "HoursPerDay": [7], "MinLearners": [1], "MaxLearners": [20], "PricePerLearner": [500.0],
                            "VariableCostPerLearner": [VARIABLE], "Currency": ["EUR"]})
    rooms = pd.DataFrame({"RoomId": ["R1"], "Name": ["London A"], "Site": ["London"], "Country": ["GB"],
                          "Capacity": [12], "DayRate": [386.0], "Currency": ["GBP"]})
    instructors = pd.DataFrame({"InstructorId": ["I1"], "Name": ["Ann"], "Kind": ["External"], "Skills": ["excel"],
                                "DayRate": [682.0], "Currency": ["USD"], "HomeCountry": ["US"]})
    equipment = pd.DataFrame({"EquipmentId": ["EQ1", "EQ2"], "Type": ["Laptops", "VR kits"], "Quantity": [20, 5],
                              "DayRate": [15.0, 10.0], "Currency": ["EUR", "GBP"]})
    sessions = pd.DataFrame({
        "SessionId": ["S1", "S2", "S3", "S4", "S5"], "CourseId": "C1",
        "Status": ["Delivered", "Delivered", "Cancelled", "Delivered", "Planned"],
        "StartDate": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-11", "2024-03-05", "2024-03-05"]),
        "EndDate": pd.to_datetime(["2024-03-04", "2024-03-06", "2024-03-11", "2024-03-06", "2024-03-05"]),
        "Country": ["GB", "DE", "GB", "DE", "GB"], "RoomId": ["R1", "", "R1", "", ""],
        "InstructorId": ["I1", "", "I1", "", ""], "EquipmentId": ["", "EQ1", "", "EQ2", ""],
        "EquipmentUnits": [np.nan, 4, np.nan, 3, np.nan],
        # S5: an EUR course run in GBP: its 100 of other cost are GBP, the course's prices converted to GBP
        "CurrencyEntered": ["", "", "", "", "GBP"], "OtherFixedCost": [np.nan, np.nan, np.nan, np.nan, 100.0],
    })
    enrolments = pd.DataFrame({"SessionId": ["S1", "S1", "S2", "S3"], "BusinessUnit": ["A", "B", "A", "A"],
                               "Country": ["DE", "FR", "DE", "DE"], "Registered": [5, 3, 2, 4], "Attended": [5, 3, 2, 0]})
    units = pd.DataFrame({"BusinessUnit": ["A", "B"], "Name": ["Alpha", "Beta"]})
    tables = {name: _as_read(name, frame) for name, frame in {
        "Courses": courses, "Rooms": rooms, "Instructors": instructors, "Equipment": equipment, "Sessions": sessions,
        "Enrolments": enrolments, "BusinessUnits": units, "FX": pd.DataFrame(), "Budget": pd.DataFrame(),
        "Conflicts": pd.DataFrame()}.items()}
    tables["FX"] = macros.fx_rows(tables, {})  # the fx command: the ECB rates the sessions need
    return tables


def _as_read(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every input column of the schema table, as the reader gives it: blank text "", blank number NaN."""
    table = PLANNER.table(name)
    out = frame.reindex(columns=[c.name for c in table.input_columns])
    for column in table.input_columns:
        if not column.type.is_numeric and column.type.name not in ("DATE", "TIME"):
            out[column.name] = out[column.name].astype(object).where(out[column.name].notna(), "")
    return out


SETTINGS = {"AsOfDate": pd.Timestamp("2024-06-30")}


def test_resources_are_converted_from_their_currency_on_the_start_date_and_equipment_is_charged():
    s = session_table(_tables(), SETTINGS).set_index("SessionId")
    assert s.at["S1", "FixedCost"] == pytest.approx(S1_FIXED, rel=1e-12)
    assert s.at["S1", "RoomCost"] == pytest.approx(ECB.convert(386, "GBP", "EUR", START), rel=1e-12)
    assert s.at["S2", "EquipmentCost"] == pytest.approx(120.0, rel=1e-12)
    assert s.at["S4", "EquipmentCost"] == pytest.approx(ECB.convert(60, "GBP", "EUR", dt.date(2024, 3, 5)), rel=1e-12)
    assert s.at["S2", "FixedCost"] == 120.0
    assert s.at["S5", "Currency"] == "GBP" and s.at["S5", "FixedCost"] == 100.0
    assert s.at["S5", "VariableCostPerLearner"] == pytest.approx(ECB.convert(VARIABLE, "EUR", "GBP", S5_START), rel=1e-12)
    assert s.at["S5", "PricePerLearner"] == pytest.approx(ECB.convert(500, "EUR", "GBP", S5_START), rel=1e-12)
    assert s.at["S5", "CostReporting"] == round(ECB.convert(100, "GBP", "EUR", S5_START) + 1e-9, 2)
    # CostReporting is rounded to the cent, half away from zero
    assert s.at["S1", "CostReporting"] == round(S1_FIXED + 8 * VARIABLE + 1e-9, 2)


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed")
def test_the_workbook_converts_and_charges_natively(tmp_path):
    src = build_planner(tmp_path / "costs.xlsx", _tables(), as_of=dt.date(2024, 6, 30))
    recalculate(src, tmp_path / "engine.xlsx", today=dt.date(2024, 6, 30))
    books = {"LibreOffice": openpyxl.load_workbook(recalculate_with_libreoffice(src, tmp_path / "lo"), data_only=True),
             "engine": openpyxl.load_workbook(tmp_path / "engine.xlsx", data_only=True)}
    for by, wb in books.items():
        ws = wb["Sessions"]
        header = [c.value for c in ws[1]]
        rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
        assert rows["S1"]["FixedCost"] == pytest.approx(S1_FIXED, rel=1e-12), by
        assert rows["S2"]["EquipmentCost"] == pytest.approx(120.0, rel=1e-12), by
        assert rows["S4"]["FixedCost"] == pytest.approx(ECB.convert(60, "GBP", "EUR", dt.date(2024, 3, 5)), rel=1e-12), by
        assert rows["S1"]["CostReporting"] == round(S1_FIXED + 8 * VARIABLE + 1e-9, 2), by
        assert rows["S5"]["VariableCostPerLearner"] == pytest.approx(ECB.convert(VARIABLE, "EUR", "GBP", S5_START),
                                                                     rel=1e-12), by
        assert rows["S5"]["CostReporting"] == round(ECB.convert(100, "GBP", "EUR", S5_START) + 1e-9, 2), by


def test_a_cancelled_session_leaves_the_ledger():
    ledger = macros.allocation_rows(_tables(), SETTINGS)
    assert set(ledger["SessionId"]) == {"S1", "S2", "S4", "S5"}
    s = session_table(_tables(), SETTINGS).set_index("SessionId")
    # each session's lines sum to its CostReporting, to the cent
    by_session = ledger.groupby("SessionId")["AmountReporting"].agg(math.fsum).round(2)
    assert by_session.to_dict() == s.loc[["S1", "S2", "S4", "S5"], "CostReporting"].to_dict()


def test_a_whole_bu_row_beside_country_rows_counts_only_the_other_countries():
    tables = _tables()
    tables["Budget"] = _as_read("Budget", pd.DataFrame({"Year": [2024, 2024, 2024], "BusinessUnit": ["A", "A", "B"],
                                                        "Country": ["", "DE", ""], "Budget": [1000.0, 500.0, 800.0]}))
    s = session_table(tables, SETTINGS).set_index("SessionId")
    ledger = macros.allocation_rows(tables, SETTINGS)
    b_share = ledger.loc[ledger["BusinessUnit"] == "B", "AmountReporting"].sum()
    got = plan.budget_table(tables, SETTINGS).set_index(["BusinessUnit", "Country"])["Actual"]
    total = s.loc[["S1", "S2", "S4"], "CostReporting"].sum()
    # S4 has no enrolment lines: its cost is (unallocated), on a row of its own
    assert got[("(unallocated)", "")] == s.at["S4", "CostReporting"]
    assert got[("A", "")] == 0.0          # A's only country, DE, has its own row: nothing counted twice
    assert got[("A", "DE")] == round(total - b_share - s.at["S4", "CostReporting"], 2)
    assert got[("B", "")] == round(b_share, 2)
    assert round(got.sum(), 2) == round(total, 2)


def test_report_dashboard_and_budget_give_the_same_totals_to_the_cent():
    planner = read_planner(EXAMPLE)
    tables, settings = planner.tables, planner.settings
    sessions = session_table(tables, settings)
    by_year = kpis.kpis_by_year(tables, settings, sessions)["TotalCost"]
    budget = plan.budget_table(tables, settings, sessions).groupby("Year")["Actual"].agg(math.fsum).round(2)
    charged = sessions[(sessions["Status"] == "Delivered")
                       | ((sessions["Status"] == "Cancelled") & (sessions["CancellationFee"] != 0))]
    # the Dashboard's SUMIFS of Sessions[CostReporting] by year: delivered sessions and cancellation fees
    dashboard = charged.groupby(charged["StartDate"].dt.year)["CostReporting"].agg(math.fsum).round(2)
    assert len(by_year) >= 3
    for year, total in by_year.items():
        assert total == budget[year] == dashboard[year], year


def _planned(lines: list[dict]) -> dict[str, pd.DataFrame]:
    """One planned session P1: 900 EUR fixed, 10 EUR per learner, 9 learners expected, and ``lines``."""
    tables = _tables()
    tables["Sessions"] = _as_read("Sessions", pd.DataFrame({
        "SessionId": ["P1"], "CourseId": "C1", "Status": "Planned", "StartDate": pd.to_datetime(["2024-09-02"]),
        "EndDate": pd.to_datetime(["2024-09-02"]), "Country": "DE", "ForecastLearners": [9], "OtherFixedCost": [900.0]}))
    tables["Enrolments"] = _as_read("Enrolments", pd.DataFrame(
        [{"SessionId": "P1", "Country": "DE", "Registered": 0, **line} for line in lines]))
    return tables


def _forecast(tables) -> dict[str, float]:
    lines = plan.cost_ledgers(tables, SETTINGS)
    return lines.groupby("BusinessUnit")["AmountReporting"].sum().round(2).to_dict()


def test_forecast_is_charged_by_expected_learners_and_the_rest_is_unallocated():
    # 1 of 9 expected learners registered: A pays 1/9 of 900 + 9 x 10 = 990, not all of it
    assert _forecast(_planned([dict(BusinessUnit="A", Registered=1)])) == {"A": 110.0, "(unallocated)": 880.0}
    # seats reserved by A (4, one of them registered) and B (5): nothing left unallocated
    assert _forecast(_planned([dict(BusinessUnit="A", Registered=1, Reserved=4), dict(BusinessUnit="B", Reserved=5)])) \
        == {"A": 440.0, "B": 550.0}
    # reservations beyond the forecast raise it: 11 learners, 900 + 110 = 1,010 split 6:5 to the cent
    got = _forecast(_planned([dict(BusinessUnit="A", Reserved=6), dict(BusinessUnit="B", Reserved=5)]))
    assert got == {"A": 550.91, "B": 459.09} and round(sum(got.values()), 2) == 1010.0
    # no line at all: the whole forecast is unallocated, and listed by session
    tables = _planned([])
    tables["Enrolments"] = tables["Enrolments"].iloc[0:0]
    assert _forecast(tables) == {"(unallocated)": 990.0}
    listed = plan.unallocated_forecast(plan.cost_ledgers(tables, SETTINGS), session_table(tables, SETTINGS))
    assert listed[["SessionId", "Amount"]].to_dict("records") == [{"SessionId": "P1", "Amount": 990.0}]


def test_report_dashboard_and_budget_cells_show_the_same_totals_to_the_cent():
    """The committed example as a user sees it: the Dashboard's full-year cost cells and the sum of Budget's Actual
    cells (values the engine cached, LibreOffice-checked by the fidelity oracle) and the report's TotalCost (JSON)
    are one figure per year, to the cent."""
    import json

    from typer.testing import CliRunner

    from ilt_xl.cli import app

    wb = openpyxl.load_workbook(EXAMPLE, data_only=True)
    ws = wb["Dashboard"]
    years = {c.column: c.value for c in ws[4][1:] if isinstance(c.value, int)}
    row = next(r for r in ws.iter_rows(min_col=1, max_col=1) if str(r[0].value).startswith("Cost of delivered")
               and str(r[0].value).endswith("(full year)"))[0].row
    dashboard = {years[col]: round(ws.cell(row, col).value, 2) for col in years if ws.cell(row, col).value is not None}
    budget = wb["Budget"]
    header = [c.value for c in budget[1]]
    actual: dict[int, list[float]] = {}
    for values in budget.iter_rows(min_row=2, values_only=True):
        line = dict(zip(header, values))
        actual.setdefault(line["Year"], []).append(line["Actual"] or 0.0)
    report = json.loads(CliRunner().invoke(app, ["report", str(EXAMPLE), "--format", "json", "--quiet"]).stdout)
    total = {k["Year"]: k["Value"] for k in report["kpis"] if k["KPI"] == "TotalCost" and k["Period"] == "full year"}
    assert sorted(dashboard) == sorted(total) == [2023, 2024, 2025]
    for year in dashboard:
        assert dashboard[year] == round(math.fsum(actual[year]), 2) == total[year], year
