"""ilt_xl.core.kpis: KPIs by year, year-over-year change, actual and constant currency, by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ilt_xl.core.kpis import KPIS, kpi_report, kpis_by_year
from ilt_xl.schema.planner import SESSIONS

D = pd.Timestamp


def tables() -> dict[str, pd.DataFrame]:
    columns = [c.name for c in SESSIONS.input_columns]
    rows = [
        dict(SessionId="A", CourseId="C1", Status="Delivered", StartDate="2023-03-06", EndDate="2023-03-07",
             RoomId="R1", InstructorId="I1", OtherFixedCost=1000),
        dict(SessionId="B", CourseId="C1", Status="Cancelled", StartDate="2023-04-03", EndDate="2023-04-03", RoomId="R1"),
        dict(SessionId="C", CourseId="C2", Status="Delivered", StartDate="2023-07-03", EndDate="2023-07-03",
             InstructorId="I2", OtherFixedCost=400),
        dict(SessionId="D", CourseId="C2", Status="Delivered", StartDate="2024-02-05", EndDate="2024-02-05",
             InstructorId="I2", OtherFixedCost=400),
        dict(SessionId="E", CourseId="C1", Status="Planned", StartDate="2024-05-06", EndDate="2024-05-06"),
    ]
    sessions = pd.DataFrame([{c: r.get(c, np.nan) for c in columns} for r in rows], columns=columns)
    for c in ("StartDate", "EndDate"):
        sessions[c] = pd.to_datetime(sessions[c])
    return {
        "Sessions": sessions,
        "Courses": pd.DataFrame({"CourseId": ["C1", "C2"], "HoursPerDay": [5, 8], "MinLearners": [1, 1],
                                 "MaxLearners": [20, 20], "PricePerLearner": [0, 0],
                                 "VariableCostPerLearner": [0, 0], "Currency": ["EUR", "USD"]}),
        "Rooms": pd.DataFrame({"RoomId": ["R1"], "Country": ["DE"], "Capacity": [10], "DayRate": [0.0]}),
        "Instructors": pd.DataFrame({"InstructorId": ["I1", "I2"], "DayRate": [0.0, 0.0], "AvailableDaysPerYear": [10, np.nan]}),
        "Enrolments": pd.DataFrame({"SessionId": ["A", "C", "D"], "Registered": [5, 2, 4], "Attended": [4, 2, 4]}),
        # USD per EUR: 2 from mid-2022, 4 from mid-2023.
        "FX": pd.DataFrame({"Date": [D("2022-06-01"), D("2023-06-01")], "Currency": ["USD", "USD"],
                            "PerEUR": [2.0, 4.0], "Source": ["Treasury", "Treasury"]}),
    }


SETTINGS = {"ReportingCurrency": "EUR", "FiscalYearStartMonth": 1, "DefaultAvailableDays": 20, "AsOfDate": D("2024-01-01")}


def test_kpis_by_year_hand_computed():
    got = kpis_by_year(tables(), SETTINGS)
    assert list(got.columns) == list(KPIS) and got.index.tolist() == [2023, 2024]
    y23, y24 = got.loc[2023], got.loc[2024]
    assert (y23.SessionsDelivered, y23.SessionsCancelled, y23.CancellationRate) == (2, 1, pytest.approx(1 / 3))
    assert y23.AverageOccupancy == pytest.approx((5 / 10 + 2 / 20) / 2)
    assert (y23.Learners, y23.LearnerHours) == (6, 4 * 2 * 5 + 2 * 1 * 8)
    # A: 1000 EUR; C: 400 USD at 4 USD/EUR on 2023-07-03 = 100 EUR, at 2022's closing 2 USD/EUR = 200 EUR.
    assert (y23.TotalCost, y23.TotalCostConstant) == (pytest.approx(1100), pytest.approx(1200))
    assert y23.CostPerLearner == pytest.approx(1100 / 6) and y23.CostPerLearnerHour == pytest.approx(1100 / 56)
    assert y23.CostPerLearnerConstant == pytest.approx(200)
    # I1 2 of 10 days, I2 1 of 20 (the default); R1 2 of 252 German working days in 2023.
    assert y23.InstructorUtilisation == pytest.approx(3 / 30) and y23.RoomUtilisation == pytest.approx(2 / 252)
    assert (y24.SessionsDelivered, y24.CancellationRate, y24.TotalCost, y24.TotalCostConstant) == (1, 0, 100, 100)
    assert y24.InstructorUtilisation == pytest.approx(1 / 30) and y24.RoomUtilisation == 0


def test_year_over_year_compares_constant_currency_with_last_years_actual():
    report = kpi_report(tables(), SETTINGS).set_index(["Year", "KPI"])
    assert np.isnan(report.loc[(2023, "TotalCost"), "Previous"])
    row = report.loc[(2024, "TotalCost")]
    assert (row.Value, row.Previous, row.Change) == (100, 1100, -1000)
    assert row.ChangeRatio == pytest.approx(100 / 1100 - 1)
    assert report.loc[(2024, "TotalCostConstant"), "Previous"] == 1100
    assert report.loc[(2024, "SessionsDelivered"), "Change"] == -1
    assert report.index.get_level_values("KPI")[: len(KPIS)].tolist() == list(KPIS)


def test_unknown_cost_makes_money_kpis_unknown():
    t = tables()
    t["Sessions"].loc[0, "CourseId"] = "X9"
    got = kpis_by_year(t, SETTINGS).loc[2023]
    assert np.isnan(got.TotalCost) and np.isnan(got.CostPerLearner) and got.SessionsDelivered == 2


def test_no_show_rate_and_fill_of_delivered_sessions():
    y23 = kpis_by_year(tables(), SETTINGS).loc[2023]
    # A: 5 registered, 4 attended, 10 seats (room R1); C: 2 and 2, 20 seats (no room: the course maximum).
    assert y23.NoShowRate == pytest.approx(1 - 6 / 7) and y23.Fill == pytest.approx(6 / 30)


def test_year_to_date_compares_the_same_part_of_each_year():
    got = kpis_by_year(tables(), SETTINGS, through=D("2024-03-31"))
    # 2023 to March 31: only A (B, cancelled on 2023-04-03, and C come later); 2024 to March 31: D.
    assert got.loc[2023, "SessionsDelivered"] == 1 and got.loc[2023, "SessionsCancelled"] == 0
    assert got.loc[2024, "SessionsDelivered"] == 1
    # Utilisation against the available days of that part of the year: 91 of 366 days of 2024 (leap year).
    assert got.loc[2023, "InstructorUtilisation"] == pytest.approx(2 / (30 * 91 / 366))


def test_year_to_date_on_the_example_at_the_as_of_date():
    """At 2026-06-15 the 2026 figures are compared with 2025-01-01..2025-06-15, rates in points."""
    from ilt_xl.core.kpis import RATES
    from ilt_xl.workbook.example import make_example

    example = make_example()
    s = example.tables["Sessions"]
    report = kpi_report(example.tables, example.settings, through=D("2026-06-15")).set_index(["Year", "KPI"])
    for year, last in ((2025, "2025-06-15"), (2026, "2026-06-15")):
        window = s[(s["StartDate"] >= f"{year}-01-01") & (s["StartDate"] <= last)]
        assert report.loc[(year, "SessionsDelivered"), "Value"] == (window["Status"] == "Delivered").sum()
        assert report.loc[(year, "CancellationRate"), "Value"] == pytest.approx((window["Status"] == "Cancelled").mean())
    row = report.loc[(2026, "SessionsDelivered")]
    assert row.Previous == report.loc[(2025, "SessionsDelivered"), "Value"]
    assert 0.8 < row.Value / row.Previous < 1.25  # not the -50% of a part-year against a full one
    rate = report.loc[(2026, "CancellationRate")]
    assert rate.Change == pytest.approx(rate.Value - report.loc[(2025, "CancellationRate"), "Value"])
    assert "CancellationRate" in RATES and "NoShowRate" in RATES
