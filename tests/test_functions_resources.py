"""ILT_CONFLICTS, ILT_AVAILABLE, ILT_UTILIZATION: hand-computed cells, errors, and the core's agreement."""
from __future__ import annotations

import datetime as dt
import inspect

from hypothesis import given, settings as hsettings, strategies as st

from ilt_xl.functions import REGISTRY, SPECS

S = lambda iso: float((dt.date.fromisoformat(iso) - dt.date(1899, 12, 30)).days)  # noqa: E731

CONFLICTS, AVAILABLE, UTILIZATION = REGISTRY["ILT_CONFLICTS"], REGISTRY["ILT_AVAILABLE"], REGISTRY["ILT_UTILIZATION"]


def test_signatures():
    # Excel shows start_date/end_date (End is a VBA keyword); the Python callable keeps start/end.
    assert SPECS["ILT_CONFLICTS"].signature_text() == "ILT_CONFLICTS(session_ids, resource_ids, starts, ends, [statuses])"
    assert SPECS["ILT_AVAILABLE"].signature_text() == (
        "ILT_AVAILABLE(skill, start_date, end_date, instructor_ids, instructor_skills, booked_instructors, booked_starts, "
        "booked_ends, [booked_statuses])")
    assert list(inspect.signature(UTILIZATION).parameters) == [
        "resource_ids", "start", "end", "booked_resources", "booked_starts", "booked_ends", "booked_statuses",
        "available_days", "country"]


IDS = [["S1"], ["S2"], ["S3"], ["S4"], [None]]
ROOMS = [["R1"], ["r1"], ["R1"], ["R2"], [None]]
STARTS = [[S("2024-03-04")], [dt.date(2024, 3, 6)], ["2024-03-05"], [S("2024-03-01")], [None]]
ENDS = [[S("2024-03-06")], [S("2024-03-08")], [S("2024-03-05")], [S("2024-03-09")], [None]]


def test_conflicts_rows_and_cancelled():
    got = CONFLICTS(IDS, ROOMS, STARTS, ENDS)
    assert got.tolist() == [
        ["R1", "S1", "S3", S("2024-03-05"), S("2024-03-05")],
        ["R1", "S1", "S2", S("2024-03-06"), S("2024-03-06")],
    ]
    got = CONFLICTS(IDS, ROOMS, STARTS, ENDS, [["Planned"], ["Confirmed"], ["cancelled"], ["Planned"], [None]])
    assert got.tolist() == [["R1", "S1", "S2", S("2024-03-06"), S("2024-03-06")]]
    assert CONFLICTS(IDS, ROOMS, STARTS, ENDS, [["Cancelled"]] * 3 + [["Planned"]] * 2) == "none"


def test_conflicts_errors():
    assert CONFLICTS(IDS, ROOMS, STARTS[:4], ENDS) == "#VALUE!"  # unequal lengths
    assert CONFLICTS(IDS[:2], ROOMS[:2], [[S("2024-03-04")], ["soon"]], ENDS[:2]) == "#VALUE!"
    assert CONFLICTS(IDS[:2], ROOMS[:2], STARTS[:2], [[S("2024-03-01")], ENDS[1]]) == "#VALUE!"  # end before start
    assert CONFLICTS(IDS[:2], ROOMS[:2], [["#N/A"], STARTS[1]], ENDS[:2]) == "#N/A"
    # a bad date on a cancelled or resource-less row does not matter
    assert CONFLICTS(IDS[:2], [["R1"], [None]], [[S("2024-03-04")], ["soon"]], ENDS[:2]) == "none"


INSTRUCTORS = ["I1", "I2", "I3", "I4"]
SKILLS = ["Excel, Power BI", "excel", "First aid", " EXCEL ,sql"]


