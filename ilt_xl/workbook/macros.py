"""The planner's macros, once: what each writes, computed from the planner's tables by the core.

A macro is a function ``(tables, settings) -> DataFrame`` giving the new rows
of one table. The same :data:`MACROS` serve the headless twins
(:func:`run_headless`, behind ``ilt-xl checklist|allocate|...``) and the
xlwings macros in ``udfs/`` (which read the open workbook's tables and write the
frame back into the table), so a button in Excel and a command on a file do
exactly the same.

Regeneration keeps what users typed:

- checklist: :func:`ilt_xl.core.checklists.regenerate` keeps Status, DoneDate
  and Notes, moves open tasks, marks a cancelled session's tasks Cancelled;
- fx: manual rows (any Source but :data:`ECB_ROW_SOURCE`) are kept as they are,
  and the ECB rows the sessions use are rewritten after them;
- holidays: the public holidays of the sessions' countries and years are
  written, sorted by country then date; rows you added (a company closing day)
  are kept in their place in that order;
- budget: the user's rows and Budget values are kept; Actual, Committed and
  Forecast are recomputed (:func:`ilt_xl.core.plan.budget_table`); year x BU
  (x country) combinations with cost but no row are added with Budget 0;
- allocate, conflicts, availability, validate: the tables are wholly written
  by their command (nothing in them is typed by users).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import calendar, checklists, cost_lines, fx, plan, resources
from ilt_xl.core.allocation import allocate
from ilt_xl.core.fx import ECB_ROW_SOURCE
from ilt_xl.core.sessions import converted_currencies, session_table, setting
from ilt_xl.schema import PLANNER

Tables = Mapping[str, pd.DataFrame]
Settings = Mapping[str, object]

HOLIDAY_YEAR_MARGIN = 1
"""Holidays are written for the sessions' years and this many years on each side (checklist tasks fall weeks
before a session's start or after its end)."""
AVAILABILITY = "Availability"
AVAILABILITY_KEYS = ["Kind", "Resource", "Name"]
AVAILABILITY_WEEKS = 52
FULL_WEEK_DAYS = 5
PROBLEMS = "Problems"
PROBLEM_COLUMNS = ["Severity", "Sheet", "Cell", "Column", "Value", "Expected", "Message"]


def _settings(settings: Settings) -> dict[str, object]:
    return {s.name: setting(settings, s.name) for s in PLANNER.settings}


def allocation_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The Allocation ledger (:func:`ilt_xl.core.allocation.allocate`) of every session that is not cancelled, and
    of the cancelled ones' cancellation fees (:func:`ilt_xl.core.cost_lines.charged`), as Budget counts them."""
    s = _settings(settings)
    sessions = cost_lines.charged(session_table(tables, s))
    return allocate(
        sessions, tables["Enrolments"], method=str(s["AllocationMethod"]), reporting_currency=str(s["ReportingCurrency"]),
        fx_date_policy=str(s["FxDatePolicy"]), budget_rate_date=s["BudgetRateDate"], manual_rates=tables["FX"],
    )


def conflict_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """Every conflict of the plan (:func:`ilt_xl.core.resources.conflicts`)."""
    return resources.conflicts(tables, _settings(settings))


def checklist_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The Checklist regenerated from Sessions and ChecklistTemplate, keeping each row's work; sessions
    finished more than ChecklistHorizonDays before AsOfDate get no new tasks."""
    s = _settings(settings)
    since = pd.Timestamp(s["AsOfDate"]).normalize() - pd.Timedelta(days=int(s["ChecklistHorizonDays"]))
    return checklists.regenerate(tables["Checklist"], tables["Sessions"], tables["ChecklistTemplate"], since=since)


def budget_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The Budget rows with Actual, Committed and Forecast recomputed (Variance is the workbook's formula)."""
    table = plan.budget_table(tables, _settings(settings))
    return table[[c.name for c in PLANNER.table("Budget").input_columns]]


