"""The example planner: deterministic, realistic, and holding exactly the conflicts it plants."""
from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ilt_xl.schema import PLANNER
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.example import AS_OF, COUNTRIES, YEARS, make_example


@pytest.fixture(scope="module")
def example():
    return make_example()


@pytest.fixture(scope="module")
def t(example):
    return example.tables


def test_same_seed_same_tables_other_seed_other_tables(t):
    again = make_example().tables
    for name, frame in t.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = make_example(seed=1).tables
    assert not other["Sessions"]["StartDate"].equals(t["Sessions"]["StartDate"])


def test_tables_hold_only_schema_input_columns(t):
    for name, frame in t.items():
        assert set(frame.columns) <= {c.name for c in PLANNER.table(name).input_columns}, name


def test_size_and_variety(example, t):
    s = t["Sessions"]
    assert len(s) == 600 and s["SessionId"].is_unique
    assert set(s["StartDate"].dt.year) == set(YEARS)
    assert example.settings["AsOfDate"] == AS_OF
    assert t["BusinessUnits"]["BusinessUnit"].nunique() >= 5
    assert t["Rooms"]["Country"].nunique() >= 6 and "ZA" in set(t["Rooms"]["Country"])  # a real code, not NA (test_reader keeps NA)
    assert t["Courses"]["Currency"].nunique() >= 4
    assert len(t["Instructors"]) == 12 and len(t["Rooms"]) == 20
    assert set(t["Instructors"]["Kind"]) == {"Internal", "External"}
    assert ((s["EndDate"] - s["StartDate"]).dt.days > 0).mean() > 0.3  # multi-day sessions
    assert len(t["ChecklistTemplate"]) == 10 and set(t["ChecklistTemplate"]["Phase"]) == {"Before", "During", "After"}
    budget = t["Budget"]
    # The plan's years, and next year's budgets set from the forecast.
    assert len(budget) == (len(YEARS) + 1) * len(t["BusinessUnits"])
    proposed = budget[budget["Year"] == AS_OF.year + 1]
    assert (proposed["Budget"] == np.round(proposed["ForecastP50"], -3)).all() and proposed["Budget"].gt(0).all()
    budget = budget[budget["Year"] <= AS_OF.year]
    spend = budget[["Actual", "Committed", "Forecast"]].sum(axis=1)
    assert (budget.loc[budget["Year"] < AS_OF.year, "Actual"] > 0).all()
    assert ((budget["Budget"] / spend).between(0.85, 1.25)).all()  # budgets near what the plan costs
    assert set(t["FX"]["Currency"]) >= {"USD", "GBP", "CHF"}


def test_statuses_follow_the_as_of_date(t):
    s = t["Sessions"]
    past = s["StartDate"] < pd.Timestamp(AS_OF)
    assert set(s.loc[past, "Status"]) == {"Delivered", "Cancelled"}
    assert set(s.loc[~past, "Status"]) == {"Planned", "Confirmed"}
    rate = (s.loc[past, "Status"] == "Cancelled").mean()
    assert 0.04 < rate < 0.2


def _registered(t):
    e = t["Enrolments"]
    return e.groupby("SessionId")["Registered"].sum().reindex(t["Sessions"]["SessionId"], fill_value=0).to_numpy()


