"""ilt_xl.core.sessions: the Sessions calculated columns against hand-computed values, errors included."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ilt_xl.core import excel_errors as xe
from ilt_xl.core.sessions import CALCULATED, session_table, session_table_with_errors
from ilt_xl.schema.planner import SESSIONS

D = pd.Timestamp


def _sessions(rows: list[dict]) -> pd.DataFrame:
    columns = [c.name for c in SESSIONS.input_columns]
    frame = pd.DataFrame([{c: row.get(c, np.nan) for c in columns} for row in rows])
    for c in ("StartDate", "EndDate"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def planner() -> dict[str, pd.DataFrame]:
    courses = pd.DataFrame({
        "CourseId": ["C1", "C2"], "Title": ["Excel", "Safety"], "Skill": ["excel", "safety"],
        "DurationDays": [3, 1], "HoursPerDay": [7.0, 6.0], "MinLearners": [4, 2], "MaxLearners": [12, 20],
        "PricePerLearner": [500.0, 40.0], "VariableCostPerLearner": [50.0, 40.0], "Currency": ["EUR", "USD"],
    })
    rooms = pd.DataFrame({
        "RoomId": ["R1", "R2"], "Name": ["A", "B"], "Site": ["HQ", "HQ"], "Country": ["DE", "NA"],
        "Capacity": [10, 0], "DayRate": [300.0, 100.0], "Currency": ["EUR", "EUR"],
    })
    instructors = pd.DataFrame({
        "InstructorId": ["I1"], "Name": ["Ann"], "Kind": ["Internal"], "Skills": ["excel"], "DayRate": [800.0],
        "Currency": ["EUR"], "HomeCountry": ["DE"], "AvailableDaysPerYear": [np.nan],
    })
    # A GBP equipment pool; a USD session in an EUR room with it converts both at its start date (FX tab).
    equipment = pd.DataFrame({"EquipmentId": ["EQ1"], "Type": ["VR kit"], "Quantity": [10], "DayRate": [20.0],
                              "Currency": ["GBP"]})
    fx_rows = pd.DataFrame({"Date": pd.to_datetime(["2024-01-01", "2024-01-01"]), "Currency": ["USD", "GBP"],
                            "PerEUR": [1.10, 0.85], "Source": ["Treasury", "Treasury"]})
    enrolments = pd.DataFrame({
        "SessionId": ["S1", "S1", "s3"], "BusinessUnit": ["A", "B", "A"], "Country": ["DE", "FR", "DE"],
        "Registered": [5, 3, 6], "Attended": [4, 3, np.nan], "LearnerId": ["", "", ""],
    })
    sessions = _sessions([
        dict(SessionId="S1", CourseId="C1", Status="Delivered", StartDate="2024-03-04", EndDate="2024-03-06",
             Country="DE", RoomId="R1", InstructorId="I1", OtherFixedCost=100.0),
        dict(SessionId="S2", CourseId="C2", Status="Planned", StartDate="2024-05-01", EndDate="2024-05-01",
             Country="NA", RoomId="R2", InstructorId="", EquipmentId="EQ1", EquipmentUnits=2),
        dict(SessionId="S3", CourseId="X9", Status="Confirmed", StartDate="2024-06-03", EndDate="2024-06-04",
             Country="DE", RoomId="R404", CapacityOverride=15, InstructorFeeEntered=500.0),
        dict(SessionId="S4", CourseId="c1", Status="Cancelled", StartDate="2024-07-01", EndDate="2024-07-02",
             Country="DE", RoomId="", InstructorId="i1"),
    ])
    conflicts = pd.DataFrame({"Kind": ["Room double-booked"], "Resource": ["R9"], "SessionA": ["S8"], "SessionB": ["s4"]})
    return {"Sessions": sessions, "Courses": courses, "Rooms": rooms, "Instructors": instructors,
            "Equipment": equipment, "Enrolments": enrolments, "Conflicts": conflicts, "FX": fx_rows}


SETTINGS = {"AsOfDate": D("2024-04-20"), "GoNoGoLeadDays": 14}

NA, DIV0 = xe.NA, xe.DIV0
BLANK = "(blank)"  # the workbook shows "": NaN and no error in the core
EXPECTED = {
    # S1: delivered, 3 days, room 10 seats at 300, instructor 800/day, other 100; 8 registered, 7 attended.
    "S1": dict(Currency="EUR", Days=3, HoursPerDay=7, Registered=8, Attended=7, Learners=7, LearnerHours=147,
               Capacity=10, RoomCost=900, InstructorCost=2400, EquipmentCost=0, FixedCost=3400, VariableCostPerLearner=50,
               VariableCost=400, SessionCost=3800, Occupancy=0.8, CostPerLearner=3800 / 7,
               CostPerLearnerHour=3800 / 147, PricePerLearner=500, BreakEvenLearners=8, MinSessionCost=3800,
               MaxSessionCost=3900, GoNoGo="Delivered", ConflictFlag=""),
    # S2: room of 0 seats, nobody registered, price = variable cost, 11 days before start. In USD: the room's
    # 100 EUR are 100 x 1.10 = 110 USD; 2 GBP kits x 20 x 1 day = 40 GBP = 40 / 0.85 x 1.10 USD.
    "S2": dict(Currency="USD", Days=1, HoursPerDay=6, Registered=0, Attended=0, Learners=0, LearnerHours=0,
               Capacity=0, RoomCost=110, InstructorCost=0, EquipmentCost=40 / 0.85 * 1.10, FixedCost=110 + 40 / 0.85 * 1.10,
               VariableCostPerLearner=40, VariableCost=0, SessionCost=110 + 40 / 0.85 * 1.10, Occupancy=DIV0,
               CostPerLearner=BLANK, CostPerLearnerHour=BLANK, PricePerLearner=40, BreakEvenLearners=NA,
               MinSessionCost=NA, MaxSessionCost=110 + 40 / 0.85 * 1.10,
               GoNoGo="At risk", ConflictFlag=""),
    # S3: unknown course and room; capacity overridden, fee entered; enrolment keyed "s3".
    "S3": dict(Currency=NA, Days=2, HoursPerDay=NA, Registered=6, Attended=0, Learners=6, LearnerHours=NA,
               Capacity=15, RoomCost=NA, InstructorCost=500, EquipmentCost=0, FixedCost=NA, VariableCostPerLearner=NA,
               VariableCost=NA, SessionCost=NA, Occupancy=0.4, CostPerLearner=NA, CostPerLearnerHour=NA,
               PricePerLearner=NA, BreakEvenLearners=NA, MinSessionCost=NA, MaxSessionCost=NA,
               GoNoGo=NA, ConflictFlag=""),
    # S4: ids in other case, no room, cancelled, named by the Conflicts tab.
    "S4": dict(Currency="EUR", Days=2, HoursPerDay=7, Registered=0, Attended=0, Learners=0, LearnerHours=0,
               # cancelled: charged its cancellation fee lines only (it has none)
               Capacity=12, RoomCost=0, InstructorCost=1600, EquipmentCost=0, FixedCost=0, VariableCostPerLearner=50,
               VariableCost=0, SessionCost=0, Occupancy=0.0, CostPerLearner=BLANK, CostPerLearnerHour=BLANK,
               PricePerLearner=500, BreakEvenLearners=0, MinSessionCost=0, MaxSessionCost=600,
               GoNoGo="Cancelled", ConflictFlag="Conflict"),
}


def test_hand_computed_rows_values_and_errors():
    values, errors = session_table_with_errors(planner(), SETTINGS)
    assert list(values.columns) == list(SESSIONS.column_names)
    assert list(errors.columns) == list(CALCULATED)
    for i, (sid, expected) in enumerate(EXPECTED.items()):
        assert values.loc[i, "SessionId"] == sid
        for column, want in expected.items():
            got, error = values.loc[i, column], errors.loc[i, column]
            if want == BLANK:
                assert error is None and np.isnan(got), (sid, column, got, error)
            elif xe.is_error(want):
                assert error == want, (sid, column, error)
                if column not in ("Currency", "GoNoGo"):
                    assert np.isnan(got), (sid, column, got)
                else:
                    assert got == want
            else:
                assert error is None, (sid, column, error)
                assert got == pytest.approx(want, rel=1e-12) if not isinstance(want, str) else got == want, (sid, column, got)


def test_fx_rate_is_the_fx_tables_latest_manual_rate_else_its_latest_ecb_row():
    """design.md: a manual rate on or before the date wins, the latest such one; otherwise the ECB rate; cross
    rates through EUR; #N/A before the first rate. Only the FX table counts (as in the workbook)."""
    from ilt_xl.core.fx import ECB_ROW_SOURCE as ECB

    tables = planner()
    starts = ["2023-12-30", "2024-03-01", "2024-05-01", "2023-12-01", "2024-04-01"]
    tables["Sessions"] = _sessions([dict(SessionId=f"U{i}", CourseId="C2", Status="Planned", StartDate=d, EndDate=d,
                                         Country="US") for i, d in enumerate(starts)])
    tables["FX"] = pd.DataFrame({
        "Date": pd.to_datetime(["2024-01-01", "2023-12-29", "2024-04-30", "2024-04-01", "2024-04-01", "2024-04-01"]),
        "Currency": ["USD", "USD", "USD", "usd", "GBP", "USD"],
        "PerEUR": [1.10, 1.105, 1.07, 1.08, 0.86, 9.99],
        "Source": ["Treasury", ECB, ECB, "Budget", ECB, "Later row, same date"],
    })
    got = session_table_with_errors(tables, SETTINGS)
    # ECB before any manual row; manual; the later manual (the later ECB row is superseded); before every
    # rate; on the later manual row's own date (the first of the two rows of that date).
    want = [1 / 1.105, 1 / 1.10, 1 / 1.08, None, 1 / 1.08]
    for i, w in enumerate(want):
        if w is None:
            assert got.errors.loc[i, "FxRate"] == NA and got.errors.loc[i, "CostReporting"] == NA
        else:
            assert got.values.loc[i, "FxRate"] == pytest.approx(w, rel=1e-12)
            assert got.values.loc[i, "CostReporting"] == pytest.approx(got.values.loc[i, "SessionCost"] * w, rel=1e-12)
    assert (got.values["FxDate"] == pd.to_datetime(starts)).all()
    cross = session_table(tables, {**SETTINGS, "ReportingCurrency": "GBP"})
    assert cross.loc[2, "FxRate"] == pytest.approx(0.86 / 1.08, rel=1e-12)
    assert np.isnan(cross.loc[1, "FxRate"])  # no GBP rate on 2024-03-01


