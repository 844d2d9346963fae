"""Logistics checklists: one row per (session, template task) with a due date, kept alive as the plan moves.

- :func:`build` makes the Checklist rows: every session times every template task
  that applies to its course (AppliesTo lists CourseIds, comma-separated,
  case-insensitive; blank means all courses).
- :func:`due_dates` is the DueDate column, as the workbook's formula computes it
  on every row (``ILT_DUEDATE`` of the task's anchor, the session's StartDate or
  EndDate, moved OffsetWorkdays working days of the session's Country: Mon-Fri
  minus its public holidays, ``ilt_xl.core.calendar``). Session and task are
  looked up by id, so the date follows the plan whatever the row's status; an
  unknown session, task or country leaves it blank (NaT; the workbook shows #N/A).
- :func:`regenerate` rebuilds after sessions moved, were added or cancelled, or
  the template changed, without losing anyone's work:

  * a row that still exists keeps its Status, DoneDate and Notes; its Task,
    Phase and OwnerTeam are refreshed from the template; its DueDate is the
    formula's, so open tasks move with their session (and so do Done and
    Cancelled ones: DoneDate, not DueDate, records when the work was done);
  * the open rows of a cancelled session become ``Cancelled`` (they stay);
    Done rows stay Done;
  * rows for new sessions or new tasks are added as ``Open``;
  * a row whose task left the template (or no longer applies to the course), or
    whose session left the Sessions table, is kept as it was, except that an
    Open one becomes ``Cancelled``: nothing typed is ever deleted;
  * with a horizon (``since``: AsOfDate less the ChecklistHorizonDays setting), a
    session delivered or cancelled that ended before ``since`` gets no new rows
    (years of past sessions would otherwise flood the checklist with Open tasks
    nobody will do); its rows that hold work (a status other than Open, a
    DoneDate or a note) are kept as they are, its untouched Open rows are dropped.

  Rows come out grouped by session (Sessions order, then sessions only the old
  checklist knows), each session's rows in template order, kept rows without a
  template task last.
- :func:`overdue` and :func:`progress` give the Overdue flag and done/total per session.

Ids match case-insensitively (as the workbook's lookups do); statuses are
compared case-insensitively and written in their canonical spelling.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core.calendar import workday
from ilt_xl.core.sessions import id_key, lookup
from ilt_xl.schema.planner import CHECKLIST

OPEN, DONE, CANCELLED = "Open", "Done", "Cancelled"
COLUMNS = tuple(c.name for c in CHECKLIST.columns if not c.calculated or c.name == "DueDate")
"""Checklist columns the core gives: the input columns and DueDate (see :func:`due_dates`).
Overdue is left to :func:`overdue` and Country is the session's; a writer leaves out the columns
the workbook computes."""

_TEMPLATE_FIELDS = ("Task", "Phase", "OwnerTeam")


def _lower(values: pd.Series) -> pd.Series:
    """Trimmed lower-case text, "" for blanks; each distinct value is normalised once."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    lowered = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
    return pd.Series(lowered[codes], index=values.index)


