"""A realistic, deterministic example planner: resources, sessions, enrolments, FX, budgets.

``make_example(sessions, seed)`` draws everything from one numpy generator, column by column,
so the same arguments always give the same tables (20,000 sessions in about a second). The
as-of date is fixed (:data:`AS_OF`), so the committed example never goes stale: sessions
starting before it are Delivered or Cancelled, later ones Planned or Confirmed.

Scheduling draws distinct (instructor, week) slots, so an instructor teaches at most one
session a week, and rooms are dealt out within each week, so accidental double bookings do not
happen; a handful of deliberate conflicts are then planted (see :func:`_plant_conflicts`).
The tables the allocate, budget, conflicts and checklist commands write are filled too, with the core
functions those commands use, so the example shows what a planner in use looks like: the
checklist covers the sessions starting from three weeks before to six weeks after the as-of
date, with the tasks due before it done, except every fifth (left open, so overdue). 2023-2025 are
closed (:data:`CLOSED_THROUGH`, frozen by the close command's own code path), and the Rates tab raises
an instructor's day rate mid-2025 and in 2026 (:data:`RATE_CHANGES`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ilt_xl.core import checklists
from ilt_xl.core.fx import ECB_ROW_SOURCE
from ilt_xl.core.plan import budget_table
from ilt_xl.core.resources import conflicts
from ilt_xl.core.periods import STORED
from ilt_xl.core.sessions import session_table_with_errors
from ilt_xl.workbook.closing import closed_tables
from ilt_xl.workbook.macros import allocation_rows, fx_rows, holiday_rows

AS_OF = dt.date(2026, 6, 15)
CLOSED_THROUGH, CLOSED_ON = dt.date(2025, 12, 31), dt.date(2026, 1, 9)
FIRST_MONDAY = np.datetime64("2023-01-02")
LAST_DAY = np.datetime64("2026-12-31")
DEFAULT_SESSIONS = 600
DEFAULT_SEED = 2026

# Units of each currency per 1 EUR, by year: the plausible rates money is converted at.
RATES = {
    "EUR": (1.0, 1.0, 1.0, 1.0),
    "USD": (1.08, 1.08, 1.05, 1.10),
    "GBP": (0.87, 0.85, 0.84, 0.86),
    "CHF": (0.97, 0.95, 0.94, 0.93),
    "ZAR": (19.9, 19.8, 20.4, 20.6),
}
YEARS = (2023, 2024, 2025, 2026)
# Sessions a month, relative: quiet in August and at Christmas, busy in spring and autumn.
SEASON = (1.0, 1.15, 1.2, 1.1, 1.1, 1.0, 0.7, 0.15, 1.2, 1.25, 1.15, 0.4)
# Yearly growth of the courses of a skill (others stay roughly flat).
GROWTH = {"Data": 0.25, "Cloud": 0.3, "Leadership": 0.08, "Negotiation": -0.1}
# Courses launched after the first year: title -> month index (0 = January of the first year).
LAUNCHED = {"Cloud Security": 20, "SQL Basics": 26}

# Country -> (currency, sites).
COUNTRIES = {
    "DE": ("EUR", ("Berlin Campus", "Munich Office")),
    "FR": ("EUR", ("Paris La Defense",)),
    "GB": ("GBP", ("London City",)),
    "US": ("USD", ("New York Midtown", "Chicago Loop")),
    "CH": ("CHF", ("Zurich Oerlikon",)),
    "ZA": ("ZAR", ("Johannesburg Sandton",)),
}
# Sites in a country with several time zones name theirs (calendars need it); elsewhere the
# country's one zone is used.
SITE_ZONES = {"New York Midtown": "America/New_York", "Chicago Loop": "America/Chicago"}
BUSINESS_UNITS = (
    ("SALES", "Sales", "CC-1100"), ("OPS", "Operations", "CC-1200"), ("FIN", "Finance", "CC-1300"),
    ("HR", "People & Culture", "CC-1400"), ("RND", "Research & Development", "CC-1500"),
    ("IT", "Information Technology", "CC-1600"),
)
# Skill -> course titles.
CATALOGUE = {
    "Leadership": ("Leading Teams", "Coaching Conversations", "Leading Change"),
    "Negotiation": ("Negotiation Essentials", "Key Account Negotiation"),
    "ProjectMgmt": ("Project Management Fundamentals", "Agile Delivery", "Risk Management"),
    "Safety": ("Workplace Safety", "First Aid at Work"),
    "Finance": ("Finance for Non-Financial Managers", "Budgeting and Forecasting"),
    "Data": ("Excel for Analysts", "Data Visualisation", "SQL Basics"),
    "Cloud": ("Cloud Foundations", "Cloud Security"),
    "Communication": ("Presentation Skills", "Business Writing", "Facilitation"),
    "Compliance": ("Anti-Bribery and Compliance", "Data Protection Essentials"),
    "Sales": ("Consultative Selling", "Sales Pipeline Management"),
}
EQUIPMENT = (
    ("EQ-LAP", "Laptop pool", 24, 15.0), ("EQ-VR", "VR headset kit", 6, 40.0),
    ("EQ-SIM", "Driving simulator", 2, 350.0), ("EQ-PROJ", "Portable projector", 8, 10.0),
    ("EQ-AED", "First-aid training kit (AED)", 10, 25.0),
)
CHECKLIST_TASKS = (
    ("T01", "Book room or venue", "Before", "Start", -20, "Facilities", ""),
    ("T02", "Confirm instructor and travel", "Before", "Start", -15, "Training Ops", ""),
    ("T03", "Send invitations and joining instructions", "Before", "Start", -10, "Training Ops", ""),
    ("T04", "Order course materials", "Before", "Start", -7, "Procurement", ""),
    ("T05", "Order catering", "Before", "Start", -5, "Facilities", ""),
    ("T06", "Check equipment", "Before", "Start", -2, "IT Support", ""),
    ("T07", "Collect attendance sheet", "During", "Start", 0, "Instructor", ""),
    ("T08", "Send feedback survey", "After", "End", 1, "Training Ops", ""),
    ("T09", "Check and approve invoices", "After", "End", 5, "Finance", ""),
    ("T10", "Archive attendance and certificates", "After", "End", 10, "Training Ops", ""),
)
FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
               "Kofi", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sami", "Tara")
LAST_NAMES = ("Adler", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
              "Jansen", "Keller", "Lopez", "Meyer", "Nkosi", "Olsen", "Petit", "Rossi", "Schmidt")


@dataclass
class Example:
    """An example planner: one DataFrame per table (input columns only) and the settings to freeze."""

    tables: dict[str, pd.DataFrame]
    settings: dict[str, object] = field(default_factory=dict)


def rate(currency: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Units of ``currency`` per 1 EUR in ``year`` (element-wise)."""
    table = pd.DataFrame(RATES, index=YEARS)
    return table.stack().reindex(pd.MultiIndex.from_arrays([year, currency])).to_numpy()