def test_enrolment_lines_are_consistent(t):
    e, s = t["Enrolments"], t["Sessions"]
    reserving = e["Reserved"].fillna(0) > 0  # seats reserved on planned sessions before names exist
    assert ((e["Registered"] > 0) | reserving).all()
    status = s.set_index("SessionId")["Status"].reindex(e["SessionId"]).to_numpy()
    assert (status[reserving.to_numpy()] == "Planned").all() and reserving.sum() > 20
    assert (e.loc[reserving, "Reserved"] >= e.loc[reserving, "Registered"]).all()
    assert set(e["SessionId"]) <= set(s["SessionId"])
    status = s.set_index("SessionId")["Status"].reindex(e["SessionId"]).to_numpy()
    assert e.loc[status == "Delivered", "Attended"].notna().all()
    assert e.loc[status != "Delivered", "Attended"].isna().all()
    assert (e["Attended"].fillna(0) <= e["Registered"]).all()
    assert e.groupby("SessionId").size().max() <= 4
    # Cancellations include sessions that stayed below their course minimum, and some did not.
    minimum = t["Courses"].set_index("CourseId")["MinLearners"].reindex(s["CourseId"]).to_numpy()
    cancelled = (s["Status"] == "Cancelled").to_numpy()
    below = _registered(t) < minimum
    assert (cancelled & below).sum() > 0 and (cancelled & ~below).sum() > 0
    assert (_registered(t) == 0).sum() > 0  # far-away sessions with no lines yet


def test_money_in_mixed_currencies_is_left_to_the_workbook_to_convert(t):
    check_mixed_currencies(t)


def check_mixed_currencies(t):
    """Rooms and instructors priced in another currency than their session's, charged at their day rates (no
    cost typed in: the workbook converts them), and sessions booked in their country's currency."""
    s, c, r, i = t["Sessions"], t["Courses"], t["Rooms"], t["Instructors"]
    course_cur = c.set_index("CourseId")["Currency"].reindex(s["CourseId"]).to_numpy()
    own = (s["CurrencyEntered"] != "").to_numpy()
    assert own.sum() >= len(s) // 20
    country_cur = np.array([COUNTRIES[k][0] for k in s["Country"]], dtype=object)
    assert (s["CurrencyEntered"].to_numpy()[own] == country_cur[own]).all()
    assert (country_cur[own] != course_cur[own]).all()
    session_cur = np.where(own, s["CurrencyEntered"].to_numpy(), course_cur)
    has_room = (s["RoomId"] != "").to_numpy()
    room_cur = r.set_index("RoomId")["Currency"].reindex(s["RoomId"]).to_numpy()
    instructor_cur = i.set_index("InstructorId")["Currency"].reindex(s["InstructorId"]).to_numpy()
    assert (has_room & (room_cur != session_cur)).sum() > len(s) // 20
    assert (instructor_cur != session_cur).sum() > len(s) // 20
    assert s["RoomCostEntered"].isna().all() and s["InstructorFeeEntered"].isna().all()


def _overlaps(s: pd.DataFrame, key: str) -> pd.DataFrame:
    live = s[(s["Status"] != "Cancelled") & (s[key] != "")]
    pairs = live.merge(live, on=key, suffixes=("A", "B"))
    pairs = pairs[pairs["SessionIdA"] < pairs["SessionIdB"]]
    return pairs[(pairs["StartDateA"] <= pairs["EndDateB"]) & (pairs["StartDateB"] <= pairs["EndDateA"])]


def test_exactly_the_planted_conflicts(t):
    s, c, r, i = t["Sessions"], t["Courses"], t["Rooms"], t["Instructors"]
    assert len(_overlaps(s, "InstructorId")) == 2
    assert len(_overlaps(s, "RoomId")) == 1
    sim = _overlaps(s, "EquipmentId")
    sim = sim[sim["EquipmentIdA"] == "EQ-SIM"] if "EquipmentIdA" in sim else sim[sim["EquipmentId"] == "EQ-SIM"]
    assert ((sim["EquipmentUnitsA"] + sim["EquipmentUnitsB"]) > 2).any()
    skill = c.set_index("CourseId")["Skill"].reindex(s["CourseId"]).to_numpy()
    skills = i.set_index("InstructorId")["Skills"].reindex(s["InstructorId"]).str.split(",").to_numpy()
    assert sum(k not in have for k, have in zip(skill, skills)) == 1
    room_cap = r.set_index("RoomId")["Capacity"].reindex(s["RoomId"]).to_numpy()
    course_max = c.set_index("CourseId")["MaxLearners"].reindex(s["CourseId"]).to_numpy()
    capacity = np.where(s["CapacityOverride"].notna(), s["CapacityOverride"],
                        np.where(s["RoomId"] == "", course_max, np.fmin(room_cap, course_max)))
    assert (_registered(t) > capacity).sum() == 1
    assert (s["CapacityOverride"] > room_cap).sum() == 1
    notes = set(s["Notes"]) - {""}
    assert len(notes) == 6 and all(n.startswith("Example: ") for n in notes)