def fx_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The FX table: the user's rows, then the ECB rates the sessions' costs are converted at.

    For each session (cancelled ones too: their cost may still be reported) and
    each leg of its conversions (its resources' currencies to its own, its own to
    the reporting currency), at the date the FX
    policy gives, the ECB rate is written when no manual row on or before that
    date decides it. Rows are (rate publication date, currency, PerEUR,
    :data:`ECB_ROW_SOURCE`), one per distinct pair, sorted by currency and date.
    """
    s = _settings(settings)
    current = tables["FX"]
    manual = current[current["Source"] != ECB_ROW_SOURCE]  # exactly as FX[Applies] tells them apart
    sessions = tables["Sessions"]
    if s["FxDatePolicy"] == "BudgetRateDate" and s["BudgetRateDate"] is not None:
        dates = np.full(len(sessions), np.datetime64(pd.Timestamp(s["BudgetRateDate"]).date(), "D"))
    else:
        dates = pd.to_datetime(sessions["StartDate"], errors="coerce").to_numpy("datetime64[D]")
    legs = [*converted_currencies(tables), np.full(len(sessions), str(s["ReportingCurrency"]).upper(), dtype=object)]
    line_ccy, line_date = cost_lines.converted_legs(tables, dates)
    legs_ccy = np.concatenate([*legs, line_ccy])
    legs_date = np.concatenate([np.tile(dates, len(legs)), line_date])
    wanted = (legs_ccy != fx.EUR) & (legs_ccy != "") & ~np.isnat(legs_date)
    legs_ccy, legs_date = legs_ccy[wanted], legs_date[wanted]
    decided = np.zeros(len(legs_ccy), dtype=bool)
    if len(manual):
        _, _, _, decided = fx.RateTable.from_frame(manual).lookup(legs_ccy, legs_date)
    per_eur, published, _, found = fx.ecb_table().lookup(legs_ccy[~decided], legs_date[~decided])
    ecb = pd.DataFrame({
        "Date": published[found].astype("datetime64[ns]"),
        "Currency": legs_ccy[~decided][found],
        "PerEUR": per_eur[found],
        "Source": ECB_ROW_SOURCE,
    }).drop_duplicates(["Currency", "Date"]).sort_values(["Currency", "Date"], kind="stable")
    kept = manual[["Date", "Currency", "PerEUR", "Source"]]
    return pd.concat([kept, ecb], ignore_index=True) if len(kept) else ecb.reset_index(drop=True)


def holiday_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """The Holidays table: public holidays of every session's country (``holidays`` package) in the sessions'
    years widened by :data:`HOLIDAY_YEAR_MARGIN`, and the rows already there that the package does not list
    (a closing day you added), sorted by country (upper-case) then date.

    A country the package does not know gets no rows: its sessions' due dates show #N/A, as ILT_DUEDATE does.
    """
    sessions = tables["Sessions"]
    days = pd.concat([pd.to_datetime(sessions[c], errors="coerce") for c in ("StartDate", "EndDate")]).dropna()
    countries = sessions["Country"].dropna().astype(str).tolist()
    if days.empty:
        generated = pd.DataFrame({"Country": [], "Date": pd.to_datetime([]), "Name": []})
    else:
        first, last = int(days.dt.year.min()) - HOLIDAY_YEAR_MARGIN, int(days.dt.year.max()) + HOLIDAY_YEAR_MARGIN
        generated, _ = calendar.holiday_table(countries, first, last)
    current = tables.get("Holidays")
    if current is None or current.empty:
        return generated.reset_index(drop=True)
    kept = current[["Country", "Date", "Name"]].assign(
        Country=current["Country"].astype(object).where(current["Country"].notna(), "").astype(str).str.strip().str.upper(),
        Date=pd.to_datetime(current["Date"], errors="coerce"),
    )
    listed = pd.MultiIndex.from_frame(generated[["Country", "Date"]])
    kept = kept[~pd.MultiIndex.from_frame(kept[["Country", "Date"]]).isin(listed)]
    rows = pd.concat([generated, kept], ignore_index=True) if len(kept) else generated
    return rows.sort_values(["Country", "Date"], kind="stable", ignore_index=True)


def availability_rows(tables: Tables, settings: Settings, weeks: int = AVAILABILITY_WEEKS) -> pd.DataFrame:
    """Booked days of every instructor and room in each ISO week, from the as-of week on, then leave.

    Rows: every instructor (Kind "Instructor") then every room (Kind "Room"),
    each with its Name, then one row (Kind "Leave") per instructor or room with
    an Unavailability row in the window; one column per week for ``weeks``
    consecutive weeks starting with the week of AsOfDate, headed by the week's Monday
    (``YYYY-MM-DD``). A booking cell counts the calendar days of non-cancelled sessions
    holding the resource that fall in the week (blank when free; above 5 when a weekend is
    booked too, or when double-booked); a leave cell counts the weekdays (Mon-Fri) it is
    unavailable (blank when none). The headless twin colours the weeks with leave apart
    (:func:`ilt_xl.workbook.new_sheet.set_availability_colours`).
    """
    s = _settings(settings)
    as_of = pd.Timestamp(s["AsOfDate"]).normalize()
    first_monday = (as_of - pd.Timedelta(days=as_of.weekday())).to_datetime64().astype("datetime64[D]")
    mondays = first_monday + 7 * np.arange(weeks)
    labels = [str(monday) for monday in mondays]  # the week's Monday, YYYY-MM-DD: read at a glance
    sessions = tables["Sessions"]
    live = (sessions["Status"].astype(str).str.strip().str.lower() != "cancelled").to_numpy()
    start = pd.to_datetime(sessions["StartDate"], errors="coerce").to_numpy("datetime64[D]")
    end = pd.to_datetime(sessions["EndDate"], errors="coerce").to_numpy("datetime64[D]")
    ok = live & ~np.isnat(start) & ~np.isnat(end) & (end >= start)
    row, week = _week_of_days(start[ok], end[ok], first_monday)
    parts = []
    names = {}
    for kind, column, repo, key in (("Instructor", "InstructorId", "Instructors", "InstructorId"), ("Room", "RoomId", "Rooms", "RoomId")):
        ids = sessions[column].astype(object).where(sessions[column].notna(), "").astype(str).str.strip().to_numpy(object)[ok]
        repository = tables[repo]
        keys = repository[key].astype(str).str.strip()
        names.update(zip(keys.str.upper(), zip(keys, repository["Name"].to_numpy(object))))
        parts.append(_week_grid(kind, ids[row], week, weeks, keys.to_numpy(object), repository["Name"].to_numpy(object), labels))
    leave = resources.leave_days(tables.get("Unavailability"))
    if len(leave):
        days = resources.EPOCH + leave[["first", "last"]].to_numpy("int64").astype("timedelta64[D]")
        row, week, weekday = _week_of_days(days[:, 0], days[:, 1], first_monday, weekdays=True)
        held = leave["Resource"].to_numpy(object)[row][weekday]
        shown = [names.get(r.upper(), (r, "")) for r in pd.unique(pd.Series(held[(week[weekday] >= 0) & (week[weekday] < weeks)]).str.upper())]
        if shown:
            parts.append(_week_grid("Leave", held, week[weekday], weeks, np.array([k for k, _ in shown], dtype=object),
                                    np.array([n for _, n in shown], dtype=object), labels))
    return pd.concat(parts, ignore_index=True)


def _week_of_days(first: np.ndarray, last: np.ndarray, first_monday: np.datetime64, weekdays: bool = False):
    """Every day of the ranges first..last: (range index, week number from ``first_monday``[, is Mon-Fri])."""
    length = (last - first).astype("int64") + 1
    row = np.repeat(np.arange(len(first)), length)
    day = first[row] + (np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length))
    week = ((day - first_monday).astype("int64")) // 7
    if weekdays:
        return row, week, ((day - first_monday).astype("int64") % 7) < FULL_WEEK_DAYS
    return row, week


def _week_grid(kind: str, resource: np.ndarray, week: np.ndarray, weeks: int, keys: np.ndarray, names: np.ndarray,
               labels: list[str]) -> pd.DataFrame:
    """Rows ``kind``, one per key: days of ``resource`` (matched case-insensitively) per week of the window."""
    counted = (week >= 0) & (week < weeks) & (resource != "")
    booked = pd.crosstab(pd.Series(resource[counted]).str.upper(), week[counted])
    grid = booked.reindex(index=pd.Series(keys).str.upper().to_numpy(), columns=range(weeks), fill_value=0).fillna(0)
    days = grid.to_numpy("float64")
    frame = pd.DataFrame(np.where(days == 0, np.nan, days), columns=labels)  # nothing: a blank cell, not a 0
    frame.insert(0, "Name", names)
    frame.insert(0, "Resource", keys)
    frame.insert(0, "Kind", kind)
    return frame


def proposal_rows(tables: Tables, settings: Settings, kind: str, new: pd.DataFrame) -> pd.DataFrame:
    """The Proposals table with ``new`` in place of the rows of ``kind`` (Assign or Merge) that were not
    applied; the other kind's rows, and rows already applied or skipped, stay (a record of what was done)."""
    current = tables.get("Proposals")
    if current is None or current.empty:
        return new.reset_index(drop=True)
    outcome = current["Outcome"].astype(object).where(current["Outcome"].notna(), "").astype(str)
    replaced = (current["Kind"].astype(str) == kind).to_numpy() & outcome.isin(["", "Proposed", "Infeasible"]).to_numpy()
    kept = current.loc[~replaced, list(new.columns)]
    if not len(kept) or not len(new):
        return (new if not len(kept) else kept).reset_index(drop=True)
    # A column blank in one kind (MergeInto of Assign rows) takes its dtype from the other kind
    both = [frame.dropna(axis=1, how="all") for frame in (kept, new)]
    return pd.concat(both, ignore_index=True).reindex(columns=new.columns)


