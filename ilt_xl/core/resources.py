"""Resource conflicts and utilisation: the Conflicts tab and the utilisation KPIs.

:func:`conflicts` lists, as rows of the Conflicts table (Kind, Resource,
SessionA, SessionB, FirstDay, LastDay, Days, Detail):

- **Instructor / Room double-booked**: two sessions holding the same instructor
  or room on at least one common day; one row per pair, SessionA the one that
  starts first, FirstDay..LastDay their common days;
- **Equipment over quantity**: two sessions of the same pool both booked on days
  when the pool's booked units exceed its Quantity; one row per such pair, the
  days being the over-quantity days they share. A session booking more units
  than the pool holds on its own gets a row with a blank SessionB;
- **Skill mismatch**: the instructor's Skills (comma-separated) lack the course's
  Skill (case-insensitive);
- **Over capacity**: Registered > Capacity;
- **Capacity above room**: the session's Capacity (an override) > the room's;
- **Instructor over available days**: an instructor's booked days in a calendar
  year exceed AvailableDaysPerYear (DefaultAvailableDays when blank). SessionA
  is the session during which the limit is passed, FirstDay the first day over
  it, LastDay the instructor's last booked day that year, Days the excess;
- **Leave clash**: a session holding an instructor or room on a day the
  Unavailability table says it is unavailable (leave, closure); one row per
  session and Unavailability row, the days being those they share.

Cancelled sessions never conflict. Ids match case-insensitively. Single-session
kinds leave SessionB blank. Days are whole days: two half-day sessions in the
same room on the same day conflict (StartTime/EndTime are not compared).

Utilisation (design.md §2): instructor = delivered training days / available
days; room = booked days / working days (Mon-Fri minus the room country's
holidays) in the period. Days are calendar days of the sessions (as Days), split
at year boundaries, so a weekend session can push a room above 100 %.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import overlaps
from ilt_xl.core.calendar import working_days
from ilt_xl.core.fiscal_years import fiscal_year, split_by_year, year_end, year_start
from ilt_xl.core.sessions import id_key, lookup, session_table, setting
from ilt_xl.schema.planner import CONFLICT_KINDS, CONFLICTS

COLUMNS = CONFLICTS.column_names
(INSTRUCTOR_DOUBLE, ROOM_DOUBLE, EQUIPMENT_OVER, SKILL_MISMATCH, OVER_CAPACITY,
 CAPACITY_ABOVE_ROOM, OVER_AVAILABLE, LEAVE_CLASH) = CONFLICT_KINDS

_EPOCH = EPOCH = np.datetime64("1970-01-01", "D")  # day numbers count from here
_NO_DAY = np.iinfo("int64").min // 4  # the day number of a missing date: never a valid range


def active(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions that are not cancelled (any case), index reset."""
    return sessions[~_status_in(sessions, ("Cancelled",))].reset_index(drop=True)


def _status_in(sessions: pd.DataFrame, statuses: tuple[str, ...]) -> np.ndarray:
    """True where Status is one of ``statuses`` (case-insensitive, trimmed)."""
    status = sessions["Status"].astype(object).where(sessions["Status"].notna(), "").astype(str)
    return status.str.strip().str.lower().isin([x.lower() for x in statuses]).to_numpy()


def _day_numbers(values: pd.Series) -> np.ndarray:
    days = values.to_numpy("datetime64[D]")
    out = (days - _EPOCH).astype("int64")
    out[np.isnat(days)] = _NO_DAY
    return out


