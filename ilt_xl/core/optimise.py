"""Propose who teaches, where and when: instructors, rooms and start dates for Planned sessions, by MILP.

:func:`optimise` reads the planner's tables (as :mod:`ilt_xl.core.sessions` does) and
returns a :class:`Result` whose ``proposals`` are rows of the Proposals table.

What may change. Only Planned sessions in scope (``planned``: starting on or after
AsOfDate; ``all-open``: every Planned session): their instructor, their room (a
session at an external venue, with no RoomId, keeps its venue) and, with
``move_days`` N, their start date by up to N working days (Mon-Fri minus the
session country's holidays) either way, never before AsOfDate and keeping the
session's length and working-day count. Confirmed and Delivered sessions are
locked: they keep everything and hold their instructor, room and equipment.

Rules (hard). An instructor is a candidate for a session on given dates when they
have the course's skill, are not on leave (Unavailability) nor booked by a locked
session on any of its days, and the days fit what is left of their available days
in each calendar year (AvailableDaysPerYear, else DefaultAvailableDays, less the
locked sessions' days). A room is a candidate when it is in the session's country,
seats the expected headcount (the larger of Registered and ForecastLearners, and
CapacityOverride when given), is not closed nor booked by a locked session. Among
the sessions being planned, an instructor or a room holds one session a day, and
with moved dates an equipment pool never exceeds its quantity.

Cost, in the reporting currency (rates of :func:`ilt_xl.core.fx.rates` at each
session's rate date, as CostReporting converts it): instructor day rate x days,
plus travel when the instructor's home country is not the session's (the
TravelCosts row of the session's country, else the DefaultTravelCost setting),
plus room day rate x days. The current instructor and room cost what the session
costs today (InstructorCost and RoomCost, so an entered fee stays). ``cost``
minimises the total; ``balance`` minimises the spread of utilisation (each
instructor's booked days / available days per year, against the year's average),
cost breaking ties.

The model (``scipy.optimize.milp``, HiGHS) is built with sparse matrices: a binary
per (date option, candidate instructor), per (date option, candidate room) and
per date option, and a slack per session whose big cost makes staffing a session
always worth more than any saving. Sessions with no candidate at all (and those a
first solve could not staff) keep their current assignment, are treated as
locked, and are reported with the reason (:attr:`Result.unstaffable`).

Day rates are the ones valid on each date option's start (the Rates history, :mod:`ilt_xl.core.rates`), as the
workbook charges them. A cost model with more than ``_DECOMPOSE_ABOVE`` candidate pairs is solved block by block
(:mod:`ilt_xl.core.decompose`): a plan always, and a gap proven by the LP relaxation's bound.

Candidates are lists of (date option, resource) pairs, never an options x resources grid: each option's skill joined
to the instructors having it, its country to the rooms there, the day rules checked per pair through each resource's
cumulative booked days. Their number grows with sessions x resources of the same skill or country, so with the
square of a planner's size: above :data:`MAX_PAIRS` (the model would not fit in 2 GB) :func:`optimise` raises
:class:`TooLarge` before building it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ilt_xl.core import decompose, fx, rates
from ilt_xl.core.calendar import working_days, workday
from ilt_xl.core.resources import EPOCH, available_days, leave_days
from ilt_xl.core.sessions import id_key, session_table, setting
from ilt_xl.schema.planner import PROPOSALS

SCOPES = ("planned", "all-open")
OBJECTIVES = ("cost", "balance")
ASSIGN = "Assign"
PROPOSED, INFEASIBLE = "Proposed", "Infeasible"


@dataclass(frozen=True)
class Options:
    """How to optimise: see the module docstring. ``gap`` is HiGHS' relative MIP gap at which it stops."""

    scope: str = "planned"
    objective: str = "cost"
    time_limit: float = 60.0
    move_days: int = 0
    gap: float = 1e-4
    decompose: bool | None = None   # solve block by block (ilt_xl.core.decompose); None: when the model is large

    def __post_init__(self) -> None:
        if self.decompose and self.objective != "cost":
            raise ValueError("only the cost objective can be solved block by block")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {self.scope!r}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {self.objective!r}")
        if not self.time_limit > 0:
            raise ValueError(f"the time limit must be a positive number of seconds, not {self.time_limit!r}")
        if self.move_days < 0:
            raise ValueError(f"move-days must be 0 or more, not {self.move_days!r}")


@dataclass
class Result:
    """What :func:`optimise` found.

    ``proposals``: Proposals rows (one per session that changes, and one per session
    that cannot be staffed, Outcome Infeasible). ``cost_before``/``cost_after``: the
    modelled cost of the sessions in scope now and with every proposal applied.
    ``status``: "optimal", "time limit" (the best plan found; ``gap`` says how far
    from optimal it may be), "decomposed" (a large model solved block by block, ``blocks``
    of them: the plan is feasible and ``gap`` is proven by the LP bound, see
    :mod:`ilt_xl.core.decompose`), "nothing to plan" or "no plan found in the time limit".
    """

    proposals: pd.DataFrame
    status: str
    gap: float | None
    seconds: float
    sessions: int
    cost_before: float
    cost_after: float
    unstaffable: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["SessionId", "Reason"]))
    variables: int = 0
    constraints: int = 0
    blocks: int = 1

    @property
    def saving(self) -> float:
        return round(self.cost_before - self.cost_after, 2)


# ----------------------------------------------------------------------------- inputs


def _text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy(object)


