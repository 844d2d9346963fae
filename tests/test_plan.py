"""ilt_xl.core.plan: budget vs actual / committed / forecast / variance, hand-computed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ilt_xl.core.plan import budget_table, plan_figures
from ilt_xl.schema.planner import SESSIONS

D = pd.Timestamp


def tables() -> dict[str, pd.DataFrame]:
    columns = [c.name for c in SESSIONS.input_columns]
    rows = [
        dict(SessionId="S1", CourseId="C1", Status="Delivered", StartDate="2024-02-01", OtherFixedCost=1000),
        dict(SessionId="S2", CourseId="C1", Status="Confirmed", StartDate="2024-06-01", OtherFixedCost=500),
        dict(SessionId="S3", CourseId="C1", Status="Planned", StartDate="2025-03-01", OtherFixedCost=300, ForecastLearners=10),
        dict(SessionId="S4", CourseId="C2", Status="Planned", StartDate="2024-09-02", OtherFixedCost=200),
        dict(SessionId="S5", CourseId="C1", Status="Cancelled", StartDate="2024-03-01", OtherFixedCost=999),
        dict(SessionId="S6", CourseId="X9", Status="Delivered", StartDate="2024-04-01", OtherFixedCost=100),
    ]
    sessions = pd.DataFrame([{c: r.get(c, np.nan) for c in columns} for r in rows], columns=columns)
    sessions["StartDate"] = pd.to_datetime(sessions["StartDate"])
    sessions["EndDate"] = sessions["StartDate"]
    return {
        "Sessions": sessions,
        "Courses": pd.DataFrame({"CourseId": ["C1", "C2"], "HoursPerDay": [7, 7], "MinLearners": [1, 1],
                                 "MaxLearners": [20, 20], "PricePerLearner": [100, 100],
                                 "VariableCostPerLearner": [10, 0], "Currency": ["EUR", "USD"]}),
        "Rooms": pd.DataFrame({"RoomId": [], "Capacity": [], "DayRate": []}),
        "Instructors": pd.DataFrame({"InstructorId": [], "DayRate": []}),
        "Enrolments": pd.DataFrame({
            "SessionId": ["S1", "S1", "S3", "S4", "S5", "S6"], "BusinessUnit": ["A", "B", "A", "B", "A", "C"],
            "Country": ["DE", "FR", "DE", "FR", "DE", "DE"], "Registered": [3, 1, 2, 1, 5, 1], "Attended": [3, 1, 0, 0, 0, 1],
        }),
        # Manual USD rate: 2 USD per EUR from 2024-08-01, so 200 USD = 100 EUR.
        "FX": pd.DataFrame({"Date": [D("2024-08-01")], "Currency": ["USD"], "PerEUR": [2.0], "Source": ["Treasury"]}),
        "Budget": pd.DataFrame({"Year": [2024, 2024, 2025, 2024], "BusinessUnit": ["A", "B", "a", "C"],
                                "Country": ["", "FR", None, ""], "Budget": [1000.0, 500.0, 300.0, 50.0]}),
    }


SETTINGS = {"ReportingCurrency": "EUR", "FxDatePolicy": "SessionStart", "AllocationMethod": "headcount",
            "FiscalYearStartMonth": 1, "AsOfDate": D("2024-01-01")}


def test_budget_vs_actual_committed_forecast():
    got = budget_table(tables(), SETTINGS)
    assert list(got.columns) == ["Year", "BusinessUnit", "Country", "Budget", "Actual", "Committed", "Forecast", "Variance",
                                 "LinesEstimated", "LinesCommitted", "LinesActual", "ForecastP50", "ForecastP90"]
    assert (got[["LinesEstimated", "LinesCommitted", "LinesActual"]] == 0).all().all()  # no cost lines, no ledger
    assert got[["ForecastP50", "ForecastP90"]].isna().all().all()  # no forecast run yet
    rows = {(r.Year, r.BusinessUnit, r.Country): (r.Actual, r.Committed, r.Forecast, r.Variance) for r in got.itertuples()}
    # S1: fixed 1000 by headcount 3:1 plus variable 10 per registered learner.
    assert rows[(2024, "A", "")] == (780.0, 0.0, 0.0, 220.0)
    # S4: planned, F = 1 registered, 200 USD at 2 USD/EUR.
    assert rows[(2024, "B", "FR")] == (260.0, 0.0, 100.0, 140.0)
    # S3: 300 + 10 forecast learners x 10 = 400; its only line registered 2 of the 10: 80, the rest unallocated.
    assert rows[(2025, "a", "")] == (0.0, 0.0, 80.0, 220.0)
    assert rows[(2025, "(unallocated)", "")] == (0.0, 0.0, 320.0, -320.0)
    # S6 has an unknown course: its cost is unknown, so is C's actual.
    actual, committed, forecast, variance = rows[(2024, "C", "")]
    assert np.isnan(actual) and np.isnan(variance) and committed == 0.0
    # S2 has no enrolment lines: committed, unallocated, unbudgeted.
    assert rows[(2024, "(unallocated)", "")] == (0.0, 500.0, 0.0, -500.0)
    assert len(got) == 6  # S5 (cancelled) counts nowhere


def test_fiscal_year_start_month_moves_sessions_between_years():
    figures = plan_figures(tables(), {**SETTINGS, "FiscalYearStartMonth": 7})
    by = figures.set_index(["Year", "BusinessUnit", "Country"])
    assert by.loc[(2023, "A", "DE"), "Actual"] == 780.0  # Feb 2024 is in FY 2023 (Jul 2023 - Jun 2024)
    assert by.loc[(2024, "A", "DE"), "Forecast"] == 80.0  # Mar 2025 is in FY 2024 (2 of its 10 learners)
    assert by.loc[(2024, "B", "FR"), "Forecast"] == 100.0


def test_budget_rate_date_policy_converts_at_one_date():
    t = tables()
    t["FX"] = pd.DataFrame({"Date": [D("2024-01-01"), D("2024-08-01")], "Currency": ["USD", "USD"],
                            "PerEUR": [4.0, 2.0], "Source": ["Budget", "Treasury"]})
    figures = plan_figures(t, {**SETTINGS, "FxDatePolicy": "BudgetRateDate", "BudgetRateDate": D("2024-01-15")})
    assert figures.set_index(["Year", "BusinessUnit", "Country"]).loc[(2024, "B", "FR"), "Forecast"] == pytest.approx(50.0)


def test_unknown_status_duplicate_id_and_no_lines_are_robust():
    t = tables()
    # S2 typed "Done" (not a status: counts nowhere); S4 becomes a second S1, planned with no line of
    # its own: it must count as its own forecast, not borrow the delivered S1's status or year.
    t["Sessions"].loc[1, "Status"] = "Done"
    t["Sessions"].loc[3, "SessionId"] = "S1"
    figures = plan_figures(t, SETTINGS).set_index(["Year", "BusinessUnit", "Country"])
    assert figures.loc[(2024, "A", "DE"), "Actual"] == 780.0
    assert figures.loc[(2024, "(unallocated)", ""), "Forecast"] == pytest.approx(100.0)   # 200 USD at 2 USD/EUR
    assert figures.loc[(2024, "(unallocated)", ""), "Committed"] == 0.0                     # "Done" counts nowhere
    t["Sessions"] = t["Sessions"].iloc[:0]
    empty = budget_table(t, SETTINGS)
    assert (empty[["Actual", "Committed", "Forecast"]] == 0).all().all() and len(empty) == 4