def make_example(sessions: int = DEFAULT_SESSIONS, seed: int = DEFAULT_SEED) -> Example:
    """The example planner with about ``sessions`` sessions, all drawn from ``seed``."""
    if sessions < 1:
        raise ValueError("an example needs at least one session")
    rng = np.random.default_rng(seed)
    scale = max(1.0, sessions / DEFAULT_SESSIONS)
    courses = _courses()
    rooms = _rooms(rng, int(round(20 * scale)))
    instructors = _instructors(rng, int(round(12 * scale)))
    equipment = pd.DataFrame(EQUIPMENT, columns=["EquipmentId", "Type", "Quantity", "DayRate"]).assign(Currency="EUR")
    # Pools grow with the plan; a session still books a share of the base pool.
    equipment["Quantity"] *= int(np.ceil(scale))
    business_units = pd.DataFrame(BUSINESS_UNITS, columns=["BusinessUnit", "Name", "CostCentre"])
    sess = _sessions(rng, sessions, courses, rooms, instructors, equipment)
    enrol = _with_reservations(sess, _enrolments(rng, sess, business_units))
    # Leave comes from its own generator, so adding it left every other table as it was.
    leave = _unavailability(np.random.default_rng([seed, 12]), sess, instructors, rooms)
    sess = sess.drop(columns=["_registered", "_capacity", "_week"])
    _set_availability(rng, instructors, sess)
    # Cost lines come from their own generator too: adding them left the other tables' draws as they were.
    session_costs = _session_costs(np.random.default_rng([seed, 13]), sess, instructors)
    tables = {
        "Courses": courses, "Instructors": instructors, "Rooms": rooms, "Equipment": equipment,
        "BusinessUnits": business_units, "Sessions": sess, "Enrolments": enrol, "FX": _fx(),
        "ChecklistTemplate": _checklist_template(courses),
        "Unavailability": leave, "TravelCosts": _travel_costs(), "Rates": _rate_history(instructors, rooms),
        "SessionCosts": session_costs,
    }
    settings = {"AsOfDate": AS_OF}
    # As if the user had run the fx, holidays, budget and conflicts commands.
    tables["FX"] = _with_stale_ecb_row(fx_rows(tables, settings))
    tables["Holidays"] = holiday_rows(tables, settings)
    # The calculated columns, once (the Conflicts tab only feeds ConflictFlag, which none of these reads), then
    # 2023-2025 closed at the year-end close, as `ilt-xl close --through 2025-12-31` does: the stored figures are
    # those computed, so the table stays right once they are added.
    computed = session_table_with_errors(tables, settings)
    tables["Sessions"] = closed_tables(tables, settings, CLOSED_THROUGH, CLOSED_ON, computed=computed).sessions
    settings["ClosedThrough"] = CLOSED_THROUGH
    computed = computed.values.assign(**{c: tables["Sessions"][c].to_numpy() for c in STORED})
    # As if the user had run the allocate command: the ledger Budget's Lines* stage columns sum.
    tables["Allocation"] = allocation_rows(tables, settings)
    tables["Budget"] = _budget(rng, tables, settings, computed)
    tables["Conflicts"] = conflicts(tables, settings, computed)
    tables["Checklist"] = _checklist(tables["Sessions"], tables["ChecklistTemplate"])
    tables["Demand"] = _demand(rng, courses)
    _forecast(tables, settings, computed)
    return Example(tables=tables, settings=settings)


# ----------------------------------------------------------------------------- repository


def _courses() -> pd.DataFrame:
    rows = [(skill, title) for skill, titles in CATALOGUE.items() for title in titles]
    n = len(rows)
    i = np.arange(n)
    duration = 1 + (i * 7 % 3)  # 1, 2 or 3 days, spread over the catalogue
    currency = np.array(["EUR", "EUR", "USD", "GBP", "EUR", "CHF"])[i % 6]
    price_eur = 280.0 * duration + 40 * (i % 5)
    variable_eur = 35.0 * duration + 5 * (i % 4)
    fx = rate(currency, np.full(n, 2025))
    return pd.DataFrame({
        "CourseId": [f"C{k + 101}" for k in i],
        "Title": [t for _, t in rows],
        "Skill": [s for s, _ in rows],
        "DurationDays": duration,
        "HoursPerDay": np.where(i % 4 == 0, 6.5, 7.0),
        "MinLearners": 4 + i % 4,
        "MaxLearners": 12 + 2 * (i % 5),
        "PricePerLearner": np.round(price_eur * fx, 0),
        "VariableCostPerLearner": np.round(variable_eur * fx, 0),
        "Currency": currency,
    })


def _rooms(rng: np.random.Generator, n: int) -> pd.DataFrame:
    sites = [(country, cur, site) for country, (cur, names) in COUNTRIES.items() for site in names]
    pick = np.arange(n) % len(sites)
    country = np.array([sites[k][0] for k in pick], dtype=object)
    currency = np.array([sites[k][1] for k in pick], dtype=object)
    site = np.array([sites[k][2] for k in pick], dtype=object)
    capacity = rng.choice([10, 12, 14, 16, 20, 24, 30], size=n)
    day_rate_eur = 150 + 12 * capacity + rng.integers(0, 8, size=n) * 10
    return pd.DataFrame({
        "RoomId": [f"R{k + 1:03d}" for k in range(n)],
        "Name": [f"{s.split()[0]} room {k // len(sites) + 1}" for k, s in enumerate(site)],
        "Site": site, "Country": country, "Capacity": capacity,
        "DayRate": np.round(day_rate_eur * rate(currency, np.full(n, 2025)), 0),
        "Currency": currency,
        "TimeZone": [SITE_ZONES.get(x, "") for x in site],
    })