def _dates(day_numbers: np.ndarray) -> np.ndarray:
    days = np.asarray(day_numbers, dtype="int64")
    out = (_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
    out[days < 0] = np.datetime64("NaT")
    return out


def _show(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def _as_text(values: object) -> np.ndarray:
    # Few distinct values (ids, day counts) repeat across many rows: format each once.
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    shown = np.array([_show(u) for u in uniques] + [""], dtype=object)
    return shown[codes]


def _text(*parts: object) -> np.ndarray:
    """Element-wise concatenation of text constants and arrays (numbers as Excel's General shows them)."""
    n = max(len(p) for p in parts if not isinstance(p, str))
    out = np.full(n, "", dtype=object)
    for part in parts:
        out = out + (part if isinstance(part, str) else _as_text(part))
    return out


def _frame(kind: str, resource, a, b, first, last, days, detail) -> pd.DataFrame:
    n = len(first)
    return pd.DataFrame({
        "Kind": np.full(n, kind, dtype=object),
        "Resource": np.asarray(resource, dtype=object),
        "SessionA": np.asarray(a, dtype=object),
        "SessionB": np.asarray(b, dtype=object) if b is not None else np.full(n, "", dtype=object),
        "FirstDay": _dates(first),
        "LastDay": _dates(last),
        "Days": np.asarray(days, dtype="int64"),
        "Detail": np.asarray(detail, dtype=object),
    }, columns=list(COLUMNS))


def double_bookings(sessions: pd.DataFrame, resource_column: str, kind: str) -> pd.DataFrame:
    """Pairs of non-cancelled sessions holding the same resource on common days (Conflicts rows)."""
    s = active(sessions)
    first, last = _day_numbers(s["StartDate"]), _day_numbers(s["EndDate"])
    a, b = overlaps.overlap_pairs(overlaps.resource_codes(s[resource_column].to_numpy()), first, last)
    common_first, common_last = overlaps.common_days(first, last, a, b)
    ids, resource = s["SessionId"].to_numpy(object), s[resource_column].to_numpy(object)
    days = common_last - common_first + 1
    detail = _text(resource[a], " booked by ", ids[a], " and ", ids[b], " on ", days,
                   np.where(days == 1, " common day", " common days").astype(object))
    return _frame(kind, resource[a], ids[a], ids[b], common_first, common_last, days, detail)


def equipment_over_quantity(sessions: pd.DataFrame, equipment: pd.DataFrame) -> pd.DataFrame:
    """Sessions sharing days on which a pool's booked units exceed its Quantity (Conflicts rows)."""
    s = active(sessions)
    s = s[~s["EquipmentId"].isna().to_numpy() & (s["EquipmentId"].astype(str).str.strip() != "").to_numpy()]
    s = s.reset_index(drop=True)
    pool, found = lookup(s["EquipmentId"], equipment, "EquipmentId", ["Quantity"])
    units = pd.to_numeric(s["EquipmentUnits"], errors="coerce").fillna(0).to_numpy("float64")
    booking = found & (units > 0)
    s, units = s[booking].reset_index(drop=True), units[booking]
    quantity = pd.to_numeric(pool["Quantity"][booking], errors="coerce").fillna(0).to_numpy("float64")
    codes = overlaps.resource_codes(s["EquipmentId"].to_numpy())
    first, last = _day_numbers(s["StartDate"]), _day_numbers(s["EndDate"])
    limit_of_code = np.full(codes.max() + 1 if len(codes) else 0, np.inf)
    limit_of_code[codes] = quantity
    runs = overlaps.over_limit_runs(codes, first, last, units, limit_of_code)
    ids, resource = s["SessionId"].to_numpy(object), s["EquipmentId"].to_numpy(object)
    peak = pd.Series(runs["peak"].to_numpy(), index=runs["code"].to_numpy()).groupby(level=0).max()

    a, b = overlaps.overlap_pairs(codes, first, last)
    common_first, common_last = overlaps.common_days(first, last, a, b)
    shared = overlaps.days_in_runs(runs, codes[a], common_first, common_last)
    keep = shared["days"].to_numpy() > 0
    a, b, shared = a[keep], b[keep], shared[keep]
    pairs = _frame(
        EQUIPMENT_OVER, resource[a], ids[a], ids[b], shared["first"], shared["last"], shared["days"],
        _over_detail(resource[a], peak.reindex(codes[a]).to_numpy(), quantity[a]),
    )
    alone = np.flatnonzero(units > quantity)
    own = overlaps.days_in_runs(runs, codes[alone], first[alone], last[alone])
    singles = _frame(
        EQUIPMENT_OVER, resource[alone], ids[alone], None, own["first"], own["last"], own["days"],
        _over_detail(resource[alone], units[alone], quantity[alone], alone=True),
    )
    return pd.concat([pairs, singles], ignore_index=True)


def _over_detail(resource: np.ndarray, booked: np.ndarray, quantity: np.ndarray, alone: bool = False) -> np.ndarray:
    verb = " units booked by this session alone, pool of " if alone else " units booked at peak, pool of "
    return _text(resource, ": ", np.asarray(booked, dtype="float64"), verb, np.asarray(quantity, dtype="float64"))


def skill_mismatches(sessions: pd.DataFrame, courses: pd.DataFrame, instructors: pd.DataFrame) -> pd.DataFrame:
    """Non-cancelled sessions whose instructor lacks the course's Skill (Conflicts rows).

    Skills are compared case-insensitively after trimming; sessions without an
    instructor, or with an unknown course or instructor, are not checked here
    (validation reports unknown ids).
    """
    s = active(sessions)
    course, course_found = lookup(s["CourseId"], courses, "CourseId", ["Skill"])
    _, teacher_found = lookup(s["InstructorId"], instructors, "InstructorId", ["Skills"])
    need = course["Skill"].astype("string").str.strip().str.lower().fillna("").to_numpy(object)
    known = _skill_pairs(instructors)
    has = pd.MultiIndex.from_arrays([id_key(s["InstructorId"]).fillna("").to_numpy(object), need]).isin(known)
    bad = course_found & teacher_found & (need != "") & ~has
    m = s[bad]
    first, last = _day_numbers(m["StartDate"]), _day_numbers(m["EndDate"])
    detail = _text(m["InstructorId"], " lacks skill '", course["Skill"][bad], "' needed by ", m["CourseId"])
    return _frame(SKILL_MISMATCH, m["InstructorId"], m["SessionId"], None, first, last, last - first + 1, detail)


def _skill_pairs(instructors: pd.DataFrame) -> pd.MultiIndex:
    """(lower-case instructor id, lower-case skill) for every skill listed in Instructors[Skills]."""
    skills = instructors["Skills"].astype("string").str.lower().str.split(",")
    pairs = pd.DataFrame({"key": id_key(instructors["InstructorId"]), "skill": skills}).explode("skill")
    pairs["skill"] = pairs["skill"].str.strip()
    pairs = pairs.dropna()
    return pd.MultiIndex.from_arrays([pairs["key"].to_numpy(object), pairs["skill"].to_numpy(object)])


def capacity_problems(sessions: pd.DataFrame, rooms: pd.DataFrame) -> pd.DataFrame:
    """Registered > Capacity, and Capacity > the room's capacity (Conflicts rows).

    ``sessions`` carries the calculated Registered and Capacity columns.
    """
    s = active(sessions)
    registered = pd.to_numeric(s["Registered"], errors="coerce").to_numpy("float64")
    capacity = pd.to_numeric(s["Capacity"], errors="coerce").to_numpy("float64")
    room, found = lookup(s["RoomId"], rooms, "RoomId", ["Capacity"])
    room_capacity = pd.to_numeric(room["Capacity"], errors="coerce").to_numpy("float64")
    first, last = _day_numbers(s["StartDate"]), _day_numbers(s["EndDate"])
    out = []
    over = registered > capacity
    out.append(_frame(
        OVER_CAPACITY, s["RoomId"][over].fillna(""), s["SessionId"][over], None, first[over], last[over],
        last[over] - first[over] + 1,
        _text(registered[over], " registered, capacity ", capacity[over]),
    ))
    above = found & (capacity > room_capacity)
    out.append(_frame(
        CAPACITY_ABOVE_ROOM, s["RoomId"][above], s["SessionId"][above], None, first[above], last[above],
        last[above] - first[above] + 1,
        _text("capacity ", capacity[above], " above the room's ", room_capacity[above]),
    ))
    return pd.concat(out, ignore_index=True)


def available_days(instructors: pd.DataFrame, settings: Mapping[str, object]) -> pd.Series:
    """Available days per year of each instructor (index: lower-case id); blank uses DefaultAvailableDays."""
    default = float(setting(settings, "DefaultAvailableDays"))
    days = pd.to_numeric(instructors["AvailableDaysPerYear"], errors="coerce").fillna(default)
    out = pd.Series(days.to_numpy("float64"), index=id_key(instructors["InstructorId"]).to_numpy())
    return out[~out.index.duplicated()]


def booked_days_by_year(
    sessions: pd.DataFrame, resource_column: str, start_month: int = 1
) -> pd.DataFrame:
    """Each session's days per (fiscal) year: columns row, key (lower-case resource id), Year, First, Last, Days.

    ``row`` indexes ``sessions``; sessions without the resource give no piece.
    """
    has = ~sessions[resource_column].isna().to_numpy() & (sessions[resource_column].astype(str).str.strip() != "").to_numpy()
    rows = np.flatnonzero(has)
    row, year, first, last = split_by_year(
        sessions["StartDate"].to_numpy("datetime64[D]")[rows], sessions["EndDate"].to_numpy("datetime64[D]")[rows], start_month
    )
    keys = id_key(sessions[resource_column]).to_numpy(object)[rows][row]
    return pd.DataFrame({
        "row": rows[row], "key": keys, "Year": year, "First": first, "Last": last,
        "Days": (last - first).astype("int64") + 1,
    })


def over_available_days(sessions: pd.DataFrame, instructors: pd.DataFrame, settings: Mapping[str, object]) -> pd.DataFrame:
    """Instructors booked (non-cancelled) beyond their available days in a calendar year (Conflicts rows)."""
    s = active(sessions)
    pieces = booked_days_by_year(s, "InstructorId")
    pieces["available"] = pieces["key"].map(available_days(instructors, settings))
    pieces = pieces[pieces["available"].notna()].sort_values(["key", "Year", "First", "row"], kind="stable")
    group = [pieces["key"], pieces["Year"]]
    pieces["booked"] = pieces.groupby(group)["Days"].cumsum()
    pieces["total"] = pieces.groupby(group)["Days"].transform("sum")
    pieces["last_day"] = pieces.groupby(group)["Last"].transform("max")
    before = pieces["booked"] - pieces["Days"]
    crossing = pieces[(before <= pieces["available"]) & (pieces["booked"] > pieces["available"])]
    first = (crossing["First"].to_numpy("datetime64[D]") - _EPOCH).astype("int64") + (
        crossing["available"] - (crossing["booked"] - crossing["Days"])
    ).to_numpy("int64")
    last = (crossing["last_day"].to_numpy("datetime64[D]") - _EPOCH).astype("int64")
    excess = (crossing["total"] - crossing["available"]).to_numpy("int64")
    instructor = s["InstructorId"].to_numpy(object)[crossing["row"].to_numpy()]
    detail = _text(crossing["total"].astype("float64"), " days booked in ", crossing["Year"], ", ",
                   crossing["available"], " available")
    return _frame(OVER_AVAILABLE, instructor, s["SessionId"].to_numpy(object)[crossing["row"].to_numpy()], None,
                  first, last, excess, detail)


def leave_days(unavailability: pd.DataFrame | None) -> pd.DataFrame:
    """The usable rows of the Unavailability table: Resource, first and last day (epoch day numbers), Reason.

    Rows without a resource or dates, or ending before they start, are left out (validation reports them).
    """
    if unavailability is None or unavailability.empty:
        return pd.DataFrame({"Resource": pd.Series([], dtype=object), "first": np.zeros(0, "int64"),
                             "last": np.zeros(0, "int64"), "Reason": pd.Series([], dtype=object)})
    first = _day_numbers(pd.to_datetime(unavailability["From"], errors="coerce"))
    last = _day_numbers(pd.to_datetime(unavailability["To"], errors="coerce"))
    resource = unavailability["Resource"].astype(object).where(unavailability["Resource"].notna(), "").astype(str).str.strip()
    ok = (resource != "").to_numpy() & (first > _NO_DAY) & (last >= first)
    reason = unavailability["Reason"].astype(object).where(unavailability["Reason"].notna(), "").astype(str)
    return pd.DataFrame({"Resource": resource.to_numpy(object)[ok], "first": first[ok], "last": last[ok],
                         "Reason": reason.to_numpy(object)[ok]})


def leave_clashes(sessions: pd.DataFrame, unavailability: pd.DataFrame | None) -> pd.DataFrame:
    """Non-cancelled sessions holding an instructor or room on days it is unavailable (Conflicts rows)."""
    leave = leave_days(unavailability)
    parts = [_frame(LEAVE_CLASH, [], [], None, [], [], [], [])]
    if leave.empty:
        return parts[0]
    live = active(sessions)
    on_leave = set(id_key(leave["Resource"]))
    for column in ("InstructorId", "RoomId"):
        # Only sessions holding a resource with leave, and the leave rows, in one sweep: the pairs mixing one of each.
        s = live[id_key(live[column]).isin(on_leave).to_numpy()].reset_index(drop=True)
        first, last = _day_numbers(s["StartDate"]), _day_numbers(s["EndDate"])
        held = np.concatenate([s[column].to_numpy(object), leave["Resource"].to_numpy(object)])
        codes = overlaps.resource_codes(held)
        starts = np.concatenate([first, leave["first"].to_numpy("int64")])
        ends = np.concatenate([last, leave["last"].to_numpy("int64")])
        a, b = overlaps.overlap_pairs(codes, starts, ends)
        mixed = (a < len(s)) != (b < len(s))
        a, b = a[mixed], b[mixed]
        session, row = np.where(a < len(s), a, b), np.where(a < len(s), b, a) - len(s)
        common_first, common_last = overlaps.common_days(starts, ends, session, row + len(s))
        resource = s[column].to_numpy(object)[session]
        days = common_last - common_first + 1
        reason = leave["Reason"].to_numpy(object)[row]
        detail = _text(resource, " unavailable (", np.where(reason == "", "Unavailability", reason), ") on ", days,
                       " day(s) of ", s["SessionId"].to_numpy(object)[session])
        parts.append(_frame(LEAVE_CLASH, resource, s["SessionId"].to_numpy(object)[session], None,
                            common_first, common_last, days, detail))
    return pd.concat(parts, ignore_index=True)


def conflicts(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], sessions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every conflict of the plan as the Conflicts table, ordered by kind (schema order), resource, first day.

    ``sessions`` is the Sessions table with its calculated columns (computed
    with :func:`ilt_xl.core.sessions.session_table` when omitted).
    """
    if sessions is None:
        sessions = session_table(tables, settings)
    parts = [
        double_bookings(sessions, "InstructorId", INSTRUCTOR_DOUBLE),
        double_bookings(sessions, "RoomId", ROOM_DOUBLE),
        equipment_over_quantity(sessions, tables["Equipment"]),
        skill_mismatches(sessions, tables["Courses"], tables["Instructors"]),
        capacity_problems(sessions, tables["Rooms"]),
        over_available_days(sessions, tables["Instructors"], settings),
        leave_clashes(sessions, tables.get("Unavailability")),
    ]
    out = pd.concat(parts, ignore_index=True)
    kind_order = out["Kind"].map({k: i for i, k in enumerate(CONFLICT_KINDS)})
    order = np.lexsort((out["SessionA"].astype(str), out["FirstDay"].to_numpy(), out["Resource"].astype(str), kind_order))
    return out.iloc[order].reset_index(drop=True)


def leave_weekdays_by_year(unavailability: pd.DataFrame | None, start_month: int = 1) -> pd.Series:
    """Weekdays (Mon-Fri) each resource is unavailable per (fiscal) year: index (lower-case id, Year).

    Overlapping Unavailability rows of a resource count their common days once.
    """
    leave = leave_days(unavailability)
    first = EPOCH + leave["first"].to_numpy("int64").astype("timedelta64[D]")
    last = EPOCH + leave["last"].to_numpy("int64").astype("timedelta64[D]")
    length = (last - first).astype("int64") + 1
    row = np.repeat(np.arange(len(leave)), length)
    day = first[row] + (np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length)).astype("timedelta64[D]")
    days = pd.DataFrame({"key": id_key(leave["Resource"]).to_numpy(object)[row], "day": day})
    days = days[np.is_busday(days["day"].to_numpy("datetime64[D]"))].drop_duplicates()
    years = fiscal_year(days["day"].to_numpy("datetime64[D]"), start_month)
    return days.groupby([days["key"].to_numpy(object), years]).size().astype("float64").rename_axis(["key", "Year"])


def instructor_utilisation(
    sessions: pd.DataFrame,
    instructors: pd.DataFrame,
    settings: Mapping[str, object],
    statuses: tuple[str, ...] = ("Delivered",),
    start_month: int = 1,
    years: list[int] | None = None,
    unavailability: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Training days / available days per instructor and (fiscal) year.

    Counts the days of sessions whose Status is in ``statuses`` (delivered
    training days by default). Rows: every instructor for every year of
    ``years`` (default: the years with such days); columns InstructorId, Year,
    TrainingDays, AvailableDays, Utilisation (NaN for 0 available days).
    AvailableDays is AvailableDaysPerYear less the weekdays of the instructor's
    ``unavailability`` rows (leave) in that year, never below 0.
    """
    counted = sessions[_status_in(sessions, statuses)]
    pieces = booked_days_by_year(counted.reset_index(drop=True), "InstructorId", start_month)
    days = pieces.groupby(["key", "Year"])["Days"].sum()
    available = available_days(instructors, settings)
    years = sorted(pieces["Year"].unique()) if years is None else list(years)
    grid = pd.MultiIndex.from_product([available.index, years], names=["key", "Year"])
    out = pd.DataFrame(index=grid).reset_index()
    out["TrainingDays"] = days.reindex(grid, fill_value=0).to_numpy("float64")
    leave = leave_weekdays_by_year(unavailability, start_month).reindex(pd.MultiIndex.from_frame(out[["key", "Year"]]))
    out["AvailableDays"] = np.maximum(available.reindex(out["key"]).to_numpy("float64") - leave.fillna(0).to_numpy(), 0)
    ids = pd.Series(instructors["InstructorId"].to_numpy(object), index=id_key(instructors["InstructorId"]).to_numpy())
    out.insert(0, "InstructorId", ids[~ids.index.duplicated()].reindex(out["key"]).to_numpy(object))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["Utilisation"] = np.where(out["AvailableDays"] > 0, out["TrainingDays"] / out["AvailableDays"], np.nan)
    return out.drop(columns="key")


def room_utilisation(
    sessions: pd.DataFrame,
    rooms: pd.DataFrame,
    statuses: tuple[str, ...] = ("Delivered",),
    start_month: int = 1,
    years: list[int] | None = None,
    unavailability: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Booked days / working days per room and (fiscal) year.

    Booked days are the days of sessions whose Status is in ``statuses``;
    working days are Mon-Fri minus the room country's public holidays in that
    year, less the weekdays the room is closed (its ``unavailability`` rows). Rows: every room for every year of ``years`` (default: the years with
    such days); columns RoomId, Year, BookedDays, WorkingDays, Utilisation.
    """
    counted = sessions[_status_in(sessions, statuses)]
    pieces = booked_days_by_year(counted.reset_index(drop=True), "RoomId", start_month)
    days = pieces.groupby(["key", "Year"])["Days"].sum()
    unique_rooms = rooms.assign(key=id_key(rooms["RoomId"])).drop_duplicates("key")
    years = np.array(sorted(pieces["Year"].unique()) if years is None else list(years), dtype="int64")
    grid = pd.MultiIndex.from_product([unique_rooms["key"], years], names=["key", "Year"])
    out = pd.DataFrame(index=grid).reset_index()
    out.insert(0, "RoomId", unique_rooms.set_index("key")["RoomId"].reindex(out["key"]).to_numpy(object))
    out["BookedDays"] = days.reindex(grid, fill_value=0).to_numpy("float64")
    country = unique_rooms.set_index("key")["Country"].reindex(out["key"]).fillna("").to_numpy(object)
    year = out["Year"].to_numpy("int64")
    out["WorkingDays"], _ = working_days(year_start(year, start_month), year_end(year, start_month), country)
    closed = leave_weekdays_by_year(unavailability, start_month).reindex(pd.MultiIndex.from_frame(out[["key", "Year"]]))
    out["WorkingDays"] = np.maximum(out["WorkingDays"] - closed.fillna(0).to_numpy(), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["Utilisation"] = np.where(out["WorkingDays"] > 0, out["BookedDays"] / out["WorkingDays"], np.nan)
    return out.drop(columns="key")