def optimise_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """Proposals of :func:`ilt_xl.core.optimise.optimise` with its default options (the macro's; the command has options)."""
    from ilt_xl.core.optimise import ASSIGN, optimise

    return proposal_rows(tables, settings, ASSIGN, optimise(tables, settings).proposals)


def merge_rows(tables: Tables, settings: Settings) -> pd.DataFrame:
    """Proposals of :func:`ilt_xl.core.merge.merge_advice` with its default options."""
    from ilt_xl.core.merge import MERGE, merge_advice

    return proposal_rows(tables, settings, MERGE, merge_advice(tables, settings))


def problem_rows(problems: list) -> pd.DataFrame:
    """The reader's problems (:class:`ilt_xl.workbook.problems.Problem`) as Problems-table rows, errors first."""
    from ilt_xl.workbook.problems import display_value
    from ilt_xl.workbook.validate import ordered

    listed = ordered(problems)
    return pd.DataFrame({
        "Severity": [p.severity for p in listed],
        "Sheet": [p.sheet or "" for p in listed],
        "Cell": [p.cell or (str(p.row) if p.row else "") for p in listed],
        "Column": [p.column or "" for p in listed],
        "Value": [display_value(p.value) if p.value is not None else "" for p in listed],
        "Expected": [p.expected for p in listed],
        "Message": [p.message for p in listed],
    }, columns=PROBLEM_COLUMNS)