def _instructors(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Part-time trainers (subject experts who teach some days a year) and contractors.

    Instructor ``k`` has skills ``k`` and ``3k + 1`` (mod the skill count) and sometimes a third,
    so every skill has at least two people once there are as many instructors as skills.
    """
    skills = np.array(list(CATALOGUE))
    k = np.arange(n)
    first = k % len(skills)
    second = (3 * k + 1) % len(skills)
    second = np.where(second == first, (first + 1) % len(skills), second)
    third = (first + 3 + rng.integers(0, len(skills) - 3, size=n)) % len(skills)
    has_third = rng.random(n) < 0.4
    skill_text = [
        ",".join(dict.fromkeys([skills[a], skills[b]] + ([skills[c]] if t else [])))
        for a, b, c, t in zip(first, second, third, has_third)
    ]
    external = rng.random(n) < 0.3
    home = rng.choice(list(COUNTRIES), size=n, p=[0.3, 0.15, 0.15, 0.2, 0.12, 0.08])
    currency = np.array([COUNTRIES[c][0] for c in home], dtype=object)
    day_rate_eur = np.where(external, rng.integers(90, 180, size=n) * 10, rng.integers(40, 70, size=n) * 10)
    # Relative shares of the teaching for now: :func:`_set_availability` sizes them to the plan.
    available = np.where(external, rng.choice([20, 30, 40], size=n), rng.choice([30, 40, 50, 60], size=n)).astype(float)
    return pd.DataFrame({
        "InstructorId": [f"I{k + 1:03d}" for k in range(n)],
        "Name": [f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {LAST_NAMES[(k * 7) % len(LAST_NAMES)]}" for k in range(n)],
        "Kind": np.where(external, "External", "Internal"),
        "Skills": skill_text,
        "DayRate": np.round(day_rate_eur * rate(currency, np.full(n, 2025)), 0),
        "Currency": currency, "HomeCountry": home, "AvailableDaysPerYear": available,
    })


def _set_availability(rng: np.random.Generator, instructors: pd.DataFrame, sessions: pd.DataFrame) -> None:
    """Each instructor's available days: their busiest year's booked days (sessions not cancelled, the
    planned year included) at 68-85% utilisation, in fives, as a training manager sizes part-time
    trainers' time (so the delivered years come out around 50-70%)."""
    live = sessions[sessions["Status"] != "Cancelled"]
    days = (live["EndDate"] - live["StartDate"]).dt.days + 1
    booked = days.groupby([live["InstructorId"], live["StartDate"].dt.year]).sum().groupby(level=0).max()
    peak = booked.reindex(instructors["InstructorId"], fill_value=0).to_numpy(float)
    target = rng.uniform(0.68, 0.85, size=len(instructors))
    instructors["AvailableDaysPerYear"] = np.maximum(5.0, np.ceil(peak / target / 5.0) * 5.0)


# ----------------------------------------------------------------------------- sessions


def _course_plan(rng: np.random.Generator, n: int, courses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(course, month) of each of ``n`` sessions, months counted from January of the first year.

    Each course runs to a cadence, as a training calendar does: its expected sessions a month are
    its popularity x the month's :data:`SEASON` factor x its yearly :data:`GROWTH` compounded, from
    its launch (:data:`LAUNCHED`) on. The sessions are placed by systematic rounding of the
    running expectation (phases spread over the courses), so a course's count over any stretch of
    months is within one of its expectation while single months vary; the total is then made exactly ``n``.
    """
    months = 12 * len(YEARS)
    t = np.arange(months)
    skill = courses["Skill"].to_numpy()
    growth = np.array([GROWTH.get(s, 0.0) for s in skill]) + rng.uniform(-0.03, 0.03, size=len(courses))
    popularity = rng.uniform(0.6, 1.4, size=len(courses))
    launch = np.array([LAUNCHED.get(title, 0) for title in courses["Title"]])
    expected = (popularity[:, None] * np.array(SEASON)[t % 12][None, :]
                * (1.0 + growth[:, None]) ** (t[None, :] / 12.0) * (t[None, :] >= launch[:, None]))
    expected *= n / expected.sum()
    # Phases spread evenly over the courses (in random order), as a calendar spreads its courses.
    phase = (rng.permutation(len(courses)) + rng.random(len(courses))) / len(courses)
    running = np.floor(np.cumsum(expected, axis=1) + phase[:, None])
    counts = np.diff(running, axis=1, prepend=0.0).astype(int)   # the phase is below 1: nothing before month 0
    short = n - counts.sum()
    flat = counts.reshape(-1)
    if short > 0:
        flat[rng.choice(flat.size, size=short, replace=False, p=expected.reshape(-1) / expected.sum())] += 1
    elif short < 0:
        flat[rng.choice(flat.size, size=-short, replace=False, p=flat / flat.sum())] -= 1
    cell = np.repeat(np.arange(flat.size), flat)
    return cell // months, cell % months


SHIFTS = tuple(s for k in range(9) for s in ((k, -k) if k else (0,)))   # the nearest weeks first


def _assign_instructors(rng, week, course, duration, courses, instructors, n_weeks):
    """An instructor for each session (processed in week order): one who has the course's skill and
    teaches nothing else that week, the least used for their share (AvailableDaysPerYear, relative
    at this stage) first, so the load is even. A week with nobody free moves the session to the
    nearest week with someone free."""
    skill_sets = [set(s.split(",")) for s in instructors["Skills"]]
    eligible = [np.flatnonzero([skill in have for have in skill_sets]) for skill in courses["Skill"]]
    available = instructors["AvailableDaysPerYear"].to_numpy(float)
    year_of_week = ((FIRST_MONDAY + 7 * np.arange(n_weeks).astype("timedelta64[D]")).astype("datetime64[Y]").astype(int) + 1970
                    - YEARS[0])
    monday_month = (FIRST_MONDAY + 7 * np.arange(n_weeks).astype("timedelta64[D]")).astype("datetime64[M]").astype(int)
    # The weeks to try for each week: those of its month first (the plan's month stays), then the nearest others.
    tries = {}
    for w in range(n_weeks):
        near = [w + k for k in SHIFTS if 0 <= w + k < n_weeks]
        tries[w] = sorted(near, key=lambda v, w=w: (monday_month[v] != monday_month[w], abs(v - w)))
    busy = np.zeros((len(instructors), n_weeks), dtype=bool)
    used = np.zeros((len(instructors), len(YEARS)))
    week = week.copy()
    instr = np.empty(len(week), dtype=int)
    jitter = _RowDraws(rng, len(week), len(instructors))
    for i in np.argsort(week, kind="stable"):
        candidates = eligible[course[i]]
        for w in tries[week[i]]:
            ok = candidates[~busy[candidates, w]]
            if len(ok):
                break
        else:
            raise ValueError("the example's instructors cannot teach that many sessions")  # pragma: no cover
        y = year_of_week[w]
        pick = ok[np.argmin((used[ok, y] + duration[i]) / available[ok] + jitter.row(i, int(ok.max()) + 1)[ok] * 0.02)]
        week[i], instr[i] = w, pick
        busy[pick, w] = True
        used[pick, y] += duration[i]
    return week, instr


class _RowDraws:
    """The ``rows`` x ``width`` uniform draws ``rng.random((rows, width))`` would give, one row at a
    time and in any order, without holding them (200,000 sessions x 4,000 instructors are 6.4 GB):
    row ``i`` is read from a copy of the generator moved on ``i * width`` draws (one 64-bit step
    per double), and ``rng`` itself moves on past all of them, as if they had been drawn."""

    def __init__(self, rng: np.random.Generator, rows: int, width: int) -> None:
        self.start, self.width = rng.bit_generator.state, width
        rng.bit_generator.advance(rows * width)
        # advance() drops the half-used 32-bit draw the generator may hold, which drawing doubles keeps
        moved = rng.bit_generator.state
        moved["has_uint32"], moved["uinteger"] = self.start["has_uint32"], self.start["uinteger"]
        rng.bit_generator.state = moved

    def row(self, i: int, count: int) -> np.ndarray:
        """The first ``count`` draws of row ``i``."""
        bits = type(np.random.default_rng().bit_generator)()
        bits.state = self.start
        bits.advance(int(i) * self.width)
        return np.random.Generator(bits).random(count)


def _sessions(rng, n, courses, rooms, instructors, equipment) -> pd.DataFrame:
    n_weeks = int((LAST_DAY - FIRST_MONDAY).astype(int) // 7)  # whole Mon-Fri weeks up to LAST_DAY
    course, month = _course_plan(rng, n, courses)
    # A week whose Monday falls in the session's month.
    mondays = FIRST_MONDAY + 7 * np.arange(n_weeks).astype("timedelta64[D]")
    monday_month = mondays.astype("datetime64[M]").astype(int) - (YEARS[0] - 1970) * 12
    first_week = np.searchsorted(monday_month, month, side="left")
    weeks_in_month = np.searchsorted(monday_month, month, side="right") - first_week
    week = np.minimum(first_week + (rng.random(n) * np.maximum(weeks_in_month, 1)).astype(int), n_weeks - 1)
    duration = courses["DurationDays"].to_numpy()[course]
    week, instr = _assign_instructors(rng, week, course, duration, courses, instructors, n_weeks)
    order = np.argsort(week, kind="stable")
    week, instr, course = week[order], instr[order], course[order]

    duration = courses["DurationDays"].to_numpy()[course]
    start_offset = (rng.random(n) * (6 - duration)).astype(int)  # Mon.., ends by Friday
    start = FIRST_MONDAY + (week * 7 + start_offset).astype("timedelta64[D]")
    end = start + (duration - 1).astype("timedelta64[D]")

    # Rooms dealt out within each week; about one session in ten goes to an external venue.
    rank = np.arange(n) - np.searchsorted(week, week, side="left")
    # Coordinators book a room that fits: within a week, the courses with the most seats get the
    # biggest rooms (dealt from a random start among rooms of similar size).
    seats = courses["MaxLearners"].to_numpy()[course]
    by_seats = np.lexsort((-seats, week))
    fit_rank = np.empty(n, dtype=int)
    fit_rank[by_seats] = rank
    room_order = np.argsort(-rooms["Capacity"].to_numpy(), kind="stable")
    room = room_order[(fit_rank + rng.integers(0, 3, size=n_weeks)[week]) % len(rooms)]
    external_venue = (rank >= len(rooms)) | (rng.random(n) < 0.1)
    room_ids = np.where(external_venue, "", rooms["RoomId"].to_numpy()[room]).astype(object)
    country = np.where(external_venue, rng.choice(list(COUNTRIES), size=n), rooms["Country"].to_numpy()[room]).astype(object)
    site = np.where(external_venue, "Conference hotel", rooms["Site"].to_numpy()[room]).astype(object)
    room_capacity = np.where(external_venue, 999, rooms["Capacity"].to_numpy()[room])
    course_max = courses["MaxLearners"].to_numpy()[course]
    capacity = np.minimum(room_capacity, course_max)
    course_min = courses["MinLearners"].to_numpy()[course]

    status, registered = _status_and_fill(rng, start, capacity, course_min)

    has_equipment = rng.random(n) < 0.25
    equip = rng.integers(0, len(EQUIPMENT), size=n)
    quantity = np.array([e[2] for e in EQUIPMENT])[equip]
    units = np.where(has_equipment, np.maximum(1, (quantity * rng.uniform(0.2, 0.45, size=n)).astype(int)), np.nan)

    future = status == "Planned"
    future |= status == "Confirmed"
    one_day = (duration == 1) & (rng.random(n) < 0.3)
    frame = pd.DataFrame({
        "SessionId": [f"S{k + 1:05d}" for k in range(n)],
        "CourseId": courses["CourseId"].to_numpy()[course],
        "Status": status,
        "StartDate": start.astype("datetime64[ns]"),
        "EndDate": end.astype("datetime64[ns]"),
        "StartTime": np.where(one_day, dt.time(9, 0), None),
        "EndTime": np.where(one_day, dt.time(17, 0), None),
        "Country": country, "Site": site, "RoomId": room_ids,
        "InstructorId": instructors["InstructorId"].to_numpy()[instr],
        "EquipmentId": np.where(has_equipment, np.array([e[0] for e in EQUIPMENT])[equip], "").astype(object),
        "EquipmentUnits": units,
        "ForecastLearners": np.where(future, np.maximum(course_min, np.round(capacity * 0.75)), np.nan),
        "CapacityOverride": np.nan,
        "CurrencyEntered": "", "RoomCostEntered": np.nan, "InstructorFeeEntered": np.nan, "OtherFixedCost": np.nan,
        "AllocationKey": np.where(rng.random(n) < 0.05, "attended", "").astype(object),
        "Notes": "",
        "_registered": registered, "_capacity": capacity, "_week": week,
    })
    extras = rng.integers(25, 90, size=n) * 10.0, rng.integers(120, 300, size=n) * 10.0
    _plant_conflicts(frame, courses, instructors, rooms, equipment)
    _fixed_costs(frame, courses, instructors, *extras)
    return frame


def _fixed_costs(frame, courses, instructors, travel_eur, venue_eur_per_day) -> None:
    """Set each session's currency and its other fixed costs, from the final bookings.

    A session runs in its course's currency, except every tenth one held in a country of another
    currency, which is booked in that country's (CurrencyEntered). Rooms and instructors are charged
    at their day rates in their own currencies (the workbook converts them), so no cost is entered
    for them; travel (instructor abroad) and venue packages (no room) go to OtherFixedCost, in the
    session currency at that year's rate.
    """
    course = courses.set_index("CourseId")
    course_cur = course.loc[frame["CourseId"], "Currency"].to_numpy()
    country_cur = np.array([COUNTRIES[c][0] for c in frame["Country"]], dtype=object)
    local = (np.arange(len(frame)) % 10 == 3) & (country_cur != course_cur)
    frame["CurrencyEntered"] = np.where(local, country_cur, "").astype(object)
    session_cur = np.where(local, country_cur, course_cur)
    year = frame["StartDate"].dt.year.to_numpy()
    days = ((frame["EndDate"] - frame["StartDate"]).dt.days + 1).to_numpy()
    has_room = (frame["RoomId"] != "").to_numpy()
    instr = instructors.set_index("InstructorId").loc[frame["InstructorId"]]
    travels = instr["HomeCountry"].to_numpy() != frame["Country"].to_numpy()
    other = np.round((np.where(travels, travel_eur, 0) + np.where(has_room, 0, venue_eur_per_day * days))
                     * rate(session_cur, year), 2)
    frame["OtherFixedCost"] = np.where(other > 0, other, np.nan)


LINES_FROM = np.datetime64("2026-01-01")
"""Sessions from this day on (the open fiscal year) have their travel and venue as SessionCosts lines; earlier ones
keep them in OtherFixedCost, as entered before the table existed."""


def _session_costs(rng, sess: pd.DataFrame, instructors: pd.DataFrame) -> pd.DataFrame:
    """The open year's cost lines, as coordinators and finance enter them (and ``sess``'s OtherFixedCost cleared
    where they take its place), in mixed currencies:

    - travel of an instructor from abroad, fixed, in the instructor's currency (an EUR session with a GBP line);
    - the venue package of a session without a room, fixed, in the country's currency;
    - catering per learner for about a third of the sessions, in the country's currency;
    - a cancellation fee on about half the cancelled sessions, in the country's currency.

    Every line is estimated; those of Confirmed and Delivered sessions (and the fees) are ordered: Committed
    within 5% of the estimate, with a PO number; those of delivered sessions (and the fees of sessions whose start
    has passed) are invoiced a few days later, when that day is on or before AS_OF: Actual, invoice number and date.
    """
    n = len(sess)
    start = sess["StartDate"].to_numpy("datetime64[D]")
    end = sess["EndDate"].to_numpy("datetime64[D]")
    days = (end - start).astype(int) + 1
    status = sess["Status"].to_numpy(object)
    country_cur = np.array([COUNTRIES[c][0] for c in sess["Country"]], dtype=object)
    instr = instructors.set_index("InstructorId").loc[sess["InstructorId"]]
    # Every draw made for every session, whatever is kept: the lines stay the same when one rule changes.
    travel_eur, venue_eur, catering_eur, fee_eur = (rng.integers(25, 90, n) * 10.0, rng.integers(120, 300, n) * 10.0,
                                                    rng.integers(12, 30, n) * 1.0, rng.integers(15, 60, n) * 10.0)
    catered, fee_due = rng.random(n) < 0.35, rng.random(n) < 0.5
    ordered, invoiced, lag = rng.uniform(0.95, 1.05, (4, n)), rng.uniform(0.97, 1.03, (4, n)), rng.integers(3, 20, (4, n))
    open_year = start >= LINES_FROM
    live = status != "Cancelled"
    kinds = (
        ("travel", "fixed", "TravelDesk", instr["Currency"].to_numpy(object), travel_eur,
         open_year & live & (instr["HomeCountry"].to_numpy() != sess["Country"].to_numpy())),
        ("venue", "fixed", "Conference hotel", country_cur, venue_eur * days, open_year & live & (sess["RoomId"] == "").to_numpy()),
        ("catering", "per learner", "Catering Co", country_cur, catering_eur * days, open_year & live & catered),
        ("cancellation fee", "fixed", "Venue", country_cur, fee_eur, open_year & ~live & fee_due),
    )
    parts = []
    for k, (category, basis, supplier, currency, amount_eur, kept) in enumerate(kinds):
        i = np.flatnonzero(kept)
        estimated = np.round(amount_eur[i] * rate(currency[i], np.full(i.size, 2026)), 0)
        fee = category == "cancellation fee"
        is_ordered = fee | np.isin(status[i], ("Confirmed", "Delivered"))
        committed = np.where(is_ordered, np.round(estimated * ordered[k, i], 2), np.nan)
        invoice_day = (start[i] if fee else end[i]) + lag[k, i].astype("timedelta64[D]")
        is_invoiced = (fee | (status[i] == "Delivered")) & (invoice_day <= np.datetime64(AS_OF))
        actual = np.where(is_invoiced, np.round(committed * invoiced[k, i], 2), np.nan)
        number = np.char.mod("%05d", i + 1).astype(object) + f"-{k + 1}"
        parts.append(pd.DataFrame({
            "SessionId": sess["SessionId"].to_numpy(object)[i], "Category": category, "Basis": basis,
            "Supplier": supplier, "Currency": currency[i], "Estimated": estimated, "Committed": committed,
            "PONumber": np.where(is_ordered, "PO-" + number, ""), "Actual": actual,
            "InvoiceNumber": np.where(is_invoiced, "INV-" + number, ""),
            "InvoiceDate": np.where(is_invoiced, invoice_day, np.datetime64("NaT")).astype("datetime64[ns]"),
        }))
    sess.loc[open_year, "OtherFixedCost"] = np.nan
    lines = pd.concat(parts, ignore_index=True)
    order = np.argsort(lines["SessionId"].to_numpy(str), kind="stable")
    return lines.iloc[order].reset_index(drop=True)


def _status_and_fill(rng, start, capacity, course_min):
    """Statuses around the as-of date and registered headcounts that look like a real year."""
    n = len(start)
    as_of = np.datetime64(AS_OF)
    past = start < as_of
    lead = (start - as_of).astype(int)
    fill = np.clip(rng.beta(10, 3, size=n), 0.15, 1.0)
    # Future sessions fill up as they approach.
    fill = np.where(past, fill, fill * np.clip(1.1 - lead / 240, 0.1, 1.0))
    registered = np.floor(fill * capacity + rng.random(n)).astype(int)
    # A few sessions of the coming weeks still lack learners: they show as At risk.
    short = ~past & (lead <= 21) & (rng.random(n) < 0.35)
    registered[short] = np.maximum(0, course_min[short] - 1 - rng.integers(0, 3, size=n)[short])
    under_min = registered < course_min
    cancelled = past & ((under_min & (rng.random(n) < 0.7)) | (rng.random(n) < 0.07))
    status = np.where(past, np.where(cancelled, "Cancelled", "Delivered"),
                      np.where((lead <= 45) & ~under_min, "Confirmed", "Planned")).astype(object)
    # Some far-away sessions have no enrolment lines yet.
    registered[~past & (lead > 150) & (rng.random(n) < 0.5)] = 0
    return status, registered


def _plant_conflicts(frame: pd.DataFrame, courses, instructors, rooms, equipment) -> None:
    """Plant a few deliberate conflicts, each on sessions of its own week.

    A clashing pair is two sessions of the same week, so moving one onto the other's dates
    frees its own weekly slot and creates no accidental clash elsewhere.
    """
    ok = frame[(frame["RoomId"] != "") & (frame["EquipmentId"] == "") & (frame["Status"] != "Cancelled")]
    pairs = ok.groupby("_week").head(2).groupby("_week").filter(lambda g: len(g) == 2)
    # Weeks where the simulators are already booked would hold a third, unplanned clash.
    pairs = pairs[~pairs["_week"].isin(frame.loc[frame["EquipmentId"] == "EQ-SIM", "_week"])]
    weeks = pairs["_week"].unique()
    if len(weeks) < 4:
        return
    chosen = weeks[np.linspace(0, len(weeks) - 1, 4).astype(int)]
    singles = ok.loc[~ok["_week"].isin(chosen)].index.to_numpy()
    if len(singles) < 3:
        return
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = (pairs.index[pairs["_week"] == w].to_numpy() for w in chosen)
    # Instructor double-booked: y takes x's dates and instructor, at an external venue.
    # It takes x's course too, so the instructor has the skill; at a venue it seats the course maximum.
    for x, y in ((x1, y1), (x4, y4)):
        frame.loc[y, ["CourseId", "StartDate", "EndDate", "InstructorId", "RoomId", "Site", "Notes"]] = [
            frame.at[x, "CourseId"], frame.at[x, "StartDate"], frame.at[x, "EndDate"], frame.at[x, "InstructorId"],
            "", "Conference hotel", "Example: instructor double-booked"]
        seats = courses.set_index("CourseId").at[frame.at[x, "CourseId"], "MaxLearners"]
        frame.loc[y, "_registered"] = min(frame.at[y, "_registered"], seats)
    # Room double-booked.
    _move(frame, y2, x2)
    frame.loc[y2, ["RoomId", "Country", "Site", "Notes"]] = [
        frame.at[x2, "RoomId"], frame.at[x2, "Country"], frame.at[x2, "Site"], "Example: room double-booked"]
    # Equipment over quantity: both book the whole simulator pool.
    _move(frame, y3, x3)
    frame.loc[[x3, y3], "EquipmentId"] = "EQ-SIM"
    frame.loc[[x3, y3], "EquipmentUnits"] = equipment.set_index("EquipmentId").at["EQ-SIM", "Quantity"]
    frame.loc[y3, ["RoomId", "Site", "Notes"]] = ["", "Conference hotel", "Example: equipment over quantity"]
    # Skill mismatch: an instructor free that week who lacks the course's skill.
    s, over, above = singles[np.linspace(0, len(singles) - 1, 3).astype(int)]
    skill = courses.set_index("CourseId").at[frame.at[s, "CourseId"], "Skill"]
    lacking = instructors.loc[~instructors["Skills"].str.split(",").apply(lambda k: skill in k), "InstructorId"]
    busy = set(frame.loc[frame["_week"] == frame.at[s, "_week"], "InstructorId"])
    free = [i for i in lacking if i not in busy]
    if free:
        frame.loc[s, ["InstructorId", "Notes"]] = [free[0], "Example: instructor lacks the skill"]
    # Over capacity, and a capacity override above the room's seats.
    frame.loc[over, "_registered"] = frame.at[over, "_capacity"] + 2
    frame.loc[over, "Notes"] = "Example: registered above capacity"
    seats = rooms.set_index("RoomId").at[frame.at[above, "RoomId"], "Capacity"]
    frame.loc[above, ["CapacityOverride", "Notes"]] = [seats + 4, "Example: capacity above the room"]


def _move(frame: pd.DataFrame, target: int, source: int) -> None:
    """Move session ``target`` within its week so that it overlaps ``source`` (same week),
    keeping its own length and ending by Friday."""
    start, end = frame.at[source, "StartDate"], frame.at[target, "StartDate"]
    length = (frame.at[target, "EndDate"] - end).days
    monday = start - pd.Timedelta(days=start.weekday())
    first = monday + pd.Timedelta(days=min(start.weekday(), 4 - length))
    frame.at[target, "StartDate"], frame.at[target, "EndDate"] = first, first + pd.Timedelta(days=length)


# ----------------------------------------------------------------------------- leave and travel

LEAVE_REASONS = ("Annual leave", "Annual leave", "Parental leave", "Conference", "Sick leave")
# Travel and lodging of one session for an instructor from abroad, per session country.
TRAVEL_COSTS = (("DE", 450.0, "EUR"), ("FR", 450.0, "EUR"), ("GB", 400.0, "GBP"), ("US", 950.0, "USD"),
                ("CH", 550.0, "CHF"), ("NA", 16000.0, "ZAR"))


def _unavailability(rng, sess: pd.DataFrame, instructors: pd.DataFrame, rooms: pd.DataFrame) -> pd.DataFrame:
    """One leave of one or two weeks for about one instructor in eight, and one room closure.

    Each leave falls in weeks where the resource has no live session, so it adds no conflict:
    it only narrows what the optimiser may propose.
    """
    live = sess["Status"].to_numpy() != "Cancelled"
    n_weeks = int((LAST_DAY - FIRST_MONDAY).astype(int) // 7)
    future = FIRST_MONDAY + (np.arange(n_weeks) * 7).astype("timedelta64[D]") > np.datetime64(AS_OF)
    chosen = np.sort(rng.choice(len(instructors), size=max(3, len(instructors) // 8), replace=False))
    wanted = [(column, ids, reason) for column, ids, reason in (
        ("InstructorId", instructors["InstructorId"].to_numpy(object)[chosen],
         np.resize(np.array(LEAVE_REASONS, dtype=object), len(chosen))),
        ("RoomId", rooms["RoomId"].to_numpy(object)[:1], np.array(["Maintenance (painting)"], dtype=object)))]
    rows = []
    for column, ids, reasons in wanted:
        # busy[k, w]: resource ids[k] holds a live session in week w.
        holder = pd.Index(ids).get_indexer(sess[column].to_numpy(object))
        hit = live & (holder >= 0)
        busy = np.zeros((len(ids), n_weeks + 1), dtype=bool)
        busy[holder[hit], np.minimum(sess["_week"].to_numpy()[hit], n_weeks)] = True
        length = 1 + (rng.random(len(ids)) < 0.4)
        for k in range(len(ids)):
            free = ~busy[k, :n_weeks] & (~busy[k, 1:] if length[k] == 2 else True)
            if length[k] == 2:
                free[-1] = False
            pool = np.flatnonzero(free & future) if (free & future).any() and rng.random() < 0.8 else np.flatnonzero(free)
            if not len(pool):
                continue
            monday = FIRST_MONDAY + np.timedelta64(7 * int(rng.choice(pool)), "D")
            rows.append((ids[k], pd.Timestamp(monday), pd.Timestamp(monday + np.timedelta64(7 * (length[k] - 1) + 4, "D")),
                         reasons[k]))
    return pd.DataFrame(rows, columns=["Resource", "From", "To", "Reason"])


# Rate history: (instructor or room position, valid from, raise on its own table's rate, why).
RATE_CHANGES = (("Instructor", 0, "2025-07-01", 0.08, "Contract renewal"),
                ("Instructor", 0, "2026-01-01", 0.12, "Yearly price list"),
                ("Room", 0, "2026-01-01", 0.05, "Venue price list"))


def _rate_history(instructors: pd.DataFrame, rooms: pd.DataFrame) -> pd.DataFrame:
    """The Rates tab: the first instructor's day rate raised mid-2025 and again in 2026, the first room's in 2026
    (each raise on the table's own rate, which stays the rate before the first row)."""
    rows = []
    for kind, k, valid_from, rise, why in RATE_CHANGES:
        table, key = (instructors, "InstructorId") if kind == "Instructor" else (rooms, "RoomId")
        rows.append((kind, table[key].iat[k], pd.Timestamp(valid_from), float(np.round(table["DayRate"].iat[k] * (1 + rise), 0)),
                     table["Currency"].iat[k], why))
    return pd.DataFrame(rows, columns=["ResourceType", "ResourceId", "ValidFrom", "DayRate", "Currency", "Notes"])


def _travel_costs() -> pd.DataFrame:
    return pd.DataFrame(TRAVEL_COSTS, columns=["Country", "Cost", "Currency"])


# ----------------------------------------------------------------------------- enrolments


def _enrolments(rng, sess: pd.DataFrame, business_units: pd.DataFrame) -> pd.DataFrame:
    """Split each session's headcount over 1-4 (business unit, country) lines, exactly."""
    registered = sess["_registered"].to_numpy().astype(int)
    k = np.minimum(rng.integers(1, 5, size=len(sess)), np.maximum(registered, 1))
    k[registered == 0] = 0
    session = np.repeat(np.arange(len(sess)), k)
    weight = rng.random(len(session)) + 0.2
    total = np.bincount(session, weights=weight, minlength=len(sess))
    exact = weight / total[session] * registered[session]
    lines = np.floor(exact).astype(int)
    short = registered - np.bincount(session, weights=lines, minlength=len(sess)).astype(int)
    # Largest remainder: the lines with the biggest fractional parts get one more learner.
    order = np.lexsort((-(exact - lines), session))
    first = np.searchsorted(session[order], np.arange(len(sess)))
    rank = np.empty(len(session), dtype=int)
    rank[order] = np.arange(len(session)) - first[session[order]]
    lines += rank < short[session]
    keep = lines > 0
    session, lines = session[keep], lines[keep]

    delivered = (sess["Status"].to_numpy() == "Delivered")[session]
    attended = np.where(delivered, rng.binomial(lines, 0.92), np.nan)
    countries = np.array(list(COUNTRIES), dtype=object)
    home = sess["Country"].to_numpy()[session]
    country = np.where(rng.random(len(session)) < 0.75, home, rng.choice(countries, size=len(session))).astype(object)
    unit = rng.choice(business_units["BusinessUnit"].to_numpy(), size=len(session),
                      p=[0.26, 0.24, 0.12, 0.1, 0.16, 0.12])
    learner = np.where(lines == 1, [f"L{x:06d}" for x in rng.integers(1, 999_999, size=len(session))], "").astype(object)
    return pd.DataFrame({
        "SessionId": sess["SessionId"].to_numpy()[session],
        "BusinessUnit": unit, "Country": country,
        "Registered": lines, "Attended": attended, "LearnerId": learner,
    })


def _with_reservations(sess: pd.DataFrame, enrol: pd.DataFrame) -> pd.DataFrame:
    """Seats business units reserved on planned sessions before learners have names, so the forecast is charged
    to them: a line registered short of its session's ForecastLearners reserves its share of them, and a planned
    session nobody registered for gets one reserving line (its country's, a business unit taken in turn). Every
    fifth planned session is left as it is: its forecast stays partly "(unallocated)", listed by session."""
    planned = (sess["Status"] == "Planned").to_numpy() & (np.arange(len(sess)) % 5 != 0)
    expected = pd.Series(sess["ForecastLearners"].to_numpy("float64"), index=sess["SessionId"])[planned]
    registered = enrol.groupby("SessionId")["Registered"].sum()
    scale = (expected / registered.reindex(expected.index)).reindex(enrol["SessionId"]).to_numpy("float64")
    reserved = np.floor(enrol["Registered"].to_numpy("float64") * np.where(scale > 1, scale, np.nan))
    out = enrol.assign(Reserved=reserved)
    nobody = expected[~expected.index.isin(registered.index)]
    units = np.array([u[0] for u in BUSINESS_UNITS], dtype=object)
    country = sess.set_index("SessionId")["Country"].reindex(nobody.index).to_numpy(object)
    added = pd.DataFrame({"SessionId": nobody.index.to_numpy(object), "BusinessUnit": units[np.arange(len(nobody)) % len(units)],
                          "Country": country, "Registered": 0, "Attended": np.nan, "LearnerId": "",
                          "Reserved": nobody.to_numpy("float64")})
    return pd.concat([out, added], ignore_index=True) if len(added) else out


# ----------------------------------------------------------------------------- FX, checklist, budget


# The first manual USD rate: before it, USD sessions convert at the ECB rates the fx command writes.
USD_TREASURY_FROM = "2026-01-01"


def _fx() -> pd.DataFrame:
    """Manual quarterly treasury rates (the treasury's, not the ECB's): GBP, CHF and ZAR throughout, USD from 2026."""
    quarters = pd.date_range("2023-01-01", "2026-10-01", freq="QS")
    rows = [(d, cur, RATES[cur][YEARS.index(d.year)], "Treasury quarterly rate")
            for d in quarters for cur in ("USD", "GBP", "CHF", "ZAR")
            if cur != "USD" or d >= pd.Timestamp(USD_TREASURY_FROM)]
    return pd.DataFrame(rows, columns=["Date", "Currency", "PerEUR", "Source"])


def _with_stale_ecb_row(fx: pd.DataFrame) -> pd.DataFrame:
    """The FX table as a planner in use holds it: plus an ECB row an earlier fx run wrote before the
    treasury's 2026 USD rates were typed (the ECB's USD rate of 2026-02-02, fixed here so the example
    never depends on the bundled history's end). The manual rates win over it (its Applies is FALSE);
    the next fx run drops it."""
    stale = pd.DataFrame({"Date": [pd.Timestamp("2026-02-02")], "Currency": ["USD"], "PerEUR": [1.184],
                          "Source": [ECB_ROW_SOURCE]})
    return pd.concat([fx, stale], ignore_index=True)


def _checklist_template(courses: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(CHECKLIST_TASKS, columns=["TaskId", "Task", "Phase", "Anchor", "OffsetWorkdays", "OwnerTeam", "AppliesTo"])
    # Equipment checks only concern the hands-on courses.
    hands_on = courses.loc[courses["Skill"].isin(["Safety", "Data", "Cloud"]), "CourseId"]
    frame.loc[frame["TaskId"] == "T06", "AppliesTo"] = ",".join(hands_on)
    return frame


def _checklist(sessions: pd.DataFrame, template: pd.DataFrame) -> pd.DataFrame:
    """The Checklist of the sessions around the as-of date, as a coordinator would keep it
    (its DueDate is the workbook's formula, so only the input columns are given)."""
    as_of = pd.Timestamp(AS_OF)
    near = sessions["StartDate"].between(as_of - pd.Timedelta(days=21), as_of + pd.Timedelta(days=42))
    rows = checklists.build(sessions[near], template)
    due_before = (rows["DueDate"] < as_of) & (rows["Status"] == checklists.OPEN)
    done = due_before & (np.arange(len(rows)) % 5 != 0)
    rows.loc[done, "Status"] = checklists.DONE
    rows.loc[done, "DoneDate"] = rows.loc[done, "DueDate"]
    return rows.drop(columns=["DueDate"])


def _budget(rng, tables: dict[str, pd.DataFrame], settings: dict[str, object], sessions: pd.DataFrame) -> pd.DataFrame:
    """Budget per year and business unit in the reporting currency, with the figures the budget
    command writes (actual, committed, forecast), as if the user had run it.

    Every conversion uses the FX table's rows (manual ones, and the ECB ones the fx command
    wrote for the USD sessions before the treasury's rates), so the figures never depend on
    the bundled ECB history beyond them. Each budget is the year's cost of
    the business unit, give or take 10-20 %, in thousands.
    """
    grid = pd.MultiIndex.from_product([YEARS, [b[0] for b in BUSINESS_UNITS]], names=["Year", "BusinessUnit"])
    skeleton = grid.to_frame(index=False).assign(Country="", Budget=0.0)
    figures = budget_table({**tables, "Budget": skeleton}, settings, sessions, include_unbudgeted=False)
    figures = figures.drop(columns=["Variance"])
    spend = figures[["Actual", "Committed", "Forecast"]].fillna(0).sum(axis=1).to_numpy()
    figures["Budget"] = np.round(np.maximum(spend, 5000.0) * rng.uniform(0.9, 1.2, size=len(figures)), -3)
    return figures


# Training requests for next year: (skill, business unit, country, month, status, source).
DEMAND = (
    ("Cloud", "IT", "DE", 2, "Approved", "IT cloud migration plan 2027"),
    ("Cloud", "RND", "US", 3, "Approved", "R&D platform roadmap"),
    ("Data", "FIN", "GB", 2, "Approved", "Finance analytics programme"),
    ("Data", "SALES", "FR", 4, "Requested", "Skills survey 2026"),
    ("Compliance", "OPS", "DE", 1, "Approved", "Annual compliance calendar"),
    ("Safety", "OPS", "US", 5, "Requested", "Site safety audit follow-up"),
    ("Leadership", "HR", "CH", 9, "Approved", "New managers cohort 2027"),
    ("Sales", "SALES", "NA", 10, "Requested", "Sales kick-off plan"),
)


def _forecast(tables: dict[str, pd.DataFrame], settings: dict[str, object], sessions: pd.DataFrame) -> None:
    """As if the user had run the forecast command, then set next year's budgets from its P50 (in thousands)."""
    from ilt_xl.workbook.forecast_macro import forecast_frames

    frames = forecast_frames(tables, settings, sessions=sessions)[1]
    tables["Forecast"], tables["ForecastMonths"] = frames["Forecast"], frames["ForecastMonths"]
    budget = frames["Budget"]
    proposed = budget["Year"] > AS_OF.year
    budget.loc[proposed, "Budget"] = np.round(budget.loc[proposed, "ForecastP50"].fillna(0.0), -3)
    tables["Budget"] = budget


def _demand(rng: np.random.Generator, courses: pd.DataFrame) -> pd.DataFrame:
    """A few requests for the year after the as-of date, as business units send them in."""
    rows = []
    for skill, unit, country, month, status, source in DEMAND:
        ids = courses.loc[courses["Skill"] == skill, "CourseId"].to_numpy()
        rows.append((pd.Timestamp(AS_OF.year + 1, month, 1), ids[rng.integers(0, len(ids))], unit, country,
                     int(rng.integers(2, 9) * 5), status, source))
    return pd.DataFrame(rows, columns=["Period", "CourseId", "BusinessUnit", "Country", "Learners", "Status", "Source"])