def test_go_no_go_labels_follow_lead_days_and_minimum():
    tables = planner()
    tables["Sessions"] = _sessions([
        dict(SessionId=f"S{i}", CourseId="C1", Status=status, StartDate=start, EndDate=start, Country="DE")
        for i, (status, start) in enumerate([
            ("Planned", "2024-05-04"),    # 14 days ahead, 0 < 4 registered: At risk
            ("Planned", "2024-05-05"),    # 15 days ahead: Open
            ("confirmed", "2024-04-01"),  # past, case-insensitive status: At risk
            ("Typo", "2024-09-01"),       # the formula treats an unknown status as active: Open
        ])
    ])
    tables["Enrolments"] = tables["Enrolments"].iloc[0:0]
    got = session_table(tables, SETTINGS)["GoNoGo"].tolist()
    assert got == ["At risk", "Open", "At risk", "Open"]
    tables["Enrolments"] = pd.DataFrame({"SessionId": ["S1"], "Registered": [4], "Attended": [np.nan]})
    assert session_table(tables, SETTINGS)["GoNoGo"].tolist()[1] == "Go"


def test_end_before_start_is_value_error_not_a_cost():
    tables = planner()
    tables["Sessions"] = _sessions([dict(SessionId="S1", CourseId="C1", Status="Planned", StartDate="2024-03-06",
                                         EndDate="2024-03-04", Country="DE", RoomId="R1", InstructorId="I1")])
    values, errors = session_table_with_errors(tables, SETTINGS)
    assert errors.loc[0, "Days"] == xe.VALUE and errors.loc[0, "RoomCost"] == xe.VALUE
    assert errors.loc[0, "SessionCost"] == xe.VALUE and np.isnan(values.loc[0, "SessionCost"])
    assert errors.loc[0, "Capacity"] is None and values.loc[0, "Capacity"] == 10


