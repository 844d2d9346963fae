"""Training KPIs by fiscal year, with the change on the year before, at actual and constant currency.

A session belongs to the fiscal year of its StartDate (FiscalYearStartMonth).
Per year:

==========================  ==========================================================
SessionsDelivered           Delivered sessions
SessionsCancelled           Cancelled sessions
CancellationRate            cancelled / all sessions of the year (every status)
AverageOccupancy            mean Occupancy of the delivered sessions (errors skipped)
NoShowRate                  1 - attended / registered, delivered sessions
Fill                        attended / capacity, delivered sessions (seats actually used)
Learners                    sum of Learners of the delivered sessions (attended)
LearnerHours                sum of their LearnerHours
TotalCost                   sum of their SessionCost and of the cancelled sessions'
                            cancellation fees in the reporting currency, each at the
                            rate of its StartDate (actual FX) and rounded to the cent
CostPerLearner              TotalCost / Learners
CostPerLearnerHour          TotalCost / LearnerHours
TotalCostConstant           the same sessions' SessionCost at *constant currency*: every
                            amount converted at the rate of the last day of the
                            previous fiscal year (the latest rate on or before that
                            day: the previous year's closing rate)
CostPerLearnerConstant      TotalCostConstant / Learners
CostPerLearnerHourConstant  TotalCostConstant / LearnerHours
InstructorUtilisation       delivered training days of all instructors / their
                            available days (``ilt_xl.core.resources``)
RoomUtilisation             delivered days in all rooms / their working days
==========================  ==========================================================

Year to date: with ``through`` (a date, normally AsOfDate), every fiscal year counts only
its sessions that start by the same day of its year as ``through`` (2025-01-01..2025-06-15
against 2026-01-01..2026-06-15), and the utilisations compare with the available or
working days of that part of the year (prorated by calendar days), so a part-year is
compared with the same part of earlier years, never with their full years.

The year-over-year columns compare a year with the year before: Previous is
the previous year's value of the same KPI, except for the constant-currency
KPIs, whose Previous is the previous year's *actual* figure (this year's
volume at last year's rates against last year as reported, so that the change
excludes exchange-rate moves). Change = Value - Previous, ChangeRatio =
Value / Previous - 1 (NaN when Previous is 0 or unknown). For the rates (:data:`RATES`) the
change that means something is Change, in points (x 100), not ChangeRatio.

Money KPIs are NaN when a delivered session's cost is an error in the workbook
or a rate is missing: an unknown amount is never counted as 0.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import cost_lines, fx
from ilt_xl.core.fiscal_years import fiscal_year, year_end, year_start
from ilt_xl.core.resources import instructor_utilisation, room_utilisation
from ilt_xl.core.sessions import money, session_table, setting

KPIS = (
    "SessionsDelivered", "SessionsCancelled", "CancellationRate", "AverageOccupancy", "NoShowRate", "Fill",
    "Learners", "LearnerHours",
    "TotalCost", "CostPerLearner", "CostPerLearnerHour",
    "TotalCostConstant", "CostPerLearnerConstant", "CostPerLearnerHourConstant",
    "InstructorUtilisation", "RoomUtilisation",
)
"""KPI names, in report order."""

RATES = ("CancellationRate", "AverageOccupancy", "NoShowRate", "Fill", "InstructorUtilisation", "RoomUtilisation")
"""The KPIs that are shares: their change is reported in percentage points."""

CONSTANT_OF = {
    "TotalCostConstant": "TotalCost",
    "CostPerLearnerConstant": "CostPerLearner",
    "CostPerLearnerHourConstant": "CostPerLearnerHour",
}
"""Each constant-currency KPI and the actual-FX KPI its year-over-year change is measured against."""


def _sum_or_nan(values: pd.Series, by: np.ndarray) -> pd.Series:
    grouped = pd.Series(values.to_numpy("float64")).groupby(by)
    return grouped.sum().where(~grouped.apply(lambda v: v.isna().any()))


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num / den).where(den != 0)


def _same_part_of_year(starts: np.ndarray, through: pd.Timestamp, start_month: int) -> tuple[np.ndarray, np.ndarray]:
    """(whether each date falls in its fiscal year no later than ``through`` falls in its own,
    share of its year that part covers)."""
    def position(dates):
        dates = np.asarray(dates, dtype="datetime64[D]")
        months = dates.astype("datetime64[M]")
        into = (months.astype("int64") - (start_month - 1)) % 12
        return into, (dates - months.astype("datetime64[D]")).astype("int64")

    into, day = position(starts)
    t_into, t_day = position(np.array([through.to_datetime64()]))
    inside = (into < t_into[0]) | ((into == t_into[0]) & (day <= t_day[0]))
    year = fiscal_year(np.array([through.to_datetime64()], dtype="datetime64[D]"), start_month)
    first = year_start(year, start_month)[0]
    elapsed = (np.datetime64(through.date(), "D") - first).astype("int64") + 1
    length = (year_end(year, start_month)[0] - first).astype("int64") + 1
    return inside & ~np.isnat(np.asarray(starts, dtype="datetime64[D]")), elapsed / length


def kpis_by_year(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], sessions: pd.DataFrame | None = None,
    *, through: object = None,
) -> pd.DataFrame:
    """The KPIs (columns, in :data:`KPIS` order) per fiscal year (index ``Year``, ascending).

    ``sessions`` is the Sessions table with calculated columns (computed when omitted). With
    ``through`` (a date), each year only up to the same day as ``through`` (year to date; see the
    module docstring).
    """
    if sessions is None:
        sessions = session_table(tables, settings)
    s = sessions.reset_index(drop=True)
    start_month = int(setting(settings, "FiscalYearStartMonth"))
    part = 1.0
    if through is not None:
        keep, part = _same_part_of_year(s["StartDate"].to_numpy("datetime64[D]"), pd.Timestamp(through), start_month)
        s = s[keep].reset_index(drop=True)
    reporting = str(setting(settings, "ReportingCurrency"))
    manual = tables.get("FX")
    manual = manual if manual is not None and not manual.empty else None
    year = fiscal_year(s["StartDate"].to_numpy("datetime64[D]"), start_month)
    status = s["Status"].astype(object).where(s["Status"].notna(), "").astype(str).str.strip().str.lower().to_numpy()
    years = np.array(sorted(set(year[year >= 0].tolist())), dtype="int64")
    out = pd.DataFrame(index=pd.Index(years, name="Year"))
    if not len(years):
        return out.reindex(columns=list(KPIS))

    counts = pd.crosstab(year, status).reindex(index=years, fill_value=0)
    delivered_n = counts.get("delivered", pd.Series(0, index=years))
    cancelled_n = counts.get("cancelled", pd.Series(0, index=years))
    out["SessionsDelivered"] = delivered_n.to_numpy("float64")
    out["SessionsCancelled"] = cancelled_n.to_numpy("float64")
    out["CancellationRate"] = _ratio(out["SessionsCancelled"], pd.Series(counts.sum(axis=1).to_numpy("float64"), index=out.index))

    d = s[status == "delivered"].reset_index(drop=True)
    d_year = year[status == "delivered"]
    out["AverageOccupancy"] = pd.Series(d["Occupancy"].to_numpy("float64")).groupby(d_year).mean().reindex(years).to_numpy()
    registered = _sum_or_nan(d["Registered"], d_year).reindex(years, fill_value=0.0)
    attended = _sum_or_nan(d["Attended"], d_year).reindex(years, fill_value=0.0)
    seats = _sum_or_nan(d["Capacity"], d_year).reindex(years, fill_value=0.0)
    out["NoShowRate"] = (1.0 - _ratio(attended, registered)).to_numpy()
    out["Fill"] = _ratio(attended, seats).to_numpy()
    out["Learners"] = _sum_or_nan(d["Learners"], d_year).reindex(years, fill_value=0.0).to_numpy()
    out["LearnerHours"] = _sum_or_nan(d["LearnerHours"], d_year).reindex(years, fill_value=0.0).to_numpy()

    # The cost of the delivered sessions and the cancelled ones' cancellation fees, as Budget's Actual counts them.
    paid = s.index.isin(cost_lines.charged(s[(status == "delivered") | (status == "cancelled")]).index)
    c, c_year = s[paid], year[paid]
    cost = c["SessionCost"].to_numpy("float64")
    currency = c["Currency"].astype(object).where(c["Currency"].notna(), "").to_numpy(object)
    actual, _ = fx.convert(cost, currency, reporting, c["StartDate"].to_numpy("datetime64[D]"), manual)
    if "FrozenCostReporting" in c:  # a closed session's cost is the one `ilt-xl close` stored
        frozen = pd.to_numeric(c["FrozenCostReporting"], errors="coerce").to_numpy("float64")
        actual = np.where(np.isnan(frozen), actual, frozen)
    constant, _ = fx.convert(cost, currency, reporting, year_end(c_year - 1, start_month), manual)
    for name, amounts in (("TotalCost", actual), ("TotalCostConstant", constant)):
        # Each session rounded to the cent, then summed (and the float sum re-rounded): the rule of
        # Sessions[CostReporting], the Allocation ledger and Budget, so the figures agree to the cent.
        total = _sum_or_nan(pd.Series(money(amounts, reporting)), c_year).reindex(years, fill_value=0.0).to_numpy()
        out[name] = money(total, reporting)
    for suffix in ("", "Constant"):
        out["CostPerLearner" + suffix] = _ratio(out["TotalCost" + suffix], out["Learners"])
        out["CostPerLearnerHour" + suffix] = _ratio(out["TotalCost" + suffix], out["LearnerHours"])

    leave = tables.get("Unavailability")
    inst = instructor_utilisation(s, tables["Instructors"], settings, start_month=start_month, years=list(years),
                                  unavailability=leave)
    inst = inst.groupby("Year")[["TrainingDays", "AvailableDays"]].sum().reindex(years)
    out["InstructorUtilisation"] = _ratio(inst["TrainingDays"], inst["AvailableDays"] * part)
    rooms = room_utilisation(s, tables["Rooms"], start_month=start_month, years=list(years), unavailability=leave)
    rooms = rooms.groupby("Year")[["BookedDays", "WorkingDays"]].sum().reindex(years)
    out["RoomUtilisation"] = _ratio(rooms["BookedDays"], rooms["WorkingDays"] * part)
    return out[list(KPIS)]


def year_over_year(by_year: pd.DataFrame) -> pd.DataFrame:
    """:func:`kpis_by_year`'s table in long form with the change on the previous year.

    Columns: Year, KPI, Value, Previous, Change, ChangeRatio (see the module
    docstring). The first year, and a year whose previous year has no
    sessions, has NaN Previous.
    """
    long = by_year.rename_axis("Year").reset_index().melt(id_vars="Year", var_name="KPI", value_name="Value")
    basis = long["KPI"].map(CONSTANT_OF).fillna(long["KPI"])
    previous = long.set_index(["Year", "KPI"])["Value"]
    prior_key = pd.MultiIndex.from_arrays([long["Year"] - 1, basis])
    long["Previous"] = previous.reindex(prior_key).to_numpy()
    long["Change"] = long["Value"] - long["Previous"]
    with np.errstate(divide="ignore", invalid="ignore"):
        long["ChangeRatio"] = np.where(long["Previous"] != 0, long["Value"] / long["Previous"] - 1.0, np.nan)
    order = {k: i for i, k in enumerate(KPIS)}
    return long.sort_values(["Year", "KPI"], key=lambda c: c.map(order) if c.name == "KPI" else c).reset_index(drop=True)


def kpi_report(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], sessions: pd.DataFrame | None = None,
    *, through: object = None,
) -> pd.DataFrame:
    """``year_over_year(kpis_by_year(...))``: every KPI of every year (to date with ``through``)
    with its change on the year before."""
    return year_over_year(kpis_by_year(tables, settings, sessions, through=through))