def _applies(sessions: pd.DataFrame, template: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(session row, template row) of every pair where the task applies to the session's course."""
    s_rows = np.repeat(np.arange(len(sessions)), len(template))
    t_rows = np.tile(np.arange(len(template)), len(sessions))
    applies_to = _lower(template["AppliesTo"]) if "AppliesTo" in template else pd.Series([""] * len(template))
    for_all = (applies_to == "").to_numpy()
    listed = pd.DataFrame({"t": np.arange(len(template)), "course": applies_to.str.split(",")}).explode("course")
    listed["course"] = listed["course"].str.strip()
    allowed = pd.MultiIndex.from_arrays([listed["t"].to_numpy(), listed["course"].to_numpy(object)])
    course = _lower(sessions["CourseId"]).to_numpy(object)[s_rows]
    keep = for_all[t_rows] | pd.MultiIndex.from_arrays([t_rows, course]).isin(allowed)
    return s_rows[keep], t_rows[keep]


def _is_cancelled(status: pd.Series) -> np.ndarray:
    return (_lower(status) == "cancelled").to_numpy()


def build(sessions: pd.DataFrame, template: pd.DataFrame) -> pd.DataFrame:
    """The Checklist rows of ``sessions`` for ``template`` (fresh: no status kept).

    ``sessions`` needs SessionId, CourseId, Status, StartDate, EndDate, Country;
    ``template`` the ChecklistTemplate columns. Status is Open, or Cancelled for
    a cancelled session. Columns: those of :data:`COLUMNS`.
    """
    sessions, template = sessions.reset_index(drop=True), template.reset_index(drop=True)
    s_rows, t_rows = _applies(sessions, template)
    out = pd.DataFrame({
        "SessionId": sessions["SessionId"].to_numpy(object)[s_rows],
        "TaskId": template["TaskId"].to_numpy(object)[t_rows],
        **{f: template[f].to_numpy(object)[t_rows] for f in _TEMPLATE_FIELDS},
        "DueDate": pd.Series(pd.NaT, index=range(len(s_rows)), dtype="datetime64[ns]").to_numpy(),
        "Status": np.where(_is_cancelled(sessions["Status"])[s_rows], CANCELLED, OPEN).astype(object),
        "DoneDate": pd.Series(pd.NaT, index=range(len(s_rows)), dtype="datetime64[ns]").to_numpy(),
        "Notes": np.full(len(s_rows), "", dtype=object),
    }, columns=list(COLUMNS))
    out["DueDate"] = due_dates(out, sessions, template)
    return out


def due_dates(checklist: pd.DataFrame, sessions: pd.DataFrame, template: pd.DataFrame) -> np.ndarray:
    """The DueDate of each ``checklist`` row (datetime64[ns]), as the workbook's formula gives it.

    ILT_DUEDATE(IF(task Anchor="End", session EndDate, session StartDate),
    task OffsetWorkdays, session Country), the session and task found by
    SessionId and TaskId (case-insensitive, first match). NaT where the session
    or task is unknown, a date is missing or the country has no calendar.
    """
    session, session_found = lookup(checklist["SessionId"], sessions, "SessionId", ["StartDate", "EndDate", "Country"])
    task, task_found = lookup(checklist["TaskId"], template, "TaskId", ["Anchor", "OffsetWorkdays"])
    at_end = (_lower(task["Anchor"]) == "end").to_numpy()
    anchor = np.where(at_end, pd.to_datetime(session["EndDate"]).to_numpy("datetime64[D]"),
                      pd.to_datetime(session["StartDate"]).to_numpy("datetime64[D]"))
    anchor = np.where(session_found & task_found, anchor, np.datetime64("NaT"))
    offsets = np.nan_to_num(pd.to_numeric(task["OffsetWorkdays"], errors="coerce").to_numpy("float64"), nan=0.0)
    countries = session["Country"].astype(object).where(session["Country"].notna(), "").to_numpy(object)
    due, _ = workday(anchor, offsets, countries)
    return due.astype("datetime64[ns]")


def _canonical_status(status: pd.Series) -> np.ndarray:
    spelled = {s.lower(): s for s in (OPEN, DONE, CANCELLED)}
    lower = _lower(status)
    return lower.map(spelled).where(lower.isin(list(spelled)), status.astype(object)).to_numpy(object)


def finished_before(sessions: pd.DataFrame, since: object) -> np.ndarray:
    """True for the sessions delivered or cancelled whose EndDate (StartDate when blank) is before ``since``."""
    status = _lower(sessions["Status"])
    end = pd.to_datetime(sessions["EndDate"], errors="coerce").fillna(pd.to_datetime(sessions["StartDate"], errors="coerce"))
    ended = (end < pd.Timestamp(since).normalize()).to_numpy(bool)
    return status.isin(["delivered", "cancelled"]).to_numpy() & ended


def _holds_work(checklist: pd.DataFrame) -> np.ndarray:
    """True for the rows someone worked on: a status other than Open, a DoneDate or a note."""
    status = _lower(checklist["Status"])
    notes = checklist["Notes"].astype(object).where(checklist["Notes"].notna(), "").astype(str).str.strip()
    return ((status != "open") | pd.to_datetime(checklist["DoneDate"]).notna() | (notes != "")).to_numpy(bool)


def regenerate(
    existing: pd.DataFrame, sessions: pd.DataFrame, template: pd.DataFrame, as_of: object = None,
    since: object = None,
) -> pd.DataFrame:
    """The Checklist after the plan or template changed, keeping every row's work (see the module docstring).

    ``existing`` is the current Checklist (its DueDate and Overdue columns, if
    any, are ignored: DueDate is recomputed, Overdue too when ``as_of`` is given). Returns :data:`COLUMNS`,
    plus Overdue ("Overdue" or "") when ``as_of`` is given. ``since`` is the horizon: sessions
    finished before it (:func:`finished_before`) get no new rows, and lose their untouched ones.
    """
    old = existing.reset_index(drop=True)
    if since is not None:
        past = finished_before(sessions, since)
        past_ids = set(id_key(sessions["SessionId"])[past].dropna())
        of_past = id_key(old["SessionId"]).isin(past_ids).to_numpy(bool)
        old = old[~of_past | _holds_work(old)].reset_index(drop=True)
        old_of_past = id_key(old["SessionId"]).isin(past_ids).to_numpy(bool)
        kept_past = old[old_of_past].reindex(columns=list(COLUMNS))
        old = old[~old_of_past].reset_index(drop=True)
        sessions_now = sessions[~past]
    else:
        kept_past, sessions_now = None, sessions
    fresh = build(sessions_now, template)
    old_key = id_key(old["SessionId"]).fillna("") + "\x1f" + id_key(old["TaskId"]).fillna("")
    new_key = id_key(fresh["SessionId"]).fillna("") + "\x1f" + id_key(fresh["TaskId"]).fillna("")
    # A duplicated (session, task) row in the old checklist: the first one is matched, the others are kept as they are.
    first_of_key = ~old_key.duplicated().to_numpy()
    position = pd.Series(np.arange(len(old))[first_of_key], index=old_key[first_of_key].to_numpy())
    match = new_key.map(position)
    matched = match.notna().to_numpy()
    src = match[matched].astype("int64").to_numpy()

    out = fresh.copy()
    old_status = _canonical_status(old["Status"])
    kept_status = old_status[src]
    out.loc[matched, "Status"] = kept_status
    out.loc[matched, "DoneDate"] = pd.to_datetime(old["DoneDate"]).to_numpy("datetime64[ns]")[src]
    out.loc[matched, "Notes"] = old["Notes"].astype(object).where(old["Notes"].notna(), "").to_numpy(object)[src]

    session_cancelled = pd.Series(_is_cancelled(sessions["Status"]), index=id_key(sessions["SessionId"]).to_numpy())
    session_cancelled = session_cancelled[~session_cancelled.index.duplicated()]
    cancelled_now = id_key(out["SessionId"]).map(session_cancelled).fillna(False).to_numpy(bool)
    out.loc[cancelled_now & (out["Status"] == OPEN).to_numpy(), "Status"] = CANCELLED

    used = np.zeros(len(old), dtype=bool)
    used[src] = True
    orphans = old.loc[~used].reindex(columns=list(COLUMNS))
    orphans["Status"] = _canonical_status(orphans["Status"])
    orphans.loc[orphans["Status"] == OPEN, "Status"] = CANCELLED
    orphans["DoneDate"] = pd.to_datetime(orphans["DoneDate"])
    orphans["DueDate"] = due_dates(orphans, sessions, template)
    parts = [out.assign(_orphan=0), orphans.assign(_orphan=1)]
    if kept_past is not None and len(kept_past):   # past the horizon, worked on: kept as they are
        kept_past["Status"] = _canonical_status(kept_past["Status"])
        kept_past["DoneDate"] = pd.to_datetime(kept_past["DoneDate"])
        kept_past["DueDate"] = due_dates(kept_past, sessions, template)
        parts.append(kept_past.assign(_orphan=0))

    result = pd.concat(parts, ignore_index=True)
    session_order = pd.Series(np.arange(len(sessions)), index=id_key(sessions["SessionId"]).to_numpy())
    session_order = session_order[~session_order.index.duplicated()]
    keys = id_key(result["SessionId"])
    rank = keys.map(session_order).fillna(len(sessions) + pd.Series(pd.factorize(keys)[0]))
    result = result.assign(_rank=rank.to_numpy()).sort_values(["_rank", "_orphan"], kind="stable")
    result = result.drop(columns=["_rank", "_orphan"]).reset_index(drop=True)
    if as_of is not None:
        result["Overdue"] = np.where(overdue(result, as_of), "Overdue", "").astype(object)
    return result


def overdue(checklist: pd.DataFrame, as_of: object) -> np.ndarray:
    """True where a task is Open and its DueDate is before ``as_of``.

    As the workbook's Overdue formula, except that an open task without a due
    date (NaT: where the workbook's DueDate shows #N/A, so does its Overdue)
    counts as overdue here, so that it is not forgotten.
    """
    due = pd.to_datetime(checklist["DueDate"]).to_numpy("datetime64[D]")
    before = np.isnat(due) | (due < np.datetime64(pd.Timestamp(as_of).date(), "D"))
    return (_lower(checklist["Status"]) == "open").to_numpy() & before


def progress(checklist: pd.DataFrame) -> pd.DataFrame:
    """Per session: Done, Open, Cancelled and Total task counts and Progress = Done / Total.

    Index: SessionId as first spelled in the checklist; sessions in order of appearance.
    """
    status = _lower(checklist["Status"])
    keys = id_key(checklist["SessionId"])
    counts = pd.DataFrame({
        "key": keys,
        "Done": (status == "done").astype(int),
        "Open": (status == "open").astype(int),
        "Cancelled": (status == "cancelled").astype(int),
        "Total": 1,
    }).groupby("key", sort=False).sum()
    counts["Progress"] = counts["Done"] / counts["Total"]
    first_spelling = pd.Series(checklist["SessionId"].to_numpy(object), index=keys.to_numpy())
    counts.index = first_spelling[~first_spelling.index.duplicated()].reindex(counts.index).to_numpy()
    counts.index.name = "SessionId"
    return counts