def test_twenty_thousand_sessions_computed_at_scale():
    rng = np.random.default_rng(1)
    n = 20_000
    tables = planner()
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    s = tables["Sessions"] = pd.DataFrame(np.nan, index=range(n), columns=[c.name for c in SESSIONS.input_columns])
    s["SessionId"] = [f"S{i}" for i in range(n)]
    s["CourseId"] = rng.choice(["C1", "C2"], n)
    s["Status"] = rng.choice(["Planned", "Delivered", "Cancelled"], n)
    s["StartDate"], s["EndDate"] = start, start + pd.to_timedelta(rng.integers(0, 3, n), unit="D")
    s["RoomId"], s["InstructorId"] = rng.choice(["R1", "R2", ""], n), "I1"
    tables["Enrolments"] = pd.DataFrame({"SessionId": rng.choice(s["SessionId"], 3 * n), "BusinessUnit": "A",
                                         "Country": "DE", "Registered": rng.integers(0, 5, 3 * n),
                                         "Attended": rng.integers(0, 5, 3 * n), "LearnerId": ""})
    values = session_table(tables, SETTINGS)  # speed: benchmarks/core.py
    registered = tables["Enrolments"].groupby("SessionId")["Registered"].sum()
    assert values["Registered"].to_numpy() == pytest.approx(s["SessionId"].map(registered).fillna(0).to_numpy())
