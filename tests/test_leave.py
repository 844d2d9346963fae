"""Instructor leave and room closures (the Unavailability table): conflicts, utilisation, availability."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core.resources import conflicts, instructor_utilisation, leave_clashes, room_utilisation
from ilt_xl.workbook.macros import availability_rows
from tests.test_resources import SETTINGS, planner

D = pd.Timestamp


def leave(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["Resource", "From", "To", "Reason"])
    frame["From"], frame["To"] = pd.to_datetime(frame["From"]), pd.to_datetime(frame["To"])
    return frame


def test_leave_clash_names_session_resource_and_common_days():
    tables = planner()
    tables["Unavailability"] = leave([
        ("i1", "2024-03-05", "2024-03-07", "Annual leave"),   # S1 (4-6 Mar) and S2 (6-8 Mar) and S4 (5 Mar); S3 cancelled
        ("R2", "2024-04-04", "2024-04-10", ""),               # S5's last day
        ("I2", "2024-05-01", "2024-05-03", "Conference"),     # no session then
        ("", "2024-03-01", "2024-03-30", "no resource"),      # unusable rows are ignored
        ("I1", "2024-03-10", "2024-03-09", "ends before it starts"),
    ])
    got = leave_clashes(tables["Sessions"], tables["Unavailability"])
    rows = sorted((r.Resource, r.SessionA, r.FirstDay, r.LastDay, r.Days) for r in got.itertuples())
    assert rows == [
        ("I1", "S1", D("2024-03-05"), D("2024-03-06"), 2),
        ("I1", "S2", D("2024-03-06"), D("2024-03-07"), 2),
        ("I1", "S4", D("2024-03-05"), D("2024-03-05"), 1),
        ("R2", "S5", D("2024-04-04"), D("2024-04-04"), 1),
    ]
    assert set(got["Kind"]) == {"Leave clash"} and (got["SessionB"] == "").all()
    assert "Annual leave" in got.loc[got["SessionA"] == "S1", "Detail"].iat[0]
    assert "Unavailability" in got.loc[got["SessionA"] == "S5", "Detail"].iat[0]
    # conflicts() includes them, and a planner without the table has none.
    assert (conflicts(tables, SETTINGS)["Kind"] == "Leave clash").sum() == 4
    assert (conflicts(planner(), SETTINGS)["Kind"] == "Leave clash").sum() == 0


def test_utilisation_takes_leave_weekdays_off_available_and_working_days():
    tables = planner()
    # Mon 2024-03-04 .. Sun 2024-03-17: 10 weekdays; the second row overlaps the first (counted once).
    tables["Unavailability"] = leave([("I1", "2024-03-04", "2024-03-17", "Leave"), ("I1", "2024-03-11", "2024-03-12", "x"),
                                      ("R1", "2024-12-30", "2025-01-03", "Closed")])
    settings = {"DefaultAvailableDays": 220}
    s = tables["Sessions"].assign(Status="Delivered")
    plain = instructor_utilisation(s, tables["Instructors"], settings)
    with_leave = instructor_utilisation(s, tables["Instructors"], settings, unavailability=tables["Unavailability"])
    i1 = with_leave["InstructorId"] == "I1"
    assert with_leave.loc[i1, "AvailableDays"].tolist() == [210.0]
    assert plain.loc[i1, "AvailableDays"].tolist() == [220.0]
    assert with_leave.loc[~i1, "AvailableDays"].tolist() == plain.loc[~i1, "AvailableDays"].tolist()
    rooms = room_utilisation(s, tables["Rooms"], years=[2024, 2025], unavailability=tables["Unavailability"])
    rooms0 = room_utilisation(s, tables["Rooms"], years=[2024, 2025])
    diff = (rooms0["WorkingDays"] - rooms["WorkingDays"]).to_numpy()
    # R1 closed Mon 30 and Tue 31 Dec 2024, Wed 1 to Fri 3 Jan 2025 (the holiday counts only once: not a working day).
    r1 = (rooms["RoomId"] == "R1").to_numpy()
    assert diff[~r1].tolist() == [0, 0] and diff[r1][0] == 2 and diff[r1][1] in (2, 3)


def test_availability_shows_leave_weekdays_per_week():
    tables = planner()
    tables["Instructors"]["Name"] = ["Ida", "Ivo"]
    tables["Rooms"]["Name"] = ["Blue", "Red"]
    tables["Unavailability"] = leave([("I2", "2024-01-03", "2024-01-14", "Leave"), ("I2", "2024-03-01", "2024-03-01", "")])
    rows = availability_rows(tables, {"AsOfDate": D("2024-01-01")}, weeks=10)
    assert rows["Kind"].tolist() == ["Instructor", "Instructor", "Room", "Room", "Leave"]
    on_leave = rows.iloc[-1]
    assert (on_leave["Resource"], on_leave["Name"]) == ("I2", "Ivo")
    # Wed-Fri of week 1, Mon-Fri of week 2 (the weekend is not counted), Fri 1 March in week 9.
    assert on_leave.iloc[3:].tolist() == [3, 5, 0, 0, 0, 0, 0, 0, 1, 0]
    assert np.array_equal(availability_rows(planner() | {"Instructors": tables["Instructors"], "Rooms": tables["Rooms"]},
                                            {"AsOfDate": D("2024-01-01")}, weeks=10).iloc[:, 3:].to_numpy(),
                          rows.iloc[:4, 3:].to_numpy())
