"""Worksheet functions for resources: ILT_CONFLICTS, ILT_AVAILABLE, ILT_UTILIZATION.

Thin adapters over ``ilt_xl.core.overlaps``. Bookings are given as parallel
ranges (one row per session: resource, start, end and optionally status), as
they sit in the Sessions table. Rules shared by the three:

- rows whose resource is blank are not bookings (so whole columns, with their
  blank tail, can be passed);
- a booking whose status is Cancelled (any case) is ignored;
- ids and skills compare case-insensitively;
- a booking row with a resource but a start or end that is not a date, or an
  end before its start, makes the result ``#VALUE!`` (one cell): a wrong date
  would otherwise hide a clash; an Excel error in a range is passed on;
- ranges of unequal lengths give ``#VALUE!``.

Dates are returned as serial numbers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core import excel_errors as xe
from ilt_xl.core import overlaps
from ilt_xl.core.calendar import working_days
from ilt_xl.core.serial_dates import serial_to_datetime64
from ilt_xl.core.sessions import id_key
from ilt_xl.functions.arguments import coerce_date, coerce_text, errors_where
from ilt_xl.functions.registry import Arg, every_cell, worksheet_function

CATEGORY = "resources"
NONE = "none"


class _BadRange(Exception):
    """A range argument that cannot be used; ``code`` is the Excel error to show."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _column(values: np.ndarray | None, n: int | None = None) -> np.ndarray | None:
    if values is None:
        return None
    flat = values.reshape(-1)
    if n is not None and flat.size != n:
        raise _BadRange(xe.VALUE)
    return flat


def _texts(values: np.ndarray) -> np.ndarray:
    text, errors = coerce_text(values)
    failed = errors[~np.equal(errors, None)]
    if failed.size:
        raise _BadRange(failed[0])
    return text


def _bookings(resources, starts, ends, statuses=None, ids=None) -> pd.DataFrame:
    """The live bookings of parallel ranges: columns row, resource, code, first, last (serials), id."""
    resource = _column(resources)
    if resource is None:
        raise _BadRange(xe.VALUE)
    n = resource.size
    resource = _texts(resource)
    start_values, start_errors = coerce_date(_column(starts, n))
    end_values, end_errors = coerce_date(_column(ends, n))
    status = _texts(_column(statuses, n)) if statuses is not None else np.full(n, "", dtype=object)
    session = _texts(_column(ids, n)) if ids is not None else np.full(n, "", dtype=object)
    live = (resource != "") & (id_key(pd.Series(status, dtype=object)).to_numpy() != "cancelled")
    for errors in (start_errors, end_errors):
        bad = errors[live & ~np.equal(errors, None)]
        if bad.size:
            raise _BadRange(bad[0])
    first, last = np.floor(start_values), np.floor(end_values)
    if (live & (last < first)).any():
        raise _BadRange(xe.VALUE)
    rows = np.flatnonzero(live)
    return pd.DataFrame({
        "row": rows,
        "resource": resource[rows],
        "code": overlaps.resource_codes(resource[rows]),
        "first": first[rows].astype("int64"),
        "last": last[rows].astype("int64"),
        "id": session[rows],
    })


@worksheet_function(
    "ILT_CONFLICTS",
    category=CATEGORY,
    description=(
        "Double bookings: one spilled row per pair of sessions holding the same resource on a common day "
        "(resource, session A, session B, first and last common day as serials), session A starting first; "
        'cancelled sessions ignored; "none" when there is no conflict.'
    ),
    args=[
        Arg("session_ids", "range", "session ids"),
        Arg("resource_ids", "range", "the instructor, room or equipment each session books (blank: none)"),
        Arg("starts", "range", "session start dates", date_cells=every_cell),
        Arg("ends", "range", "session end dates", date_cells=every_cell),
        Arg("statuses", "range", "optional session statuses; Cancelled rows are ignored", default=None),
    ],
    returns="any",
    spills=True,
    date_columns=(3, 4),
)
def ilt_conflicts(session_ids, resource_ids, starts, ends, statuses):
    if session_ids is None:
        return xe.VALUE
    try:
        booked = _bookings(resource_ids, starts, ends, statuses, ids=session_ids)
    except _BadRange as bad:
        return bad.code
    a, b = overlaps.overlap_pairs(booked["code"], booked["first"], booked["last"])
    if a.size == 0:
        return NONE
    first, last = overlaps.common_days(booked["first"], booked["last"], a, b)
    out = np.empty((a.size, 5), dtype=object)
    out[:, 0] = booked["resource"].to_numpy(object)[a]
    out[:, 1] = booked["id"].to_numpy(object)[a]
    out[:, 2] = booked["id"].to_numpy(object)[b]
    out[:, 3] = first.astype("float64")
    out[:, 4] = last.astype("float64")
    return out