@dataclass(frozen=True)
class Macro:
    """One macro: the table it writes and how its rows are computed.

    ``reshape`` tables change columns from run to run (Availability's weeks);
    ``created`` tables are added as a new sheet when the workbook lacks them;
    ``refreshed`` macros are run by ``ilt-xl refresh`` (not the optimiser and the
    merge advisor: they propose, and take their time).
    """

    name: str
    table: str
    help: str
    rows: Callable[[Tables, Settings], pd.DataFrame]
    reshape: bool = False
    created: bool = False
    refreshed: bool = True


MACROS: dict[str, Macro] = {m.name: m for m in (
    Macro("checklist", "Checklist", "Build or refresh the Checklist tab, keeping statuses, done dates and notes.", checklist_rows),
    Macro("allocate", "Allocation", "Build the Allocation ledger: each session's cost split over its enrolment lines.", allocation_rows),
    Macro("conflicts", "Conflicts", "Fill the Conflicts tab: double bookings, skills, capacity, available days.", conflict_rows),
    Macro("budget", "Budget", "Refresh Actual, Committed and Forecast of the Budget tab, keeping budgets and rows.",
          budget_rows),
    Macro("fx", "FX", "Write the ECB rates the sessions use into the FX tab, keeping manual rows.", fx_rows),
    Macro("holidays", "Holidays", "Write the public holidays of the sessions' countries and years into the Holidays tab, "
          "keeping rows you added.", holiday_rows, created=True),
    Macro("availability", AVAILABILITY, "Refresh the Availability tab: instructors and rooms x weeks, booked days, coloured free/booked/over/leave.",
          availability_rows, reshape=True, created=True),
    Macro("optimise", "Proposals", "Propose instructors and rooms for the Planned sessions at the lowest cost (Proposals tab).",
          optimise_rows, created=True, refreshed=False),
    Macro("merge-advice", "Proposals", "Propose merging under-filled Planned sessions into another of the same course.",
          merge_rows, created=True, refreshed=False),
)}