def _days(values: pd.Series) -> np.ndarray:
    """Epoch day numbers; missing dates as a very negative number."""
    d = pd.to_datetime(values, errors="coerce").to_numpy("datetime64[D]")
    return np.where(np.isnat(d), np.iinfo("int64").min // 4, d.astype("int64"))


def _number(values: pd.Series, fill: float = np.nan) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").fillna(fill).to_numpy("float64")


def _index_of(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each key in ``ids`` (case-insensitive, first wins); -1 when absent or blank."""
    lower = pd.Index(pd.Series(ids, dtype=object).str.lower())
    first = ~lower.duplicated()
    positions = pd.Series(np.flatnonzero(first), index=lower[first])
    found = pd.Series(keys, dtype=object).str.lower().map(positions)
    return found.fillna(-1).to_numpy("int64")


def at(values: np.ndarray, index: np.ndarray, missing) -> np.ndarray:
    """``values[index]``, with ``missing`` where the index is -1 (no such resource), even when ``values`` is empty."""
    return np.append(np.asarray(values), np.asarray([missing], dtype=np.asarray(values).dtype))[index]


def _to_reporting(currencies: np.ndarray, dates: np.ndarray, reporting: str, manual) -> np.ndarray:
    """Units of the reporting currency per unit of each currency at each date (NaN where no rate)."""
    out = np.full(len(currencies), np.nan)
    if len(currencies):
        used = fx.rates(np.asarray(currencies, dtype=object), reporting, dates, manual)
        out = np.where(used.ok, used.rate, np.nan)
    return out


@dataclass
class _Plan:
    """Everything the model needs, as arrays over sessions (s), instructors (i) and rooms (r)."""

    ids: np.ndarray
    first: np.ndarray
    last: np.ndarray
    live: np.ndarray
    movable: np.ndarray
    country: np.ndarray
    need: np.ndarray            # seats needed
    skill: np.ndarray           # course skill, lower case
    cur_i: np.ndarray
    cur_r: np.ndarray
    has_room: np.ndarray
    rate_date: np.ndarray
    session_rate: np.ndarray    # reporting per session currency
    instructor_cost_now: np.ndarray   # reporting currency
    room_cost_now: np.ndarray
    travel: np.ndarray          # reporting currency, per session country
    units: np.ndarray
    pool: np.ndarray
    i_ids: np.ndarray
    i_skills: list
    i_rate: np.ndarray          # day rate, instructor currency
    i_ccy: np.ndarray
    i_home: np.ndarray
    i_available: np.ndarray
    r_ids: np.ndarray
    r_country: np.ndarray
    r_capacity: np.ndarray
    r_rate: np.ndarray
    r_ccy: np.ndarray
    r_site: np.ndarray
    e_quantity: np.ndarray
    leave_i: pd.DataFrame
    leave_r: pd.DataFrame
    reporting: str
    manual: object
    rates: pd.DataFrame | None  # the Rates history (effective-dated day rates)
    as_of: int


def _prepare(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], options: Options) -> _Plan:
    s = session_table(tables, settings).reset_index(drop=True)
    status = pd.Series(_text(s["Status"])).str.lower().to_numpy(object)
    first, last = _days(s["StartDate"]), _days(s["EndDate"])
    valid = last >= first
    live = (status != "cancelled") & valid
    as_of = int(np.datetime64(pd.Timestamp(setting(settings, "AsOfDate")).date(), "D").astype("int64"))
    movable = (status == "planned") & valid
    if options.scope == "planned":
        movable &= first >= as_of
    instructors, rooms = tables["Instructors"], tables["Rooms"]
    courses = tables["Courses"]
    skill = pd.Series(_text(s["CourseId"])).str.lower().map(
        pd.Series(_text(courses["Skill"]), index=pd.Series(_text(courses["CourseId"])).str.lower()).str.lower()
        .groupby(level=0).first()).fillna("").to_numpy(object)
    reporting = str(setting(settings, "ReportingCurrency"))
    manual = tables.get("FX")
    manual = manual if manual is not None and len(manual) else None
    if str(setting(settings, "FxDatePolicy")).strip().lower() == "budgetratedate" and settings.get("BudgetRateDate") is not None:
        rate_date = np.full(len(s), np.datetime64(pd.Timestamp(settings["BudgetRateDate"]).date(), "D"))
    else:
        rate_date = s["StartDate"].to_numpy("datetime64[D]")
    session_rate = _to_reporting(_text(s["Currency"]), rate_date, reporting, manual)
    country = pd.Series(_text(s["Country"])).str.upper().to_numpy(object)
    travel = _travel(tables.get("TravelCosts"), settings, country, rate_date, reporting, manual)
    cur_i = _index_of(_text(s["InstructorId"]), _text(instructors["InstructorId"]))
    cur_r = _index_of(_text(s["RoomId"]), _text(rooms["RoomId"]))
    i_home = pd.Series(_text(instructors["HomeCountry"])).str.upper().to_numpy(object)
    home_now = at(i_home, cur_i, "")
    travels_now = (home_now != "") & (home_now != country)
    need = np.maximum(_number(s["Registered"], 0), _number(s["ForecastLearners"], 0))
    need = np.maximum(need, _number(s["CapacityOverride"], 0))
    equipment = tables["Equipment"]
    pool = _index_of(_text(s["EquipmentId"]), _text(equipment["EquipmentId"]))
    leave = leave_days(tables.get("Unavailability"))
    return _Plan(
        ids=_text(s["SessionId"]), first=first, last=last, live=live, movable=movable, country=country,
        need=need, skill=skill, cur_i=cur_i, cur_r=cur_r, has_room=_text(s["RoomId"]) != "", rate_date=rate_date,
        session_rate=session_rate,
        instructor_cost_now=np.nan_to_num(_number(s["InstructorCost"], 0) * session_rate) + np.where(travels_now, travel, 0),
        room_cost_now=np.nan_to_num(_number(s["RoomCost"], 0) * session_rate),
        travel=travel, units=_number(s["EquipmentUnits"], 0), pool=pool,
        i_ids=_text(instructors["InstructorId"]),
        i_skills=[{k.strip() for k in x.lower().split(",") if k.strip()} for x in _text(instructors["Skills"])],
        i_rate=_number(instructors["DayRate"], 0), i_ccy=_text(instructors["Currency"]), i_home=i_home,
        i_available=available_days(instructors, settings).reindex(id_key(instructors["InstructorId"]).to_numpy()).to_numpy("float64"),
        r_ids=_text(rooms["RoomId"]), r_country=pd.Series(_text(rooms["Country"])).str.upper().to_numpy(object),
        r_capacity=_number(rooms["Capacity"], 0), r_rate=_number(rooms["DayRate"], 0), r_ccy=_text(rooms["Currency"]),
        r_site=_text(rooms["Site"]), e_quantity=_number(equipment["Quantity"], 0),
        leave_i=leave.assign(index=_index_of(leave["Resource"].to_numpy(object), _text(instructors["InstructorId"]))),
        leave_r=leave.assign(index=_index_of(leave["Resource"].to_numpy(object), _text(rooms["RoomId"]))),
        reporting=reporting, manual=manual, as_of=as_of, rates=tables.get("Rates"),
    )


def _travel(travel_costs, settings, country, rate_date, reporting, manual) -> np.ndarray:
    """Travel cost of each session (reporting currency) for an instructor from another country."""
    default = float(setting(settings, "DefaultTravelCost"))
    out = np.full(len(country), default)
    if travel_costs is None or travel_costs.empty:
        return out
    table = travel_costs.assign(_key=pd.Series(_text(travel_costs["Country"]), index=travel_costs.index).str.upper())
    table = table.drop_duplicates("_key").set_index("_key")
    row = table.index.get_indexer(country)
    has = row >= 0
    cost = _number(table["Cost"], np.nan)[row[has]]
    rate = _to_reporting(_text(table["Currency"])[row[has]], rate_date[has], reporting, manual)
    converted = cost * rate
    out[np.flatnonzero(has)] = np.where(np.isnan(converted), default, converted)
    return out


# ----------------------------------------------------------------------------- candidates


def _occupancy(n: int, lo: int, width: int, who: np.ndarray, first: np.ndarray, last: np.ndarray,
               weight: np.ndarray | None = None) -> np.ndarray:
    """Cumulative day occupancy per resource over days lo..lo+width-1: shape (n, width + 1), leading zero.

    Booking k holds resource ``who[k]`` (weighted; unweighted, whole days counted as int32) from first[k] to
    last[k]; parts outside the window are cut. Resources x days: a few thousand x a few hundred, whatever the plan.
    """
    cum = np.zeros((n, width + 1), dtype="int32" if weight is None else "float64")
    ok = (who >= 0) & (last >= lo) & (first <= lo + width - 1)
    a = np.clip(first[ok] - lo, 0, width)
    b = np.clip(last[ok] - lo + 1, 0, width)
    w = np.ones(ok.sum(), dtype=cum.dtype) if weight is None else weight[ok]
    # Difference array one column to the right (+w on the first day, -w after the last), then two running sums
    # in place: the days booked, then their cumulative count.
    np.add.at(cum, (who[ok], a + 1), w)
    within = b < width
    np.add.at(cum, (who[ok][within], b[within] + 1), -w[within])
    np.cumsum(cum, axis=1, out=cum)
    np.cumsum(cum, axis=1, out=cum)
    return cum


def _held(cum: np.ndarray, lo: int, who: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Days resource ``who[k]`` is held from first[k] to last[k] (pair by pair): from :func:`_occupancy`."""
    return cum[who, last - lo + 1] - cum[who, first - lo]


@dataclass
class _Options:
    """Date options: session, working-day offset, first and last day."""

    session: np.ndarray
    offset: np.ndarray
    first: np.ndarray
    last: np.ndarray


def _date_options(p: _Plan, sessions: np.ndarray, move_days: int) -> _Options:
    offsets = np.arange(-move_days, move_days + 1)
    session = np.repeat(sessions, len(offsets))
    offset = np.tile(offsets, len(sessions))
    first0 = (EPOCH + p.first[session].astype("timedelta64[D]"))
    last0 = (EPOCH + p.last[session].astype("timedelta64[D]"))
    moved, _ = workday(first0, offset, p.country[session])
    new_first = np.where(offset == 0, first0, moved)
    new_last = new_first + (last0 - first0)
    keep = offset == 0
    if move_days:
        before, _ = working_days(first0, last0, p.country[session])
        after, _ = working_days(new_first, new_last, p.country[session])
        keep |= ~np.isnat(new_first) & (before == after) & (new_first.astype("int64") >= p.as_of)
    return _Options(session[keep], offset[keep], new_first[keep].astype("int64"), new_last[keep].astype("int64"))


class TooLarge(ValueError):
    """The model would not fit in memory (see :data:`MAX_PAIRS`): raised before anything is written."""


# Candidate (date option, instructor or room) pairs above which the model is refused: each pair is a variable with a
# few nonzeros in each of its rows (its option, each of its days, its instructor's year), which HiGHS, the block
# decomposition and the arrays building them hold several times over. Measured on the 20,000-session example: 640 MB
# above the planner held for 419,748 pairs, 1,548 MB for 1,060,843 (--move-days 1, 1,759 MB in all, as before the
# pairs were lists): 1.5-1.6 kB a pair. So the limit keeps that run, and leaves 300-400 MB for the planner held.
MAX_PAIRS = 1_100_000
# Pairs made and filtered at a time: the peak of building the candidates, whatever the plan's size.
_CHUNK_PAIRS = 1 << 20


@dataclass
class _Candidates:
    """Candidate (date option, resource) pairs, sorted by option then resource, each with its cost in the reporting
    currency (the current resource: what the session costs today); what the rules need of the resources; and what
    :func:`_why` needs to explain an option without any candidate."""

    i_option: np.ndarray        # instructor pairs: option, instructor, cost
    i_who: np.ndarray
    i_cost: np.ndarray
    r_option: np.ndarray        # room pairs: option, room, cost
    r_who: np.ndarray
    r_cost: np.ndarray
    cap: np.ndarray             # remaining available days (instructors x years)
    years: np.ndarray
    year_days: np.ndarray       # option days per year (options x years)
    lo: int
    width: int
    locked_units: np.ndarray    # cumulative equipment units of locked sessions (pools x days)
    leave_i: np.ndarray         # cumulative days on leave, and booked by locked sessions (instructors x days)
    busy_i: np.ndarray
    by_skill: dict              # skill -> the instructors having it (ascending)
    any_i: np.ndarray           # per option: has a candidate instructor
    any_r: np.ndarray           # per option: has a candidate room

    @property
    def pairs(self) -> int:
        return len(self.i_option) + len(self.r_option)


def _year_of(days: np.ndarray) -> np.ndarray:
    return (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[Y]").astype("int64") + 1970


def _candidates(p: _Plan, o: _Options, locked: np.ndarray) -> _Candidates:
    """The candidate pairs of every option, as lists: each option's course skill joined to the instructors having
    it, its country to the rooms there seating its headcount, then the day rules checked pair by pair; built a
    chunk of options at a time, so nothing is ever options x resources. Over :data:`MAX_PAIRS`: :class:`TooLarge`."""
    lo = int(o.first.min())
    width = int(o.last.max()) - lo + 1
    locked_rows = np.flatnonzero(locked)
    n_i, n_r = len(p.i_ids), len(p.r_ids)

    busy_i = _occupancy(n_i, lo, width, p.cur_i[locked_rows], p.first[locked_rows], p.last[locked_rows])
    leave_i = _occupancy(n_i, lo, width, p.leave_i["index"].to_numpy(), p.leave_i["first"].to_numpy(), p.leave_i["last"].to_numpy())
    # A room is taken on a day it is booked by a locked session or closed: one count for both.
    taken_r = _occupancy(n_r, lo, width, np.concatenate([p.cur_r[locked_rows], p.leave_r["index"].to_numpy()]),
                         np.concatenate([p.first[locked_rows], p.leave_r["first"].to_numpy()]),
                         np.concatenate([p.last[locked_rows], p.leave_r["last"].to_numpy()]))
    locked_units = _occupancy(len(p.e_quantity), lo, width, p.pool[locked_rows], p.first[locked_rows], p.last[locked_rows],
                              p.units[locked_rows])

    # Available days per calendar year, less what locked sessions use.
    years = np.arange(_year_of(o.first).min(), _year_of(o.last).max() + 1)
    starts = (np.array([f"{y}-01-01" for y in years], dtype="datetime64[D]").astype("int64"))
    year_days = np.clip(np.minimum(o.last[:, None], starts[None, :] + _year_length(years)[None, :] - 1)
                        - np.maximum(o.first[:, None], starts[None, :]) + 1, 0, None)
    used = np.zeros((n_i, len(years)))
    lr = locked_rows[p.cur_i[locked_rows] >= 0]
    for k, y in enumerate(years):
        days = np.clip(np.minimum(p.last[lr], starts[k] + _year_length(years)[k] - 1) - np.maximum(p.first[lr], starts[k]) + 1, 0, None)
        used[:, k] = np.bincount(p.cur_i[lr], weights=days, minlength=n_i)
    cap = p.i_available[:, None] - used

    # Who could hold each option before the day rules: instructors grouped by skill, rooms by country and seats.
    by_skill = _skill_groups(p)
    members = np.concatenate([np.zeros(0, dtype="int64")] + list(by_skill.values()))
    sizes = np.array([len(m) for m in by_skill.values()] + [0], dtype="int64")
    group = pd.Index(list(by_skill)).get_indexer(p.skill[o.session])      # -1: a skill nobody has, or none
    i_count, i_start = sizes[group], (np.cumsum(sizes) - sizes)[group]
    r_order, r_start, r_count = _rooms_seating(p, o)

    days = (o.last - o.first + 1).astype("float64")
    i_rates = _Rates(p, o, "Instructor", p.i_ids, p.i_rate, p.i_ccy)
    r_rates = _Rates(p, o, "Room", p.r_ids, p.r_rate, p.r_ccy)
    found: list[tuple] = []
    total = 0
    for a, b in _chunks(i_count + r_count, _CHUNK_PAIRS):
        po, who = _expand(np.arange(a, b), i_start[a:b], i_count[a:b])
        who = members[who]
        s = o.session[po]
        free = ~(_held(leave_i, lo, who, o.first[po], o.last[po]) > 0) & ~(_held(busy_i, lo, who, o.first[po], o.last[po]) > 0)
        free &= ~(year_days[po] > cap[who]).any(axis=1)
        cost = i_rates.of(po, who) * days[po]
        travels = (p.i_home[who] != "") & (p.i_home[who] != p.country[s])
        cost = cost + np.where(travels, p.travel[s], 0.0)
        instructors = _kept(free & ~np.isnan(cost), po, who, cost, p.cur_i, p.instructor_cost_now, o)

        po, at_ = _expand(np.arange(a, b), r_start[a:b], r_count[a:b])
        who = r_order[at_]
        # Back to room order within each option (seats order above).
        order = np.argsort(po * max(n_r, 1) + who, kind="stable")
        po, who = po[order], who[order]
        cost = r_rates.of(po, who) * days[po]
        free = ~(_held(taken_r, lo, who, o.first[po], o.last[po]) > 0)
        rooms = _kept(free & ~np.isnan(cost), po, who, cost, p.cur_r, p.room_cost_now, o)
        found.append(instructors + rooms)
        total += len(instructors[0]) + len(rooms[0])
        if total > MAX_PAIRS:
            raise TooLarge(_too_large(o, MAX_PAIRS, int(i_count.sum() + r_count.sum())))
    i_option, i_who, i_cost, r_option, r_who, r_cost = (np.concatenate(x) for x in zip(*found))
    n_o = len(o.session)
    return _Candidates(i_option, i_who, i_cost, r_option, r_who, r_cost, cap, years, year_days, lo, width,
                       locked_units, leave_i, busy_i, by_skill, np.bincount(i_option, minlength=n_o) > 0,
                       np.bincount(r_option, minlength=n_o) > 0)


def _too_large(o: _Options, max_pairs: int, before_rules: int) -> str:
    sessions = len(np.unique(o.session))
    return (f"{sessions:,} Planned session(s) to plan ({len(o.session):,} date option(s)) have more than {max_pairs:,} "
            f"candidate (session, instructor or room) pairs ({before_rules:,} with the skill or in the country and "
            f"seating enough, before leave and bookings): the model would not fit in 2 GB of memory. Optimise fewer "
            f"sessions at once (a planner of one year or one country, or --scope planned), or fewer dates (--move-days).")


def _skill_groups(p: _Plan) -> dict[str, np.ndarray]:
    """Skill -> the instructors having it, ascending (one pass over the repository, not over sessions)."""
    groups: dict[str, list[int]] = {}
    for i, ks in enumerate(p.i_skills):
        for k in ks:
            groups.setdefault(k, []).append(i)
    return {k: np.array(v, dtype="int64") for k, v in sorted(groups.items())}


def _rooms_seating(p: _Plan, o: _Options) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rooms ordered by (country, seats), and per option where its run starts and how long it is: the rooms in
    the option's country seating its headcount (none for a session at an external venue)."""
    country, countries = pd.factorize(p.r_country)
    order = np.lexsort((p.r_capacity, country)).astype("int64")
    at = pd.Index(countries).get_indexer(p.country[o.session])
    edge = np.searchsorted(country[order], np.arange(len(countries) + 1))
    start, count = np.zeros(len(o.session), dtype="int64"), np.zeros(len(o.session), dtype="int64")
    need = p.need[o.session]
    for k in range(len(countries)):
        mine = np.flatnonzero((at == k) & p.has_room[o.session])
        seats = p.r_capacity[order[edge[k]:edge[k + 1]]]
        start[mine] = edge[k] + np.searchsorted(seats, need[mine], side="left")
        count[mine] = edge[k + 1] - start[mine]
    return order, start, count


def _chunks(sizes: np.ndarray, most: int):
    """(first, end) of runs of consecutive items whose sizes add up to at most ``most`` (one item at least)."""
    total = np.cumsum(sizes)
    a = 0
    while a < len(sizes):
        b = int(np.searchsorted(total, (total[a - 1] if a else 0) + most, side="right"))
        yield a, max(b, a + 1)
        a = max(b, a + 1)


def _expand(items: np.ndarray, start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each item repeated ``count`` times, with the positions start, start + 1, ... of its run."""
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(items, count), np.repeat(start, count) + within


def _kept(ok, po, who, cost, current, now, o: _Options) -> tuple:
    """The candidate pairs; the resource a session holds now costs what the session costs today (an entered fee
    stays)."""
    po, who, cost = po[ok], who[ok], cost[ok]
    s = o.session[po]
    mine = who == current[s]
    cost[mine] = now[s[mine]]
    return po, who, cost


class _Rates:
    """Day rates in the reporting currency of (option, resource) pairs: the Rates row valid on the option's start
    where the resource has a history (:mod:`ilt_xl.core.rates`, as the workbook's day-rate columns), else its own
    DayRate; converted at each session's rate date."""

    def __init__(self, p: _Plan, o: _Options, kind: str, ids: np.ndarray, rate: np.ndarray, currency: np.ndarray):
        self.p, self.o, self.kind, self.ids, self.rate = p, o, kind, ids, rate
        self.codes, uniques = pd.factorize(currency)
        # Options x currencies (a handful): reporting-currency units per unit of each.
        self.by_code = np.column_stack([_to_reporting(np.full(len(o.session), ccy, dtype=object), p.rate_date[o.session],
                                                      p.reporting, p.manual) for ccy in uniques]) \
            if len(uniques) else np.zeros((len(o.session), 0))
        self.dated = None
        if p.rates is not None and not p.rates.empty and len(ids) and len(o.session):
            listed = pd.Series(_text(p.rates["ResourceId"])).str.lower()
            dated = pd.Series(ids, dtype=object).str.lower().isin(listed).to_numpy()
            self.dated = dated if dated.any() else None

    def of(self, po: np.ndarray, who: np.ndarray) -> np.ndarray:
        out = self.rate[who] * self.by_code[po, self.codes[who]]
        if self.dated is None:
            return out
        k = np.flatnonzero(self.dated[who])
        if not len(k):
            return out
        p, o = self.p, self.o
        starts = pd.Series((EPOCH + o.first[po[k]].astype("timedelta64[D]")).astype("datetime64[ns]"))
        used = rates.effective_rates(self.kind, pd.Series(self.ids[who[k]], dtype=object), starts, p.rates)
        factor = _to_reporting(used.currency, p.rate_date[o.session[po[k]]], p.reporting, p.manual)
        hit = used.from_history
        out[k[hit]] = np.nan_to_num(used.day_rate[hit], nan=0.0) * factor[hit]
        return out


def _overlapping(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """How many of the other day ranges each range shares a day with: those starting by its last day, less those
    over before its first (counted, not listed)."""
    return (np.searchsorted(np.sort(first), last, side="right") - np.searchsorted(np.sort(last), first, side="left") - 1)


def _prune(o: _Options, pair_option: np.ndarray, cost: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Which pairs to keep: per date option, the current resource and the k cheapest candidates (the lower
    resource on a tie), k = 1 + the sessions its dates could share a day with.

    Exact for the day rules: those other sessions hold at most k - 1 of the k cheapest, so an optimal plan
    that uses a dearer candidate can swap to a free cheaper one. Only an instructor's available days per
    year can make a dearer one necessary: when a solution leaves a session unstaffed or an instructor at
    that limit, :func:`optimise` solves the whole model again.
    """
    sessions = np.unique(o.session)
    envelope_first = pd.Series(o.first).groupby(o.session).min().reindex(sessions).to_numpy()
    envelope_last = pd.Series(o.last).groupby(o.session).max().reindex(sessions).to_numpy()
    k = 1 + _overlapping(envelope_first, envelope_last)[np.searchsorted(sessions, o.session)]
    # Pairs come by option then resource: a stable sort by (option, cost) ranks them within their option.
    order = np.lexsort((cost, pair_option))
    grouped = pair_option[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
    keep = np.zeros(len(pair_option), dtype=bool)
    keep[order] = rank < k[grouped]
    return keep | current


def _year_length(years: np.ndarray) -> np.ndarray:
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    return np.where(leap, 366, 365)


def _why(p: _Plan, o: _Options, c: _Candidates, session: int) -> str:
    """Why no date option of ``session`` has a candidate instructor or room (first option: the current dates)."""
    rows = np.flatnonzero(o.session == session)
    if not c.any_i[rows].any():
        k = rows[o.offset[rows] == 0][0] if (o.offset[rows] == 0).any() else rows[0]
        skilled = c.by_skill.get(p.skill[session], np.zeros(0, dtype="int64")) if p.skill[session] else np.zeros(0, dtype="int64")
        if not len(skilled):
            return f"no instructor has the skill '{p.skill[session]}'"
        parts = [f"{len(skilled)} instructor(s) have the skill '{p.skill[session]}'"]
        first, last = np.full(len(skilled), o.first[k]), np.full(len(skilled), o.last[k])
        for mask, what in ((_held(c.leave_i, c.lo, skilled, first, last) > 0, "on leave"),
                           (_held(c.busy_i, c.lo, skilled, first, last) > 0, "booked by a confirmed or delivered session"),
                           ((c.year_days[k][None, :] > c.cap[skilled]).any(axis=1), "out of available days")):
            if mask.any():
                parts.append(f"{int(mask.sum())} {what}")
        return "no skilled instructor free: " + ", ".join(parts)
    country, need = p.country[session], p.need[session]
    in_country = p.r_country == country
    if not in_country.any():
        return f"no room in {country or 'the session country'}"
    if not (in_country & (p.r_capacity >= need)).any():
        return f"no room in {country} seats {need:g} (the largest seats {p.r_capacity[in_country].max():g})"
    return f"no room in {country} seating {need:g} is free on these dates (booked or closed)"


# ----------------------------------------------------------------------------- model


def optimise(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], options: Options = Options()) -> Result:
    """Propose instructors, rooms (and dates) for the Planned sessions in scope; see the module docstring."""
    started = time.perf_counter()
    p = _prepare(tables, settings, options)
    in_scope = np.flatnonzero(p.movable)
    locked = p.live & ~p.movable
    unstaffable: dict[int, str] = {}
    solved = None
    for _ in range(4):  # fix the sessions nobody can staff, then plan the rest; rarely more than twice
        sessions = np.array([s for s in in_scope if s not in unstaffable], dtype="int64")
        if not len(sessions):
            break
        o = _date_options(p, sessions, options.move_days)
        c = _candidates(p, o, locked | np.isin(np.arange(len(p.ids)), list(unstaffable)))
        no_instructor = ~np.bincount(o.session, weights=c.any_i, minlength=len(p.ids)).astype(bool)
        no_room = p.has_room & ~np.bincount(o.session, weights=c.any_r, minlength=len(p.ids)).astype(bool)
        stuck = sessions[(no_instructor | no_room)[sessions]]
        if len(stuck):
            unstaffable.update({int(s): _why(p, o, c, s) for s in stuck})
            continue
        if _by_blocks(options, c):
            # The bound comes from the whole model's LP, so candidates are not pruned (see ilt_xl.core.decompose).
            solved = _solve(p, o, c, sessions, options, _left(options, started), prune=False, decomposed=True)
        else:
            solved = _solve(p, o, c, sessions, options, _left(options, started), prune=True)
        if solved["x"] is not None and not solved["exact"]:
            # The pruned model may have missed a plan (see _prune): the whole model, in the time left.
            whole = _solve(p, o, c, sessions, options, _left(options, started), prune=False)
            solved = whole if whole["x"] is not None else solved
        if solved["x"] is None:
            break
        slack = sessions[solved["unstaffed"]]
        if not len(slack):
            break
        # They keep their assignment, so they hold it while the others are planned again. Block by block, the
        # slack is the plan's, not a proof that no plan staffs them all.
        why = "competes with other sessions for the same few free instructors or rooms"
        if solved["blocks"] > 1:
            why += " (in the plan found block by block; a longer time limit may staff it)"
        unstaffable.update({int(s): why for s in slack})
        solved = None
    return _result(p, in_scope, unstaffable, solved, options, time.perf_counter() - started)


# Candidate (session, resource) pairs above which the cost model is solved block by block: one MILP over them all
# takes minutes (the 20,000-session example's 424,000 pairs found no plan in 60 s), its blocks a few seconds each.
# Measured on a busy 2-core machine: the 2,000-session example (4,233 pairs) is optimal in 1.6 s as one MILP; the
# 5,000-session one (26,584 pairs) takes 19-44 s as one MILP, 5.4 s block by block (gap 0.41%).
_DECOMPOSE_ABOVE = 10_000


def _by_blocks(options: Options, c: _Candidates) -> bool:
    if options.decompose is not None:
        return options.decompose
    return options.objective == "cost" and c.pairs > _DECOMPOSE_ABOVE


def _left(options: Options, started: float) -> float:
    return max(options.time_limit - (time.perf_counter() - started), 1.0)


def _rows_of(keys: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(keys)
    return codes, len(uniques)


def _solve(p: _Plan, o: _Options, c: _Candidates, sessions: np.ndarray, options: Options, time_limit: float,
           prune: bool, decomposed: bool = False) -> dict:
    """Build and solve the model; ``exact`` in the answer says whether pruning candidates (if done) was safe:
    every session staffed and no instructor at the limit of their available days."""
    n_o = len(o.session)
    keep_i, keep_r = slice(None), slice(None)
    if prune:
        keep_i = _prune(o, c.i_option, c.i_cost, c.i_who == p.cur_i[o.session[c.i_option]])
        keep_r = _prune(o, c.r_option, c.r_cost, c.r_who == p.cur_r[o.session[c.r_option]])
    oi_o, oi_i, cost_i = c.i_option[keep_i], c.i_who[keep_i], c.i_cost[keep_i]
    or_o, or_r, cost_r = c.r_option[keep_r], c.r_who[keep_r], c.r_cost[keep_r]
    current = oi_i == p.cur_i[o.session[oi_o]]
    current_r = or_r == p.cur_r[o.session[or_o]]

    n_x, n_y, n_s = len(oi_o), len(or_o), len(sessions)
    session_row = pd.Index(sessions).get_indexer(o.session)
    # Variable blocks: x (instructor pairs), y (room pairs), z (date options), u (unstaffed slack), then balance.
    x0, y0, z0, u0 = 0, n_x, n_x + n_y, n_x + n_y + n_o
    n_var = u0 + n_s
    rows, cols, vals, lb, ub = [], [], [], [], []
    n_rows = 0

    def block(r, cidx, v, low, high, count):
        nonlocal n_rows
        rows.append(np.asarray(r) + n_rows)
        cols.append(np.asarray(cidx))
        vals.append(np.asarray(v, dtype="float64"))
        lb.append(np.broadcast_to(np.asarray(low, dtype="float64"), count))
        ub.append(np.broadcast_to(np.asarray(high, dtype="float64"), count))
        n_rows += count

    # One date option per session, or the slack.
    block(np.concatenate([session_row, np.arange(n_s)]), np.concatenate([z0 + np.arange(n_o), u0 + np.arange(n_s)]),
          np.ones(n_o + n_s), 1, 1, n_s)
    # The chosen option gets one instructor, and one room when the session has one.
    block(np.concatenate([oi_o, np.arange(n_o)]), np.concatenate([x0 + np.arange(n_x), z0 + np.arange(n_o)]),
          np.concatenate([np.ones(n_x), -np.ones(n_o)]), 0, 0, n_o)
    roomed = np.flatnonzero(p.has_room[o.session])
    room_row = np.full(n_o, -1)
    room_row[roomed] = np.arange(len(roomed))
    block(np.concatenate([room_row[or_o], np.arange(len(roomed))]), np.concatenate([y0 + np.arange(n_y), z0 + roomed]),
          np.concatenate([np.ones(n_y), -np.ones(len(roomed))]), 0, 0, len(roomed))
    # One session a day per instructor and per room.
    for pair_o, resource, offset in ((oi_o, oi_i, x0), (or_o, or_r, y0)):
        length = (o.last[pair_o] - o.first[pair_o] + 1)
        pair = np.repeat(np.arange(len(pair_o)), length)
        day = o.first[pair_o][pair] + (np.arange(len(pair)) - np.repeat(np.cumsum(length) - length, length))
        key = resource[pair].astype("int64") * (c.width + 1) + (day - c.lo)
        counts = np.bincount(pd.factorize(key)[0]) if len(key) else np.zeros(0, dtype="int64")
        codes = pd.factorize(key)[0]
        shared = counts[codes] > 1
        r, n = _rows_of(key[shared])
        block(r, offset + pair[shared], np.ones(shared.sum()), -np.inf, 1, n)
    # Available days per instructor and year.
    cap_rows = []
    for k in range(len(c.years)):
        d = c.year_days[oi_o, k]
        use = d > 0
        total = np.bincount(oi_i[use], weights=d[use], minlength=len(p.i_ids))
        tight = np.flatnonzero(total > c.cap[:, k])
        if len(tight):
            pick = use & np.isin(oi_i, tight)
            r = pd.Index(tight).get_indexer(oi_i[pick])
            cap_rows.append((n_rows, len(tight)))
            block(r, x0 + np.flatnonzero(pick), d[pick], -np.inf, c.cap[tight, k], len(tight))
    # Equipment pools, when dates may move.
    if options.move_days:
        _equipment_rows(p, o, c, z0, block)

    # Ties go to what is booked now: a cent per working day moved and a tenth of a cent per resource changed, so
    # an equally cheap plan never churns bookings (too small to change which plan is cheapest by a cent).
    cost = np.concatenate([cost_i + np.where(current, 0.0, _KEEP), cost_r + np.where(current_r, 0.0, _KEEP),
                           _MOVE * np.abs(o.offset)])
    big = float(np.nanmax(np.concatenate([cost_i, cost_r, [1.0]]))) * 2 * max(n_s, 1) + 1.0
    objective = np.concatenate([cost, np.full(n_s, big)])
    integrality = np.concatenate([np.ones(n_x + n_y + n_o), np.zeros(n_s)])
    upper = np.ones(n_var)
    if options.objective == "balance":
        objective, integrality, upper = _balance(p, o, c, oi_o, oi_i, cost, objective, integrality, upper, x0, block)
        n_var = len(objective)
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_var))
    model = decompose.Model(objective, a, np.concatenate(lb), np.concatenate(ub), integrality, upper)
    out = {"x": None, "variables": n_var, "constraints": n_rows, "blocks": 1}
    if decomposed:
        coupling = np.zeros(n_rows, dtype=bool)
        for first, n in cap_rows:
            coupling[first:first + n] = True
        greedy = _greedy(model, o, p.first[o.session], p.has_room[o.session], session_row, oi_o, or_o, n_x, n_y, u0)
        by_blocks = decompose.solve_by_blocks(model, coupling, u0 + np.arange(n_s), time_limit, options.gap, greedy)
        # Optimal when the bound proves it (to the gap asked); else the best plan the blocks made, and its gap.
        out.update(status="optimal" if by_blocks.gap <= options.gap + 1e-9 else "decomposed", gap=by_blocks.gap,
                   blocks=by_blocks.blocks, bound=by_blocks.bound)
        solution = by_blocks.x
    else:
        result = milp(objective, integrality=integrality, bounds=Bounds(np.zeros(n_var), upper),
                      constraints=LinearConstraint(a, model.lb, model.ub),
                      options={"time_limit": float(time_limit), "mip_rel_gap": options.gap, "disp": False})
        out.update(status="optimal" if result.status == 0 else "time limit", gap=getattr(result, "mip_gap", None))
        solution = result.x
        if solution is None:
            return out
    v = np.round(solution).astype(bool)
    z = v[z0:z0 + n_o]
    chosen_i = np.full(n_o, -1)
    chosen_i[oi_o[v[x0:x0 + n_x]]] = oi_i[v[x0:x0 + n_x]]
    chosen_r = np.full(n_o, -1)
    chosen_r[or_o[v[y0:y0 + n_y]]] = or_r[v[y0:y0 + n_y]]
    pair_cost_i = np.zeros(n_o)
    pair_cost_i[oi_o[v[x0:x0 + n_x]]] = cost_i[v[x0:x0 + n_x]]
    pair_cost_r = np.zeros(n_o)
    pair_cost_r[or_o[v[y0:y0 + n_y]]] = cost_r[v[y0:y0 + n_y]]
    activity = a @ np.round(solution)
    upper_bound = np.concatenate(ub)
    at_limit = any((activity[first:first + n] >= upper_bound[first:first + n] - 1e-9).any() for first, n in cap_rows)
    out.update(x=solution, option=z, instructor=chosen_i, room=chosen_r, cost_i=pair_cost_i, cost_r=pair_cost_r,
               options=o, unstaffed=v[u0:u0 + n_s], sessions=sessions,
               exact=not prune or not (v[u0:u0 + n_s].any() or at_limit))
    return out


_KEEP = 0.001
_MOVE = 0.01


def _greedy(model: decompose.Model, o: _Options, starts, roomed, session_row, oi_o, or_o, n_x: int, n_y: int, u0: int):
    """A feasible plan of one block, for a block whose MILP finds none in its time: session by session in date
    order, the least-moved date option, then the cheapest instructor and room that keep every <= row (a day,
    available days, equipment) within its bound; a session with none stays unstaffed (its slack)."""
    csc = model.a.tocsc()
    inequality = np.isinf(model.lb)
    z0 = n_x + n_y
    # Candidates of each option, cheapest first.
    x_order = np.lexsort((model.c[:n_x], oi_o))
    y_order = n_x + np.lexsort((model.c[n_x:z0], or_o))
    x_start = np.searchsorted(oi_o[x_order], np.arange(len(o.session) + 1))
    y_start = np.searchsorted(or_o[y_order - n_x], np.arange(len(o.session) + 1))

    def plan(cols: np.ndarray, row_ub: np.ndarray) -> np.ndarray:
        x = np.zeros(len(model.c))
        activity = np.zeros(len(row_ub))

        def fits(var: int) -> bool:
            rows = csc.indices[csc.indptr[var]:csc.indptr[var + 1]]
            add = csc.data[csc.indptr[var]:csc.indptr[var + 1]]
            return bool((~inequality[rows] | (activity[rows] + add <= row_ub[rows] + 1e-9)).all())

        def take(*variables: int) -> None:
            for var in variables:
                rows = csc.indices[csc.indptr[var]:csc.indptr[var + 1]]
                activity[rows] += csc.data[csc.indptr[var]:csc.indptr[var + 1]]
                x[var] = 1.0

        options = cols[(cols >= z0) & (cols < u0)] - z0
        options = options[np.lexsort((np.abs(o.offset[options]), session_row[options], starts[options]))]
        done = set()
        for k in options:
            s = int(session_row[k])
            if s in done or not fits(z0 + k):
                continue
            teacher = next((v for v in x_order[x_start[k]:x_start[k + 1]] if fits(v)), None)
            rooms = y_order[y_start[k]:y_start[k + 1]]
            room = next((v for v in rooms if fits(v)), None)
            if teacher is None or (roomed[k] and room is None):
                continue
            take(z0 + k, teacher, *([room] if room is not None else []))
            done.add(s)
        staffed = np.fromiter(done, dtype="int64", count=len(done))
        slack = cols[cols >= u0]
        x[slack] = ~np.isin(slack - u0, staffed)
        return x[cols]

    return plan


def _equipment_rows(p: _Plan, o: _Options, c: _Candidates, z0: int, block) -> None:
    """Units booked per pool and day, over the options that may hold it, within what locked sessions leave."""
    has = (p.pool[o.session] >= 0) & (p.units[o.session] > 0)
    opts = np.flatnonzero(has)
    if not len(opts):
        return
    length = o.last[opts] - o.first[opts] + 1
    k = np.repeat(np.arange(len(opts)), length)
    day = o.first[opts][k] + (np.arange(len(k)) - np.repeat(np.cumsum(length) - length, length))
    pool = p.pool[o.session[opts]][k]
    units = p.units[o.session[opts]][k]
    key = pool.astype("int64") * (c.width + 1) + (day - c.lo)
    codes, uniques = pd.factorize(key)
    left = p.e_quantity[uniques // (c.width + 1)] - (
        c.locked_units[uniques // (c.width + 1), uniques % (c.width + 1) + 1] - c.locked_units[uniques // (c.width + 1), uniques % (c.width + 1)])
    # Only pool-days that options could push over their limit need a row.
    demand = np.bincount(codes, weights=units)
    tight = demand > left
    keep = tight[codes]
    r = pd.Index(np.flatnonzero(tight)).get_indexer(codes[keep])
    block(r, z0 + opts[k[keep]], units[keep], -np.inf, np.maximum(left[tight], 0), int(tight.sum()))


def _balance(p, o, c, oi_o, oi_i, cost, objective, integrality, upper, x0, block):
    """Even utilisation: sum over instructors and years of |booked days / available days - the year's average|.

    One deviation variable per (instructor with available days, year), bounded below by the utilisation's
    distance to the year's average either way; their sum, weighted above any cost, comes first.
    """
    people = np.flatnonzero(p.i_available > 0)
    avail = p.i_available[people]
    locked_days = (p.i_available[:, None] - c.cap)[people]
    weight = max(float(np.sum(np.abs(cost))), 1.0)
    dev0, n_dev = len(objective), len(people) * len(c.years)
    for k in range(len(c.years)):
        d = c.year_days[oi_o, k]
        pick = (d > 0) & np.isin(oi_i, people)
        r = pd.Index(people).get_indexer(oi_i[pick])
        planned_days = c.year_days[o.offset == 0, k].sum()
        target = (locked_days[:, k].sum() + planned_days) / avail.sum()
        dev = dev0 + k * len(people) + np.arange(len(people))
        for sign in (1.0, -1.0):
            # sign * ((locked + sum d x) / avail - target) <= dev
            block(np.concatenate([r, np.arange(len(people))]), np.concatenate([x0 + np.flatnonzero(pick), dev]),
                  np.concatenate([sign * d[pick] / avail[r], -np.ones(len(people))]),
                  -np.inf, sign * (target - locked_days[:, k] / avail), len(people))
    objective = np.concatenate([objective, np.full(n_dev, weight)])
    integrality = np.concatenate([integrality, np.zeros(n_dev)])
    upper = np.concatenate([upper, np.full(n_dev, np.inf)])
    return objective, integrality, upper


# ----------------------------------------------------------------------------- result


def _status(solved: dict | None) -> tuple[str, float | None]:
    if solved is None:
        return "nothing to plan", None
    if solved["x"] is None:
        return "no plan found in the time limit", None
    return solved["status"], solved["gap"]


def _result(p: _Plan, in_scope, unstaffable: dict[int, str], solved, options: Options, seconds: float) -> Result:
    status, gap = _status(solved)
    before = np.round(p.instructor_cost_now + p.room_cost_now, 2)
    new_i, new_r, new_first = p.cur_i.copy(), p.cur_r.copy(), p.first.copy()
    after = before.copy()
    offset = np.zeros(len(p.ids), dtype="int64")
    if solved is not None and solved["x"] is not None:
        o = solved["options"]
        pick = np.flatnonzero(solved["option"])
        s = o.session[pick]
        new_i[s] = solved["instructor"][pick]
        new_r[s] = np.where(p.has_room[s], solved["room"][pick], p.cur_r[s])
        new_first[s] = o.first[pick]
        offset[s] = o.offset[pick]
        after[s] = np.round(solved["cost_i"][pick] + np.where(p.has_room[s], solved["cost_r"][pick], p.room_cost_now[s]), 2)
    scope = np.zeros(len(p.ids), dtype=bool)
    scope[in_scope] = True
    changed = scope & ((new_i != p.cur_i) | (new_r != p.cur_r) | (new_first != p.first))
    stuck = np.array(sorted(unstaffable), dtype="int64")
    rows = np.concatenate([np.flatnonzero(changed), stuck])
    proposals = _proposal_rows(p, rows, new_i, new_r, new_first, offset, before, after, unstaffable, options)
    unstaffable_frame = pd.DataFrame({"SessionId": p.ids[stuck], "Reason": [unstaffable[s] for s in stuck]})
    return Result(
        proposals=proposals, status=status, gap=gap, seconds=seconds, sessions=len(in_scope),
        cost_before=float(np.round(before[scope].sum(), 2)), cost_after=float(np.round(after[scope].sum(), 2)),
        unstaffable=unstaffable_frame,
        variables=solved["variables"] if solved else 0, constraints=solved["constraints"] if solved else 0,
        blocks=solved["blocks"] if solved else 1,
    )


def _proposal_rows(p: _Plan, rows, new_i, new_r, new_first, offset, before, after, unstaffable, options) -> pd.DataFrame:
    def ids(repo: np.ndarray, index: np.ndarray) -> np.ndarray:
        return at(repo, index, "").astype(object)

    def dates(days: np.ndarray) -> np.ndarray:
        return (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")

    stuck = np.isin(rows, list(unstaffable))
    rule = np.array([_rule(p, s, new_i[s], new_r[s], offset[s], before[s], after[s], options) if not k
                     else "cannot be staffed, keeps its current assignment: " + unstaffable[s]
                     for s, k in zip(rows, stuck)], dtype=object)
    frame = pd.DataFrame({
        "Kind": ASSIGN,
        "SessionId": p.ids[rows],
        "CurrentInstructor": ids(p.i_ids, p.cur_i[rows]),
        "ProposedInstructor": ids(p.i_ids, new_i[rows]),
        "CurrentRoom": ids(p.r_ids, p.cur_r[rows]),
        "ProposedRoom": ids(p.r_ids, new_r[rows]),
        "CurrentStart": dates(p.first[rows]),
        "ProposedStart": dates(new_first[rows]),
        "MergeInto": "",
        "LearnersMoved": np.nan,
        "CostBefore": before[rows],
        "CostAfter": after[rows],
        "Saving": np.round(before[rows] - after[rows], 2),
        "Rule": rule,
        "Accept": np.where(stuck, "No", "Yes").astype(object),
        "Outcome": np.where(stuck, INFEASIBLE, PROPOSED).astype(object),
    }, columns=list(PROPOSALS.column_names))
    # The proposals first, by session; then the sessions that cannot be staffed.
    return frame.iloc[np.lexsort((frame["SessionId"].to_numpy(str), stuck))].reset_index(drop=True)


def _rule(p: _Plan, s: int, i: int, r: int, offset: int, before: float, after: float, options: Options) -> str:
    """What decided one proposal, in words (a few hundred rows at most: the proposals, not the sessions)."""
    parts = []
    cur = p.cur_i[s]
    if i != cur:
        who = p.i_ids[i]
        if cur < 0:
            parts.append(f"{who} staffs it")
        else:
            old = p.i_ids[cur]
            if p.skill[s] and p.skill[s] not in p.i_skills[cur]:
                parts.append(f"{old} lacks the skill '{p.skill[s]}', {who} has it")
            else:
                parts.append(f"{who} instead of {old}")
        travel_before = cur >= 0 and p.i_home[cur] not in ("", p.country[s])
        travel_after = p.i_home[i] not in ("", p.country[s])
        if travel_before and not travel_after:
            parts.append(f"no travel ({who} is based in {p.country[s]})")
        elif travel_after and not travel_before:
            parts.append(f"travel from {p.i_home[i]}")
    if r != p.cur_r[s]:
        seats = f"{p.r_capacity[r]:g} seats for {p.need[s]:g}"
        if p.cur_r[s] >= 0 and p.r_capacity[p.cur_r[s]] < p.need[s]:
            parts.append(f"room {p.r_ids[r]} ({seats}; {p.r_ids[p.cur_r[s]]} is too small)")
        else:
            parts.append(f"room {p.r_ids[r]} ({seats})" + (f" instead of {p.r_ids[p.cur_r[s]]}" if p.cur_r[s] >= 0 else ""))
    if offset:
        parts.append(f"starts {abs(offset)} working day(s) {'later' if offset > 0 else 'earlier'}")
    goal = "evens utilisation" if options.objective == "balance" else "lowest total cost"
    if after < before:
        goal += f", saves {before - after:,.2f} {p.reporting}"
    elif after > before:
        why = "" if options.objective == "balance" else " to free or fix a booking"
        goal += f", costs {after - before:,.2f} {p.reporting} more{why}"
    return "; ".join(parts + [goal])