def _has_skill(skill: str, skills: np.ndarray) -> np.ndarray:
    """True where the comma-separated ``skills`` list ``skill`` (case-insensitive, trimmed entries)."""
    wanted = skill.strip().lower()
    if not wanted:
        return np.ones(skills.size, dtype=bool)
    codes, lists = pd.factorize(skills)  # few distinct skill lists: test each once
    listed = np.array([wanted in {s.strip() for s in str(x).lower().split(",")} for x in lists] + [False])
    return listed[codes]


@worksheet_function(
    "ILT_AVAILABLE",
    category=CATEGORY,
    description=(
        "Spilled column of the instructor ids that have the skill (comma-separated skills, case-insensitive; "
        'a blank skill asks for none) and no non-cancelled booking overlapping start-end; "none" when nobody fits.'
    ),
    args=[
        Arg("skill", "text", "the skill needed"),
        Arg("start", "date", "first day wanted"),
        Arg("end", "date", "last day wanted"),
        Arg("instructor_ids", "range", "the instructors (Instructors[InstructorId])"),
        Arg("instructor_skills", "range", "their skills, comma-separated (Instructors[Skills])"),
        Arg("booked_instructors", "range", "the instructor of each session (Sessions[InstructorId])"),
        Arg("booked_starts", "range", "session start dates", date_cells=every_cell),
        Arg("booked_ends", "range", "session end dates", date_cells=every_cell),
        Arg("booked_statuses", "range", "optional session statuses; Cancelled sessions do not book", default=None),
    ],
    returns="text",
    spills=True,
)
def ilt_available(skill, start, end, instructor_ids, instructor_skills, booked_instructors, booked_starts, booked_ends, booked_statuses):
    if end < start or instructor_ids is None:
        return xe.VALUE
    try:
        ids = _texts(_column(instructor_ids))
        skills = _texts(_column(instructor_skills, ids.size)) if instructor_skills is not None else np.full(ids.size, "", dtype=object)
        booked = _bookings(booked_instructors, booked_starts, booked_ends, booked_statuses)
    except _BadRange as bad:
        return bad.code
    overlapping = (booked["first"] <= np.floor(end)) & (booked["last"] >= np.floor(start))
    busy = id_key(booked.loc[overlapping.to_numpy(), "resource"])
    free = (ids != "") & _has_skill(skill, skills) & ~id_key(pd.Series(ids, dtype=object)).isin(set(busy)).to_numpy()
    if not free.any():
        return NONE
    return ids[free].reshape(-1, 1)


@worksheet_function(
    "ILT_UTILIZATION",
    category=CATEGORY,
    description=(
        "Booked days of each resource in the period (non-cancelled bookings, clipped) / available_days, "
        "or / the period's working days (Mon-Fri less the country's holidays). #DIV/0! for 0 days, "
        "#VALUE! for an end before the start, #N/A for an unknown country."
    ),
    args=[
        Arg("resource_ids", "text", "the instructor or room ids to measure (one result each)"),
        Arg("start", "date", "first day of the period"),
        Arg("end", "date", "last day of the period"),
        Arg("booked_resources", "range", "the resource of each session (Sessions[InstructorId] or [RoomId])"),
        Arg("booked_starts", "range", "session start dates", date_cells=every_cell),
        Arg("booked_ends", "range", "session end dates", date_cells=every_cell),
        Arg("booked_statuses", "range", "optional session statuses; Cancelled sessions do not count", default=None),
        Arg("available_days", "number", "optional days available in the period (e.g. AvailableDaysPerYear)", default=np.nan),
        Arg("country", "text", "optional ISO country whose holidays the working days leave out", default=""),
    ],
    returns="number",
)
def ilt_utilization(resource_ids, start, end, booked_resources, booked_starts, booked_ends, booked_statuses, available_days, country):
    n = resource_ids.size
    try:
        booked = _bookings(booked_resources, booked_starts, booked_ends, booked_statuses)
    except _BadRange as bad:
        return np.full(n, np.nan), np.full(n, bad.code, dtype=object)
    queries = pd.DataFrame({
        "q": np.arange(n), "key": id_key(pd.Series(resource_ids, dtype=object)),
        "start": np.floor(start), "end": np.floor(end),
    })
    pairs = queries.merge(booked.assign(key=id_key(booked["resource"])), on="key")
    overlap = (np.minimum(pairs["end"], pairs["last"]) - np.maximum(pairs["start"], pairs["first"]) + 1).clip(lower=0)
    days = overlap.groupby(pairs["q"]).sum().reindex(range(n), fill_value=0).to_numpy("float64")
    workdays, reasons = working_days(serial_to_datetime64(start), serial_to_datetime64(end), country)
    denominator = np.where(np.isnan(available_days), workdays, available_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = days / denominator
    use_calendar = np.isnan(available_days)
    return ratio, errors_where(
        (end < start, xe.VALUE),
        (use_calendar & ~np.equal(reasons, None), xe.NA),
        (denominator == 0, xe.DIV0),
        (denominator < 0, xe.VALUE),
    )
