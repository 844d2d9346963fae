"""The planner's native FX and due-date formulas on hand-made edge cases, in LibreOffice and in the engine.

FX rows in no order, with a manual rate that supersedes later ECB rows, two rows of one date, a
lower-case code, a row without a rate, and sessions before the first rate and in an unknown
currency; due dates in a country with a holiday, in a country missing from the Holidays tab, and
on a weekend anchor. Expected values are computed by hand from design.md's rules.
"""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from libreoffice import recalculate_with_libreoffice, soffice_available

from ilt_xl.core.fx import ECB_ROW_SOURCE as ECB
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook.builder import build_planner

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed"),
]

STARTS = ["2023-12-30", "2024-03-01", "2024-05-01", "2023-12-01", "2024-04-01", "2024-05-01", "2024-05-01"]
COURSES = ["C2", "C2", "C2", "C2", "C2", "C3", "C1"]
# Units of EUR per session currency: ECB before any manual row; the manual row; the later manual row (the
# ECB row dated after the first manual one is superseded); before every rate; on the later manual row's own
# date (the first of its two rows); a currency the table does not know; EUR itself.
RATES = [1 / 1.105, 1 / 1.10, 1 / 1.08, "#N/A", 1 / 1.08, "#N/A", 1]
FX = pd.DataFrame({
    "Date": pd.to_datetime(["2024-04-30", "2024-01-01", "2023-12-29", "2024-04-01", "2024-04-01", "2024-02-01"]),
    "Currency": ["USD", "USD", "USD", "usd", "USD", "GBP"],
    "PerEUR": [1.07, 1.10, 1.105, 1.08, 9.99, None],
    "Source": [ECB, "Treasury", ECB, "Budget", "Typed twice", "no rate yet"],
})
APPLIES = [False, True, True, True, True, False]
# Due dates: DE has 2024-05-01 (Labour Day) in the Holidays tab; XX is not in it.
HOLIDAYS = pd.DataFrame({"Country": ["DE", "DE", "FR"], "Date": pd.to_datetime(["2024-05-01", "2024-05-09", "2024-05-01"]),
                         "Name": ["Labour Day", "Ascension Day", "Fete du Travail"]})
CHECKS = [  # (session start, country, task offset) -> due date
    ("2024-04-29", "DE", 3, dt.datetime(2024, 5, 3)),    # Tue 30, (Wed 1 holiday), Thu 2, Fri 3
    ("2024-05-06", "DE", -5, dt.datetime(2024, 4, 26)),  # back over the weekend and the holiday
    ("2024-05-04", "DE", 1, dt.datetime(2024, 5, 6)),    # a Saturday anchor: Monday is the first day after it
    ("2024-04-29", "XX", 3, "#N/A"),                     # no Holidays rows for the country
    ("2024-04-29", "US", 0, "#N/A"),
]


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("native")
    courses = pd.DataFrame({
        "CourseId": ["C1", "C2", "C3"], "Title": ["a", "b", "c"], "Skill": ["s", "s", "s"], "DurationDays": [1, 1, 1],
        "HoursPerDay": [7, 7, 7], "MinLearners": [1, 1, 1], "MaxLearners": [10, 10, 10],
        "PricePerLearner": [100, 100, 100], "VariableCostPerLearner": [10, 10, 10], "Currency": ["EUR", "USD", "ZZZ"],
    })
    sessions = pd.DataFrame({
        "SessionId": [f"S{i}" for i in range(len(STARTS))] + [f"D{i}" for i in range(len(CHECKS))],
        "CourseId": COURSES + ["C1"] * len(CHECKS), "Status": "Planned",
        "StartDate": pd.to_datetime(STARTS + [c[0] for c in CHECKS]),
        "EndDate": pd.to_datetime(STARTS + [c[0] for c in CHECKS]),
        "Country": ["DE"] * len(STARTS) + [c[1] for c in CHECKS], "OtherFixedCost": 1000.0,
    })
    template = pd.DataFrame({"TaskId": [f"T{i}" for i in range(len(CHECKS))], "Task": "t", "Phase": "Before",
                             "Anchor": "Start", "OffsetWorkdays": [c[2] for c in CHECKS], "OwnerTeam": "o"})
    checklist = pd.DataFrame({"SessionId": [f"D{i}" for i in range(len(CHECKS))],
                              "TaskId": [f"T{i}" for i in range(len(CHECKS))], "Status": "Open"})
    data = {"Courses": courses, "Sessions": sessions, "FX": FX, "Holidays": HOLIDAYS, "ChecklistTemplate": template,
            "Checklist": checklist}
    src = build_planner(tmp / "edge.xlsx", data, as_of=dt.date(2024, 4, 20))
    recalculate(src, tmp / "engine.xlsx", today=dt.date(2024, 4, 20))
    lo = recalculate_with_libreoffice(src, tmp / "lo")
    return {"LibreOffice": openpyxl.load_workbook(lo, data_only=True),
            "engine": openpyxl.load_workbook(tmp / "engine.xlsx", data_only=True)}


def _column(wb, sheet: str, name: str) -> list:
    ws = wb[sheet]
    j = [c.value for c in ws[1]].index(name)
    return [row[j] for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("by", ["LibreOffice", "engine"])
def test_fx_rate_takes_the_latest_manual_row_else_the_latest_ecb_row(books, by):
    wb = books[by]
    got = _column(wb, "Sessions", "FxRate")[:len(RATES)]
    for want, value in zip(RATES, got):
        assert value == want if isinstance(want, str) else value == pytest.approx(want, rel=1e-12), (got, RATES)
    assert _column(wb, "FX", "Applies") == APPLIES
    cost = _column(wb, "Sessions", "CostReporting")[:len(RATES)]
    session_cost = _column(wb, "Sessions", "SessionCost")[:len(RATES)]
    # rounded to the cent (EUR), half away from zero
    assert [c if isinstance(r, str) else pytest.approx(round(s * r + 1e-9, 2), abs=1e-9)
            for c, s, r in zip(cost, session_cost, RATES)] == cost


@pytest.mark.parametrize("by", ["LibreOffice", "engine"])
def test_due_dates_skip_the_countrys_holidays_and_a_missing_country_is_na(books, by):
    assert _column(books[by], "Checklist", "DueDate") == [c[3] for c in CHECKS]
