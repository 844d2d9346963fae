"""Effective-dated day rates (issue 10, item 3), on hand-computed cases: a session is charged the Rates row of its
resource valid on its start date (the latest ValidFrom on or before it), else the resource table's own rate; the
core, the engine and LibreOffice agree. The ECB rates come from the ``currency_converter`` package itself."""
from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from libreoffice import recalculate_with_libreoffice, soffice_available
from test_costs_finance import ECB, SETTINGS, _as_read, _tables

from ilt_xl.core.sessions import converted_currencies, session_table
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook import macros
from ilt_xl.workbook.builder import build_planner

# I1 charges 682 USD a day (its Instructors row) until 2024-03-05, then 700 USD, then 650 GBP from 2024-04-01;
# the rows are typed out of order, and a second row dated 2024-04-01 comes after the first (MATCH finds the first).
RATES = pd.DataFrame({
    "ResourceType": ["Instructor", "Instructor", "Room", "Instructor", "Instructor"],
    "ResourceId": ["I1", "i1", "R1", "I1", "I2"],
    "ValidFrom": pd.to_datetime(["2024-04-01", "2024-03-05", "2024-03-05", "2024-04-01", "2024-01-01"]),
    "DayRate": [650.0, 700.0, 400.0, 999.0, 1.0],
    "Currency": ["GBP", "USD", "GBP", "GBP", "EUR"],
})
# (session, start, days): before the first change, on its day, after the second.
CASES = (("B1", "2024-03-04", 1), ("B2", "2024-03-05", 2), ("B3", "2024-04-02", 1))


def _with_history() -> dict[str, pd.DataFrame]:
    tables = _tables()
    starts = pd.to_datetime([start for _, start, _ in CASES])
    tables["Sessions"] = _as_read("Sessions", pd.DataFrame({
        "SessionId": [sid for sid, _, _ in CASES], "CourseId": "C1", "Status": "Delivered", "StartDate": starts,
        "EndDate": starts + pd.to_timedelta([days - 1 for *_, days in CASES], unit="D"), "Country": "GB",
        "RoomId": "R1", "InstructorId": "I1"}))
    tables["Enrolments"] = tables["Enrolments"].iloc[0:0]
    tables["Rates"] = _as_read("Rates", RATES)
    tables["FX"] = macros.fx_rows(tables, {})
    return tables


def _expected() -> dict[str, dict[str, float]]:
    """Hand-computed: each session's instructor and room cost in EUR, converted by the ECB on its start date."""
    day = {sid: dt.date.fromisoformat(start) for sid, start, _ in CASES}
    return {
        "B1": {"InstructorCost": ECB.convert(682, "USD", "EUR", day["B1"]), "RoomCost": ECB.convert(386, "GBP", "EUR", day["B1"])},
        "B2": {"InstructorCost": 2 * ECB.convert(700, "USD", "EUR", day["B2"]),
               "RoomCost": 2 * ECB.convert(400, "GBP", "EUR", day["B2"])},
        "B3": {"InstructorCost": ECB.convert(650, "GBP", "EUR", day["B3"]), "RoomCost": ECB.convert(400, "GBP", "EUR", day["B3"])},
    }


def test_a_session_is_charged_the_rate_valid_on_its_start_date():
    s = session_table(_with_history(), SETTINGS).set_index("SessionId")
    for sid, costs in _expected().items():
        for column, expected in costs.items():
            assert s.at[sid, column] == pytest.approx(expected, rel=1e-12), (sid, column)
    # the day-rate columns show the converted rate itself
    assert s.at["B2", "InstructorDayRate"] == pytest.approx(ECB.convert(700, "USD", "EUR", dt.date(2024, 3, 5)), rel=1e-12)


