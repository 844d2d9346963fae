"""ilt_xl.core.checklists: build, regenerate (nothing typed is lost), overdue and progress."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from ilt_xl.core.checklists import build, overdue, progress, regenerate

D = pd.Timestamp


def template(ids=("T1", "T2", "T3")) -> pd.DataFrame:
    rows = {
        "T1": ("Book room", "Before", "Start", -10, "Facilities", ""),
        "T2": ("Send invites", "Before", "start", -5, "Coordinators", "c2, C9"),
        "T3": ("Collect feedback", "After", "End", 2, "Coordinators", None),
    }
    return pd.DataFrame([(i, *rows[i]) for i in ids],
                        columns=["TaskId", "Task", "Phase", "Anchor", "OffsetWorkdays", "OwnerTeam", "AppliesTo"])


def sessions(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["SessionId", "CourseId", "Status", "StartDate", "EndDate", "Country"])
    frame["StartDate"], frame["EndDate"] = pd.to_datetime(frame["StartDate"]), pd.to_datetime(frame["EndDate"])
    return frame


PLAN = sessions([
    ("S1", "C1", "Planned", "2024-05-13", "2024-05-14", "DE"),
    ("S2", "C2", "Confirmed", "2024-05-21", "2024-05-21", "FR"),
])


def test_build_due_dates_in_each_countrys_working_days():
    got = build(PLAN, template())
    assert list(zip(got.SessionId, got.TaskId, got.DueDate)) == [
        # DE: May 1, May 9 (Ascension) are holidays; FR also May 8 and Whit Monday May 20.
        ("S1", "T1", D("2024-04-25")),
        ("S1", "T3", D("2024-05-16")),
        ("S2", "T1", D("2024-05-02")),
        ("S2", "T2", D("2024-05-13")),
        ("S2", "T3", D("2024-05-23")),
    ]
    assert set(got.Status) == {"Open"} and set(got.Notes) == {""} and got.DoneDate.isna().all()
    assert list(got.columns) == ["SessionId", "TaskId", "Task", "Phase", "OwnerTeam", "DueDate", "Status", "DoneDate", "Notes"]


def test_regenerate_keeps_work_moves_open_tasks_and_cancels():
    old = build(PLAN, template())
    old.loc[0, ["Status", "DoneDate", "Notes"]] = ["Done", D("2024-04-20"), "room 4.01"]
    old.loc[1, "Notes"] = "caterer"
    moved = sessions([
        ("S1", "C1", "Planned", "2024-06-10", "2024-06-11", "DE"),
        ("S2", "C2", "Cancelled", "2024-05-21", "2024-05-21", "FR"),
        ("S3", "C1", "Planned", "2024-07-01", "2024-07-01", "DE"),
    ])
    got = regenerate(old, moved, template(), as_of=D("2024-06-12"))
    rows = list(zip(got.SessionId, got.TaskId, got.Status, got.DueDate, got.Notes, got.Overdue))
    assert rows == [
        # Done: the due date follows the plan too (it is the workbook's formula); DoneDate keeps the work.
        ("S1", "T1", "Done", D("2024-05-27"), "room 4.01", ""),
        ("S1", "T3", "Open", D("2024-06-13"), "caterer", ""),  # open: moved with the session
        ("S2", "T1", "Cancelled", D("2024-05-02"), "", ""),
        ("S2", "T2", "Cancelled", D("2024-05-13"), "", ""),
        ("S2", "T3", "Cancelled", D("2024-05-23"), "", ""),
        ("S3", "T1", "Open", D("2024-06-17"), "", ""),
        ("S3", "T3", "Open", D("2024-07-03"), "", ""),
    ]
    assert got.loc[0, "DoneDate"] == D("2024-04-20")
    # T3 leaves the template: its rows stay, the open one is cancelled, notes kept.
    again = regenerate(got, moved, template(("T1", "T2")))
    s1 = again[again.SessionId == "S1"]
    assert list(zip(s1.TaskId, s1.Status, s1.Notes)) == [("T1", "Done", "room 4.01"), ("T3", "Cancelled", "caterer")]
    # The formula finds no task T3 any more: #N/A in the workbook, NaT here.
    assert pd.isna(s1.DueDate.iloc[1]) and s1.DueDate.iloc[0] == D("2024-05-27")
    assert len(again) == len(got)


def test_overdue_and_progress():
    checklist = pd.DataFrame({
        "SessionId": ["S1", "S1", "s1", "S2"], "TaskId": ["T1", "T2", "T3", "T1"],
        "DueDate": pd.to_datetime(["2024-05-01", "2024-05-10", None, "2024-04-01"]),
        "Status": ["Open", "open", "Open", "Done"],
    })
    assert overdue(checklist, D("2024-05-10")).tolist() == [True, False, True, False]
    got = progress(checklist)
    assert got.loc["S1", "Done"] == 0 and got.loc["S1", "Total"] == 3 and got.loc["S2", "Progress"] == 1.0


statuses = st.sampled_from(["Open", "Done", "Cancelled", "done"])
session_status = st.sampled_from(["Planned", "Confirmed", "Delivered", "Cancelled"])


@given(
    st.lists(statuses, min_size=15, max_size=15),
    st.lists(st.tuples(session_status, st.integers(-20, 20), st.booleans()), min_size=5, max_size=5),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
@hsettings(max_examples=40, deadline=None)
def test_regeneration_never_loses_a_status(old_statuses, changes, keep_task):
    base = sessions([(f"S{i}", "C2" if i % 2 else "C1", "Planned", "2024-03-04", "2024-03-05", "DE") for i in range(5)])
    old = build(base, template())
    old["Status"] = old_statuses[: len(old)]
    old["Notes"] = [f"n{i}" for i in range(len(old))]
    old["DoneDate"] = np.where(old["Status"].str.lower() == "done", D("2024-02-01"), pd.NaT)
    changed = base.copy()
    changed["Status"] = [c[0] for c in changes]
    changed["StartDate"] = changed["StartDate"] + pd.to_timedelta([c[1] for c in changes], unit="D")
    changed["EndDate"] = changed["StartDate"] + pd.Timedelta(days=1)
    changed = changed[[not c[2] for c in changes]] if not all(c[2] for c in changes) else changed
    tasks = [t for t, k in zip(("T1", "T2", "T3"), keep_task) if k] or ["T1"]
    got = regenerate(old, changed, template(tuple(tasks)))
    merged = old.merge(got, on=["SessionId", "TaskId"], how="left", suffixes=("_old", ""), indicator=True)
    assert (merged["_merge"] == "both").all()  # no row is dropped
    fresh = build(changed, template(tuple(tasks)))
    new_pairs = fresh.merge(old, on=["SessionId", "TaskId"], how="left", indicator=True).query("_merge == 'left_only'")
    assert len(got) == len(old) + len(new_pairs)
    was = merged["Status_old"].str.capitalize()
    assert (merged.loc[was == "Done", "Status"] == "Done").all()
    assert (merged.loc[was == "Done", "DoneDate"] == D("2024-02-01")).all()
    assert (merged.loc[was == "Cancelled", "Status"] == "Cancelled").all()
    live = set(zip(fresh.SessionId[fresh.Status == "Open"], fresh.TaskId[fresh.Status == "Open"]))
    still_open = [(s, t) in live for s, t in zip(merged.SessionId, merged.TaskId)]
    expected_open = np.where(still_open, "Open", "Cancelled")
    assert (merged.loc[was == "Open", "Status"] == expected_open[(was == "Open").to_numpy()]).all()
    assert (merged["Notes"] == merged["Notes_old"]).all()


def test_the_horizon_creates_no_tasks_for_sessions_finished_before_it_and_keeps_their_work():
    plan = sessions([
        ("OLD", "C1", "Delivered", "2024-01-08", "2024-01-09", "DE"),     # delivered long before: none
        ("GONE", "C1", "Cancelled", "2024-01-15", "2024-01-15", "DE"),    # cancelled long before: none
        ("LATE", "C1", "Confirmed", "2024-01-22", "2024-01-22", "DE"),    # past, never marked delivered: kept
        ("RECENT", "C1", "Delivered", "2024-04-29", "2024-04-30", "DE"),  # within the horizon
        ("NEXT", "C1", "Planned", "2024-06-03", "2024-06-04", "DE"),
    ])
    fresh = regenerate(build(plan.iloc[:0], template()), plan, template(), since=D("2024-04-15"))
    assert sorted(set(fresh.SessionId)) == ["LATE", "NEXT", "RECENT"]
    # an earlier checklist of OLD: the untouched Open task goes, the done one and the noted one stay as they were
    old = build(plan, template())
    old.loc[(old.SessionId == "OLD") & (old.TaskId == "T1"), ["Status", "DoneDate"]] = ["Done", D("2024-01-02")]
    old.loc[(old.SessionId == "OLD") & (old.TaskId == "T3"), "Notes"] = "feedback lost"
    again = regenerate(old, plan, template(), since=D("2024-04-15"))
    kept = again[again.SessionId == "OLD"].set_index("TaskId")
    assert list(kept.index) == ["T1", "T3"]
    assert kept.loc["T1", "Status"] == "Done" and kept.loc["T3", "Notes"] == "feedback lost"
    assert kept.loc["T3", "Status"] == "Open"
    # GONE's rows say Cancelled: a status, so they are kept too (a refresh never deletes one)
    assert set(again[again.SessionId == "GONE"].Status) == {"Cancelled"}


def test_the_examples_checklist_refresh_has_no_task_for_sessions_delivered_before_the_horizon():
    from pathlib import Path

    from ilt_xl.core.sessions import setting
    from ilt_xl.workbook.macros import checklist_rows
    from ilt_xl.workbook.reader import read_planner

    planner = read_planner(Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx")
    rows = checklist_rows(planner.tables, planner.settings)
    since = pd.Timestamp(setting(planner.settings, "AsOfDate")) - pd.Timedelta(
        days=int(setting(planner.settings, "ChecklistHorizonDays")))
    s = planner.sessions.set_index("SessionId")
    old = s[(s.Status == "Delivered") & (s.EndDate < since)].index
    existing = planner.checklist
    worked = existing[(existing.Status != "Open") | existing.DoneDate.notna() | (existing.Notes.fillna("") != "")]
    created = rows[rows.SessionId.isin(old) & ~rows.set_index(["SessionId", "TaskId"]).index.isin(
        worked.set_index(["SessionId", "TaskId"]).index)]
    assert len(old) > 100 and created.empty
    overdue_rows = rows[(rows.Status == "Open") & (rows.DueDate < pd.Timestamp(setting(planner.settings, "AsOfDate")))]
    assert len(overdue_rows) < 200, "no flood of Overdue tasks from years of delivered sessions"