def test_available():
    booked = (["I2", "I4", "I1"], [S("2024-03-05"), S("2024-03-01"), S("2024-03-07")],
              [S("2024-03-06"), S("2024-03-04"), S("2024-03-07")])
    got = AVAILABLE("excel", S("2024-03-04"), S("2024-03-06"), INSTRUCTORS, SKILLS, *booked)
    # I2 is booked on the 5th, I4 on the 4th; I1's booking (7th) is outside the period.
    assert got.tolist() == [["I1"]]
    got = AVAILABLE("excel", S("2024-03-04"), S("2024-03-06"), INSTRUCTORS, SKILLS, *booked, ["Planned", "Cancelled", "Planned"])
    assert got.tolist() == [["I1"], ["I4"]]
    assert AVAILABLE("sql", S("2024-03-02"), S("2024-03-03"), INSTRUCTORS, SKILLS, *booked) == "none"
    assert AVAILABLE("power", S("2024-03-10"), S("2024-03-10"), INSTRUCTORS, SKILLS, *booked) == "none"  # whole entries only
    assert AVAILABLE("Excel", S("2024-03-06"), S("2024-03-04"), INSTRUCTORS, SKILLS, *booked) == "#VALUE!"
    assert AVAILABLE("Excel", "#N/A", S("2024-03-04"), INSTRUCTORS, SKILLS, *booked) == "#N/A"


def test_utilization():
    booked = (["I1", "I1", "i1", "I2"], [S("2024-01-30"), S("2024-02-05"), S("2024-02-12"), S("2024-02-01")],
              [S("2024-02-02"), S("2024-02-06"), S("2024-02-12"), S("2024-02-01")])
    feb = (S("2024-02-01"), S("2024-02-29"))
    # I1: 2 (Feb 1-2 of a Jan 30 - Feb 2 booking) + 2 + 1 = 5 days; February 2024 has 21 weekdays.
    got = UTILIZATION(["I1", "I2", "I3"], *feb, *booked)
    assert got.tolist() == [5 / 21, 1 / 21, 0.0]
    got = UTILIZATION(["I1", "I2"], *feb, *booked, ["Planned", "Cancelled", "Planned", "Planned"], [10, 0])
    assert got.tolist() == [3 / 10, "#DIV/0!"]
    # Whit Monday (May 20) is a holiday in Germany: 22 weekdays in May 2024 minus May 1, 9, 20 = 20.
    may = (["I2"], [S("2024-05-02")], [S("2024-05-02")])
    assert UTILIZATION("I2", S("2024-05-01"), S("2024-05-31"), *may, None, None, "DE") == 1 / 20
    assert UTILIZATION("I2", S("2024-05-01"), S("2024-05-31"), *may) == 1 / 23
    assert UTILIZATION("I1", S("2024-02-01"), S("2024-02-03"), *booked, None, None, "XX") == "#N/A"
    assert UTILIZATION("I1", S("2024-02-03"), S("2024-02-01"), *booked) == "#VALUE!"
    assert UTILIZATION("I1", S("2024-02-03"), S("2024-02-04"), *booked) == "#DIV/0!"  # a weekend: no working day


@given(st.lists(st.tuples(st.sampled_from(["A", "B", ""]), st.integers(0, 20), st.integers(0, 3),
                          st.sampled_from(["Planned", "Cancelled"])), max_size=25))
@hsettings(max_examples=60, deadline=None)
def test_conflicts_are_symmetric_and_skip_cancelled(rows):
    ids = [f"S{i}" for i in range(len(rows))]
    args = ([r[0] for r in rows], [45000 + r[1] for r in rows], [45000 + r[1] + r[2] for r in rows])
    statuses = [r[3] for r in rows]
    got = CONFLICTS(ids, *args, statuses) if rows else "none"
    pairs = set() if isinstance(got, str) else {frozenset(r[1:3]) for r in got.tolist()}
    reversed_got = CONFLICTS(ids[::-1], *(a[::-1] for a in args), statuses[::-1]) if rows else "none"
    assert pairs == (set() if isinstance(reversed_got, str) else {frozenset(r[1:3]) for r in reversed_got.tolist()})
    cancelled = {i for i, r in zip(ids, rows) if r[3] == "Cancelled"}
    assert not any(p & cancelled for p in pairs)
    expected = {frozenset((ids[i], ids[j])) for i in range(len(rows)) for j in range(i)
                if rows[i][0] and rows[i][0] == rows[j][0] and "Cancelled" not in (rows[i][3], rows[j][3])
                and max(rows[i][1], rows[j][1]) <= min(rows[i][1] + rows[i][2], rows[j][1] + rows[j][2])}
    assert pairs == expected