def test_without_history_the_resource_tables_rate_applies_and_fx_rows_cover_the_history_currency():
    tables = _with_history()
    no_history = {**tables, "Rates": tables["Rates"].iloc[0:0]}
    no_history["FX"] = macros.fx_rows(no_history, {})
    s = session_table(no_history, SETTINGS).set_index("SessionId")
    assert s.at["B3", "InstructorCost"] == pytest.approx(ECB.convert(682, "USD", "EUR", dt.date(2024, 4, 2)), rel=1e-12)
    # B3's instructor is charged in GBP from the history: the fx command must write GBP for its date
    instructor_currency = converted_currencies(tables)[3]
    assert list(instructor_currency) == ["USD", "USD", "GBP"]


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed")
def test_the_workbook_looks_the_rate_up_natively(tmp_path):
    src = build_planner(tmp_path / "rates.xlsx", _with_history(), as_of=dt.date(2024, 6, 30))
    recalculate(src, tmp_path / "engine.xlsx", today=dt.date(2024, 6, 30))
    books = {"LibreOffice": recalculate_with_libreoffice(src, tmp_path / "lo"), "engine": tmp_path / "engine.xlsx"}
    for by, path in books.items():
        ws = openpyxl.load_workbook(path, data_only=True)["Sessions"]
        header = [c.value for c in ws[1]]
        rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
        for sid, costs in _expected().items():
            for column, expected in costs.items():
                assert rows[sid][column] == pytest.approx(expected, rel=1e-12), (by, sid, column)
        assert not np.isnan(float(rows["B3"]["CostReporting"])), by


def test_check_locates_a_rate_of_an_unknown_resource_and_a_repeated_date(tmp_path):
    from ilt_xl.workbook.reader import read_planner

    tables = _with_history()
    tables["Rates"] = _as_read("Rates", pd.concat([RATES, pd.DataFrame({
        "ResourceType": ["Room"], "ResourceId": ["I1"], "ValidFrom": pd.to_datetime(["2024-05-01"]), "DayRate": [1.0],
        "Currency": ["EUR"]})], ignore_index=True))
    problems = read_planner(build_planner(tmp_path / "p.xlsx", tables, as_of=dt.date(2024, 6, 30))).problems
    on_rates = sorted((p.cell, p.severity, p.column) for p in problems if p.sheet == "Rates")
    # row 5 repeats I1's 2024-04-01 (row 2 wins); row 6 names an instructor the table lacks, row 7 one as a room
    assert on_rates == [("B6", "error", "ResourceId"), ("B7", "error", "ResourceId"), ("C5", "warning", "ValidFrom")]


def test_the_optimiser_prices_a_candidate_at_the_rate_valid_on_the_session_start():
    from test_optimise import SETTINGS as OPTIMISE_SETTINGS, tables as optimise_tables

    from ilt_xl.core.optimise import Options, optimise

    t = optimise_tables(
        sessions=[dict(SessionId="S1", CourseId="C1", Status="Planned", StartDate="2025-03-03", EndDate="2025-03-03",
                       Country="DE", InstructorId="I1", ForecastLearners=5)],
        instructors=[("I1", "Excel", 1000, "EUR", "DE", None), ("I2", "Excel", 500, "EUR", "DE", None),
                     ("I3", "Excel", 700, "EUR", "DE", None)],
        rooms=[])
    # I2's 500 became 900 on 2025-02-01 (after the session, it would have been 1200 from 2025-04-01): I3 at 700 wins
    t["Rates"] = pd.DataFrame({"ResourceType": ["Instructor", "Instructor"], "ResourceId": ["I2", "I2"],
                               "ValidFrom": pd.to_datetime(["2025-02-01", "2025-04-01"]), "DayRate": [900.0, 1200.0],
                               "Currency": ["EUR", "EUR"]})
    row = optimise(t, OPTIMISE_SETTINGS, Options(gap=0)).proposals.iloc[0]
    assert (row["ProposedInstructor"], row["CostAfter"]) == ("I3", 700.0)
    t["Rates"] = t["Rates"].assign(ValidFrom=pd.to_datetime(["2025-03-04", "2025-04-01"]))  # not valid yet on the 3rd
    row = optimise(t, OPTIMISE_SETTINGS, Options(gap=0)).proposals.iloc[0]
    assert (row["ProposedInstructor"], row["CostAfter"]) == ("I2", 500.0)