def test_workbook_keeps_country_codes_and_real_dates(tmp_path, example):
    wb = openpyxl.load_workbook(build_planner(tmp_path / "e.xlsx", example), read_only=True)
    countries = [row[3] for row in wb["Rooms"].iter_rows(min_row=2, values_only=True)]
    assert {"ZA", "DE", "US"} <= set(countries) and "NA" not in countries
    first = next(wb["Sessions"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert hasattr(first[3], "year") and hasattr(first[4], "year")
    assert wb["Settings"]["B8"].value.date() == AS_OF


def test_twenty_thousand_sessions_build(tmp_path):
    # Its speed is measured in benchmarks/ (scale.md), not timed here: a timed test depends on the machine's load.
    example = make_example(sessions=20_000)
    path = build_planner(tmp_path / "big.xlsx", example)
    assert len(example.tables["Sessions"]) == 20_000 and example.tables["Sessions"]["SessionId"].is_unique
    assert set(example.tables["Sessions"]["StartDate"].dt.year) == set(YEARS)
    check_mixed_currencies(example.tables)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert sum(1 for _ in wb["Sessions"].iter_rows(values_only=True)) == 20_001


def test_conflicts_tab_lists_the_planted_conflicts(t):
    listed = t["Conflicts"]
    assert sorted(listed["Kind"]) == sorted([
        "Instructor double-booked", "Instructor double-booked", "Room double-booked", "Equipment over quantity",
        "Skill mismatch", "Over capacity", "Capacity above room"])
    noted = set(t["Sessions"].loc[t["Sessions"]["Notes"].str.startswith("Example: "), "SessionId"])
    for _, row in listed.iterrows():
        assert {row["SessionA"], row["SessionB"]} & noted, row.to_dict()


@pytest.mark.parametrize("sessions, seed", [(600, 2026), (1, 1), (7, 2), (120, 3)])
def test_example_passes_the_planner_checks(tmp_path, sessions, seed):
    from ilt_xl.workbook.reader import read_planner

    planner = read_planner(build_planner(tmp_path / "e.xlsx", make_example(sessions, seed)))
    assert [p for p in planner.problems if p.is_error] == []
    assert len(planner.sessions) == sessions


def test_history_worth_forecasting(t, example):
    """Quiet Augusts and Decembers, growing courses, demand for next year, trainers 50-70% used."""
    from ilt_xl.core.kpis import kpis_by_year

    s = t["Sessions"]
    per_month = s.groupby(s["StartDate"].dt.month).size() / len(YEARS)
    busy = per_month.drop([7, 8, 12]).mean()
    assert per_month[8] < 0.4 * busy and per_month[12] < 0.6 * busy
    by_year = s.groupby([s["CourseId"], s["StartDate"].dt.year]).size().unstack(fill_value=0)
    cloud_data = t["Courses"].loc[t["Courses"]["Skill"].isin(["Cloud", "Data"]), "CourseId"]
    assert by_year.loc[cloud_data, 2026].sum() > 1.4 * by_year.loc[cloud_data, 2024].sum()
    demand = t["Demand"]
    assert (demand["Period"].dt.year == AS_OF.year + 1).all() and set(demand["Status"]) == {"Approved", "Requested"}
    kpis = kpis_by_year(t, example.settings)
    assert kpis.loc[2024:2025, "InstructorUtilisation"].between(0.5, 0.7).all(), kpis["InstructorUtilisation"]
    assert len(t["Forecast"]) and len(t["ForecastMonths"]) == 18
