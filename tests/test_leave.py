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
    # Wed-Fri of week 1, Mon-Fri of week 2 (the weekend is not counted), Fri 1 March in week 9; blank otherwise.
    assert pd.to_numeric(on_leave.iloc[3:]).fillna(-1).tolist() == [3, 5, -1, -1, -1, -1, -1, -1, 1, -1]
    assert np.array_equal(availability_rows(planner() | {"Instructors": tables["Instructors"], "Rooms": tables["Rooms"]},
                                            {"AsOfDate": D("2024-01-01")}, weeks=10).iloc[:, 3:].to_numpy(),
                          rows.iloc[:4, 3:].to_numpy(), equal_nan=True)
    # A week with nothing booked is blank, never 0.
    assert not (rows.iloc[:, 3:] == 0).any().any()


def test_availability_tab_colours_the_weeks_with_leave(tmp_path):
    """On the example planner: the first rule of the week grid (blue, stopping the others) holds exactly in the
    weeks an instructor or room has weekday leave by the Unavailability table, on its row and its Leave row;
    a blank week of a resource is green (free); booked weeks keep the colour scale."""
    import re
    from pathlib import Path

    import openpyxl

    from ilt_xl.workbook.headless import run_macro
    from ilt_xl.workbook.new_sheet import FREE, LEAVE
    from ilt_xl.workbook.reader import read_planner

    example = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
    out = tmp_path / "out.xlsx"
    run_macro("availability", example, out)
    wb = openpyxl.load_workbook(out)
    ws = wb["Availability"]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    n, weeks = len(grid), grid[0][3:]
    (block,) = [cf for cf in ws.conditional_formatting if str(cf.sqref).startswith("D2")]
    assert str(block.sqref) == f"D2:{openpyxl.utils.get_column_letter(len(grid[0]))}{n}"
    leave_rule, free_rule, scale = sorted(block.rules, key=lambda r: r.priority)
    assert (leave_rule.type, free_rule.type, scale.type) == ("expression", "expression", "colorScale")
    assert leave_rule.stopIfTrue and free_rule.stopIfTrue
    fills = [wb._differential_styles[r.dxfId].fill.bgColor.rgb for r in (leave_rule, free_rule)]
    assert fills == [LEAVE, FREE]
    # The leave rule read as written (its ranges and anchors), evaluated at every cell of the grid ...
    kinds, resources, first_row, week = re.fullmatch(
        r'COUNTIFS\(\$A\$2:\$A\$(\d+),"Leave",\$B\$2:\$B\$(\d+),\$B(\d+),D\$2:D\$(\d+),">0"\)>0', leave_rule.formula[0]).groups()
    assert {int(kinds), int(resources), int(week)} == {n} and first_row == "2"
    leave_rows = {r[1]: r for r in grid[1:] if r[0] == "Leave"}
    coloured = {(r[1], weeks[c]) for r in grid[1:] for c in range(len(weeks))
                if r[1] in leave_rows and (leave_rows[r[1]][3 + c] or 0) > 0}
    # ... against the weekday leave of each resource per week, straight from the Unavailability table.
    leave_table = read_planner(example).unavailability
    mondays = pd.to_datetime(pd.Series(weeks))
    expected = set()
    for row in leave_table.itertuples():
        days = pd.bdate_range(row.From, row.To)
        for monday in mondays[mondays.isin(days.to_period("W-SUN").start_time)]:
            expected.add((row.Resource, monday.strftime("%Y-%m-%d")))
    assert coloured == expected and expected
    # The rule colours the resource's own row too (same Resource): each Leave row has its instructor or room row.
    assert set(leave_rows) <= {r[1] for r in grid[1:] if r[0] in ("Instructor", "Room")}
    assert free_rule.formula[0] == 'AND($A2<>"Leave",D2="")'
