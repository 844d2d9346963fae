"""Apply the accepted Proposals rows to Sessions and Enrolments.

A row is applied when its Accept is Yes (case-insensitive), its Outcome is Proposed
(or blank) and the session is still as the proposal saw it: Planned, with the
CurrentInstructor, CurrentRoom and CurrentStart the row names (a session edited or
applied since is Skipped, with the reason put before the row's Rule). Merges go
first, so an assignment for a session merged away is skipped.

- **Merge**: the source's enrolment lines move to MergeInto (which must exist and
  not be cancelled), and the source is Cancelled. Learners are conserved.
- **Assign**: InstructorId, RoomId (and Site, the room's) and the dates (shifted
  together, keeping the length) take the proposed values. A changed instructor's
  fee, and a changed room's cost, are left blank (an amount entered for the
  previous one is cleared): the workbook then prices the new resource at its day
  rate x days, converted from its currency to the session's through the FX table,
  as the optimiser costed it; OtherFixedCost moves by the travel the change adds
  or removes.

Returns the new tables; nothing else changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core.merge import MERGE
from ilt_xl.core.optimise import ASSIGN, PROPOSED, Options, _index_of, _prepare, at

APPLIED, SKIPPED = "Applied", "Skipped"


@dataclass
class Applied:
    """The tables after :func:`apply_proposals`, and how many rows were applied and skipped."""

    sessions: pd.DataFrame
    enrolments: pd.DataFrame
    proposals: pd.DataFrame
    applied: int
    skipped: int


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _day(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, errors="coerce").to_numpy("datetime64[D]")


def apply_proposals(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> Applied:
    """Sessions, Enrolments and Proposals with the accepted proposals applied (see the module docstring)."""
    sessions = tables["Sessions"].copy()
    enrolments = tables["Enrolments"].copy()
    proposals = tables["Proposals"].copy()
    index = sessions.index
    sessions = sessions.reset_index(drop=True)
    proposals = proposals.reset_index(drop=True)
    outcome = _text(proposals["Outcome"]).to_numpy(object)
    rule = _text(proposals["Rule"]).to_numpy(object)
    wanted = (_text(proposals["Accept"]).str.lower() == "yes").to_numpy() & np.isin(outcome, [PROPOSED, ""])
    kind = _text(proposals["Kind"]).to_numpy(object)
    row = _index_of(_text(proposals["SessionId"]).to_numpy(object), _text(sessions["SessionId"]).to_numpy(object))
    status = _text(sessions["Status"]).str.lower()

    for k in np.flatnonzero(wanted & (kind == MERGE)):
        s = row[k]
        target = _index_of(np.array([_text(proposals["MergeInto"]).iat[k]], dtype=object), _text(sessions["SessionId"]).to_numpy(object))[0]
        reason = _merge_blocker(s, target, status, sessions, proposals, k)
        if reason:
            outcome[k], rule[k] = SKIPPED, f"Skipped: {reason}. {rule[k]}"
            continue
        lines = _text(enrolments["SessionId"]).str.lower() == str(sessions["SessionId"].iat[s]).lower()
        enrolments.loc[lines, "SessionId"] = sessions["SessionId"].iat[target]
        sessions.loc[s, "Status"] = "Cancelled"
        status.iat[s] = "cancelled"
        outcome[k] = APPLIED

    assign = np.flatnonzero(wanted & (kind == ASSIGN))
    if len(assign):
        _apply_assignments(tables, settings, sessions, proposals, assign, row, status, outcome, rule)
    proposals["Outcome"], proposals["Rule"] = outcome, rule
    sessions.index = index
    done = (outcome == APPLIED) & wanted
    return Applied(sessions, enrolments, proposals, int(done.sum()), int((wanted & (outcome == SKIPPED)).sum()))


def _merge_blocker(s: int, target: int, status: pd.Series, sessions, proposals, k: int) -> str:
    if s < 0:
        return "the session is no longer in Sessions"
    if status.iat[s] != "planned":
        return f"the session is {sessions['Status'].iat[s]}, not Planned"
    if target < 0:
        return "the session to merge into is no longer in Sessions"
    if status.iat[target] == "cancelled":
        return f"{sessions['SessionId'].iat[target]} is cancelled"
    return ""


def _changed_since(sessions: pd.DataFrame, proposals: pd.DataFrame, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per proposal: why the session no longer matches what the proposal saw ("" when it does)."""
    out = np.full(len(k), "", dtype=object)
    for column, current in (("InstructorId", "CurrentInstructor"), ("RoomId", "CurrentRoom")):
        now = _text(sessions[column]).to_numpy(object)[rows]
        then = _text(proposals[current]).to_numpy(object)[k]
        differs = pd.Series(now).str.lower().to_numpy(object) != pd.Series(then).str.lower().to_numpy(object)
        out = np.where((out == "") & differs, f"the session's {column} changed since the proposal", out)
    moved = _day(sessions["StartDate"])[rows] != _day(proposals["CurrentStart"])[k]
    return np.where((out == "") & moved, "the session's StartDate changed since the proposal", out)


