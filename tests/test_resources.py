"""ilt_xl.core.resources and overlaps: conflicts and utilisation, by hand and against brute force."""
from __future__ import annotations


import numpy as np
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from ilt_xl.core import overlaps
from ilt_xl.core.resources import (
    conflicts, double_bookings, equipment_over_quantity, instructor_utilisation, room_utilisation,
)
from ilt_xl.schema.planner import SESSIONS

D = pd.Timestamp


def sessions_frame(rows: list[dict]) -> pd.DataFrame:
    columns = [c.name for c in SESSIONS.input_columns]
    frame = pd.DataFrame([{c: row.get(c, np.nan) for c in columns} for row in rows], columns=columns)
    for c in ("StartDate", "EndDate"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def planner() -> dict[str, pd.DataFrame]:
    return {
        "Courses": pd.DataFrame({
            "CourseId": ["C1", "C2"], "Skill": ["Excel", "First Aid"], "HoursPerDay": [7, 7], "MinLearners": [1, 1],
            "MaxLearners": [12, 30], "PricePerLearner": [0, 0], "VariableCostPerLearner": [0, 0], "Currency": ["EUR", "EUR"],
        }),
        "Instructors": pd.DataFrame({
            "InstructorId": ["I1", "I2"], "Skills": ["excel, Power BI", "First aid"], "DayRate": [0, 0],
            "AvailableDaysPerYear": [np.nan, 3],
        }),
        "Rooms": pd.DataFrame({"RoomId": ["R1", "R2"], "Country": ["DE", "FR"], "Capacity": [10, 20], "DayRate": [0, 0]}),
        "Equipment": pd.DataFrame({"EquipmentId": ["E1"], "Quantity": [10]}),
        "Enrolments": pd.DataFrame({"SessionId": ["S1"], "Registered": [11], "Attended": [np.nan]}),
        "Sessions": sessions_frame([
            dict(SessionId="S1", CourseId="C1", Status="Planned", StartDate="2024-03-04", EndDate="2024-03-06",
                 RoomId="R1", InstructorId="I1", EquipmentId="E1", EquipmentUnits=6),
            dict(SessionId="S2", CourseId="C1", Status="Confirmed", StartDate="2024-03-06", EndDate="2024-03-08",
                 RoomId="r1", InstructorId="I1", EquipmentId="E1", EquipmentUnits=6),
            dict(SessionId="S3", CourseId="C1", Status="Cancelled", StartDate="2024-03-05", EndDate="2024-03-05",
                 RoomId="R1", InstructorId="I1", EquipmentId="E1", EquipmentUnits=9),
            dict(SessionId="S4", CourseId="C2", Status="Planned", StartDate="2024-03-05", EndDate="2024-03-05",
                 RoomId="R2", InstructorId="I1"),
            dict(SessionId="S5", CourseId="C2", Status="Planned", StartDate="2024-04-01", EndDate="2024-04-04",
                 RoomId="R2", InstructorId="I2", EquipmentId="E1", EquipmentUnits=12, CapacityOverride=25),
        ]),
    }


SETTINGS = {"DefaultAvailableDays": 5, "AsOfDate": D("2024-01-01")}


def test_hand_computed_conflicts():
    got = conflicts(planner(), SETTINGS)
    rows = [tuple(r) for r in got[["Kind", "Resource", "SessionA", "SessionB", "FirstDay", "LastDay", "Days"]].itertuples(index=False)]
    assert rows == [
        ("Instructor double-booked", "I1", "S1", "S4", D("2024-03-05"), D("2024-03-05"), 1),
        ("Instructor double-booked", "I1", "S1", "S2", D("2024-03-06"), D("2024-03-06"), 1),
        ("Room double-booked", "R1", "S1", "S2", D("2024-03-06"), D("2024-03-06"), 1),
        ("Equipment over quantity", "E1", "S1", "S2", D("2024-03-06"), D("2024-03-06"), 1),
        ("Equipment over quantity", "E1", "S5", "", D("2024-04-01"), D("2024-04-04"), 4),
        ("Skill mismatch", "I1", "S4", "", D("2024-03-05"), D("2024-03-05"), 1),
        ("Over capacity", "R1", "S1", "", D("2024-03-04"), D("2024-03-06"), 3),
        ("Capacity above room", "R2", "S5", "", D("2024-04-01"), D("2024-04-04"), 4),
        # I1: S1 (3 days) + S4 (1) + S2 (3) = 7 > 5; the 6th day is 2024-03-07, inside S2.
        ("Instructor over available days", "I1", "S2", "", D("2024-03-07"), D("2024-03-08"), 2),
        ("Instructor over available days", "I2", "S5", "", D("2024-04-04"), D("2024-04-04"), 1),
    ]
    assert got.loc[6, "Detail"] == "11 registered, capacity 10"
    assert "12 units booked by this session alone, pool of 10" in got.loc[4, "Detail"]
    assert list(got.columns) == ["Kind", "Resource", "SessionA", "SessionB", "FirstDay", "LastDay", "Days", "Detail"]


def test_no_conflicts_gives_an_empty_table_with_the_columns():
    tables = planner()
    tables["Sessions"] = tables["Sessions"].iloc[[0]]
    tables["Enrolments"] = tables["Enrolments"].iloc[0:0]
    got = conflicts(tables, {"DefaultAvailableDays": 220})
    assert got.empty and list(got.columns)[0] == "Kind"


bookings = st.lists(
    st.tuples(st.sampled_from(["A", "a", "B", "C", ""]), st.integers(0, 30), st.integers(0, 4),
              st.sampled_from(["Planned", "Confirmed", "Delivered", "Cancelled", "cancelled"]), st.integers(0, 6)),
    max_size=40,
)


def _booking_frame(rows) -> pd.DataFrame:
    start = D("2024-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D")
    return sessions_frame([
        dict(SessionId=f"S{i}", Status=r[3], RoomId=r[0], EquipmentId=r[0], EquipmentUnits=r[4],
             StartDate=start[i], EndDate=start[i] + pd.Timedelta(days=r[2]))
        for i, r in enumerate(rows)
    ])


@given(bookings, st.randoms(use_true_random=False))
@hsettings(max_examples=60, deadline=None)
def test_double_bookings_match_brute_force_are_symmetric_and_skip_cancelled(rows, rnd):
    frame = _booking_frame(rows)
    got = double_bookings(frame, "RoomId", "Room double-booked")
    found = {frozenset((a, b)): (f, l) for a, b, f, l in zip(got.SessionA, got.SessionB, got.FirstDay, got.LastDay)}
    expected = {}
    for i, ri in enumerate(rows):
        for j, rj in enumerate(rows[:i]):
            live = ri[3].lower() != "cancelled" and rj[3].lower() != "cancelled"
            if live and ri[0] and ri[0].lower() == rj[0].lower() and max(ri[1], rj[1]) <= min(ri[1] + ri[2], rj[1] + rj[2]):
                first, last = max(ri[1], rj[1]), min(ri[1] + ri[2], rj[1] + rj[2])
                expected[frozenset((f"S{i}", f"S{j}"))] = (D("2024-01-01") + pd.Timedelta(days=first), D("2024-01-01") + pd.Timedelta(days=last))
    assert found == expected
    assert len(got) == len(found)  # each pair once
    # Symmetry: the rows in another order give the same pairs.
    order = list(range(len(rows)))
    rnd.shuffle(order)
    shuffled = double_bookings(frame.iloc[order], "RoomId", "Room double-booked")
    assert {frozenset(p) for p in zip(shuffled.SessionA, shuffled.SessionB)} == set(found)


@given(bookings)
@hsettings(max_examples=60, deadline=None)
def test_equipment_over_quantity_matches_brute_force(rows):
    frame = _booking_frame(rows)
    pools = pd.DataFrame({"EquipmentId": ["A", "B", "C"], "Quantity": [5, 7, 0]})
    got = equipment_over_quantity(frame, pools)
    quantity = {"a": 5, "b": 7, "c": 0}
    load: dict[tuple[str, int], int] = {}
    live = [(i, r) for i, r in enumerate(rows) if r[3].lower() != "cancelled" and r[0] and r[4] > 0]
    for _, r in live:
        for d in range(r[1], r[1] + r[2] + 1):
            load[(r[0].lower(), d)] = load.get((r[0].lower(), d), 0) + r[4]
    over = {k for k, v in load.items() if v > quantity[k[0]]}
    expected = set()
    for x, (i, ri) in enumerate(live):
        days_i = {d for d in range(ri[1], ri[1] + ri[2] + 1) if (ri[0].lower(), d) in over}
        if ri[4] > quantity[ri[0].lower()]:
            expected.add((f"S{i}", "", len(days_i)))
        for j, rj in live[:x]:
            if rj[0].lower() == ri[0].lower():
                shared = {d for d in range(rj[1], rj[1] + rj[2] + 1) if d in days_i}
                if shared:
                    expected.add((frozenset((f"S{i}", f"S{j}")), len(shared)))
    found = {(a, b, n) if b == "" else (frozenset((a, b)), n) for a, b, n in zip(got.SessionA, got.SessionB, got.Days)}
    assert found == expected
    assert not set(got.SessionA) & {f"S{i}" for i, r in enumerate(rows) if r[3].lower() == "cancelled"}


def test_overlap_pairs_on_plain_arrays():
    a, b = overlaps.overlap_pairs(np.array([0, 0, 0, 1, -1]), np.array([1, 3, 9, 1, 1]), np.array([4, 3, 9, 9, 9]))
    assert sorted(zip(a.tolist(), b.tolist())) == [(0, 1)]


def test_utilisation():
    tables = planner()
    s = tables["Sessions"].copy()
    s["Status"] = ["Delivered", "Delivered", "Cancelled", "Planned", "Delivered"]
    inst = instructor_utilisation(s, tables["Instructors"], {"DefaultAvailableDays": 220})
    got = dict(zip(inst.InstructorId, inst.Utilisation))
    assert got["I1"] == 6 / 220 and got["I2"] == 4 / 3
    rooms = room_utilisation(s, tables["Rooms"])
    got = dict(zip(rooms.RoomId, zip(rooms.BookedDays, rooms.WorkingDays)))
    # 2024: 262 weekdays; DE national holidays on weekdays: Jan 1, Mar 29, Apr 1, May 1, May 9, May 20, Oct 3, Dec 25, Dec 26
    assert got["R1"] == (6, 262 - 9)
    # FR: Jan 1, Apr 1, May 1, May 8, May 9, May 20, Aug 15, Nov 1, Nov 11, Dec 25 on weekdays (Jul 14 is a Sunday)
    assert got["R2"] == (4, 262 - 10)


def test_twenty_thousand_sessions_conflicts_found_at_scale():
    """Correct at scale; its speed is measured by benchmarks/core.py, not asserted here."""
    rng = np.random.default_rng(7)
    n = 20_000
    start = D("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    s = pd.DataFrame({c.name: np.nan for c in SESSIONS.input_columns}, index=range(n))
    s["SessionId"] = [f"S{i}" for i in range(n)]
    s["CourseId"] = rng.choice(["C1", "C2"], n)
    s["Status"] = rng.choice(["Planned", "Confirmed", "Delivered", "Cancelled"], n)
    s["StartDate"], s["EndDate"] = start, start + pd.to_timedelta(rng.integers(0, 3, n), unit="D")
    s["RoomId"] = rng.choice([f"R{i}" for i in range(60)], n)
    s["InstructorId"] = rng.choice([f"I{i}" for i in range(150)], n)
    s["EquipmentId"], s["EquipmentUnits"] = rng.choice(["E1", "E2", ""], n), rng.integers(1, 8, n)
    s["Registered"], s["Capacity"] = rng.integers(0, 20, n), rng.integers(5, 20, n)
    tables = planner()
    tables["Instructors"] = pd.DataFrame({"InstructorId": [f"I{i}" for i in range(150)], "Skills": "excel,first aid",
                                          "AvailableDaysPerYear": np.nan})
    tables["Rooms"] = pd.DataFrame({"RoomId": [f"R{i}" for i in range(60)], "Country": "DE", "Capacity": 15})
    tables["Equipment"] = pd.DataFrame({"EquipmentId": ["E1", "E2"], "Quantity": [60, 90]})
    got = conflicts(tables, {"DefaultAvailableDays": 60}, sessions=s)
    assert set(got.Kind) >= {"Instructor double-booked", "Room double-booked", "Over capacity"}