def _apply_assignments(tables, settings, sessions, proposals, assign, row, status, outcome, rule) -> None:
    missing = row[assign] < 0
    for k in assign[missing]:
        outcome[k], rule[k] = SKIPPED, f"Skipped: the session is no longer in Sessions. {rule[k]}"
    assign = assign[~missing]
    rows = row[assign]
    why = np.where(status.to_numpy(object)[rows] != "planned", "the session is no longer Planned",
                   _changed_since(sessions, proposals, rows, assign))
    # Two accepted proposals for one session: the first applies, the second then sees a changed session.
    why = np.where((why == "") & pd.Series(rows).duplicated().to_numpy(), "another proposal for the session was applied", why)
    for k, reason in zip(assign[why != ""], why[why != ""]):
        outcome[k], rule[k] = SKIPPED, f"Skipped: {reason}. {rule[k]}"
    assign, rows = assign[why == ""], rows[why == ""]
    if not len(assign):
        return
    plan = _prepare({**tables, "Sessions": sessions}, settings, Options(scope="all-open"))
    new_i = _index_of(_text(proposals["ProposedInstructor"]).to_numpy(object)[assign], plan.i_ids)
    new_r = _index_of(_text(proposals["ProposedRoom"]).to_numpy(object)[assign], plan.r_ids)
    shift = (_day(proposals["ProposedStart"])[assign] - _day(sessions["StartDate"])[rows]).astype("int64")
    shift = np.where(np.isnat(_day(proposals["ProposedStart"])[assign]), 0, shift)
    blank = np.full(len(rows), np.nan)

    instructor_changed = (new_i >= 0) & (new_i != plan.cur_i[rows])
    _set(sessions, "InstructorId", rows, instructor_changed, at(plan.i_ids, new_i, ""))
    _set(sessions, "InstructorFeeEntered", rows, instructor_changed, blank)
    travel_before = _travels(plan, plan.cur_i[rows], rows) * plan.travel[rows]
    travel_after = _travels(plan, np.where(new_i >= 0, new_i, plan.cur_i[rows]), rows) * plan.travel[rows]
    delta = np.round((travel_after - travel_before) / plan.session_rate[rows], 2)
    other = pd.to_numeric(sessions["OtherFixedCost"], errors="coerce").to_numpy("float64")[rows]
    moved_travel = instructor_changed & (delta != 0) & ~np.isnan(delta)
    new_other = np.maximum(np.nan_to_num(other) + np.nan_to_num(delta), 0.0)
    _set(sessions, "OtherFixedCost", rows, moved_travel, np.where(new_other > 0, np.round(new_other, 2), np.nan))

    room_changed = (new_r >= 0) & (new_r != plan.cur_r[rows])
    _set(sessions, "RoomId", rows, room_changed, at(plan.r_ids, new_r, ""))
    _set(sessions, "Site", rows, room_changed, at(plan.r_site, new_r, ""))
    _set(sessions, "RoomCostEntered", rows, room_changed, blank)

    moved = shift != 0
    for column in ("StartDate", "EndDate"):
        new_day = _day(sessions[column])[rows] + shift.astype("timedelta64[D]")
        _set(sessions, column, rows, moved, pd.to_datetime(new_day).to_numpy())
    outcome[assign] = APPLIED


def _travels(plan, instructor: np.ndarray, rows: np.ndarray) -> np.ndarray:
    home = at(plan.i_home, instructor, "")
    return ((home != "") & (home != plan.country[rows])).astype("float64")


def _set(sessions: pd.DataFrame, column: str, rows: np.ndarray, mask: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` (where ``mask``) into ``column`` at positions ``rows``, keeping the column's dtype when it
    can hold them: a text column stays text (pandas 3's ``str`` stays ``str``), numbers and dates stay so. A column
    read as numbers because it was blank gets text as text (was: coerced to NaN, the room id lost)."""
    if not mask.any():
        return
    target = sessions.index[rows[mask]]
    values = np.asarray(values)[mask]
    current = sessions[column]
    text = values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "empty" and bool((values != "").any())
    if text and current.dtype.kind in "fiubM":
        if current.notna().any():
            values = pd.to_numeric(values, errors="coerce")   # text cannot go in a column of numbers
        else:
            # A blank column: hold the text in what pandas infers for text (object on pandas 2, str on 3).
            widened = current.astype(object)
            widened.loc[target] = values
            sessions[column] = widened.infer_objects()
            return
    sessions.loc[target, column] = values
