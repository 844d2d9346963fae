"""Budget against actual, committed and forecast cost, per fiscal year x business unit (x country).

All figures are in the reporting currency and come from allocation ledgers
(``ilt_xl.core.allocation``: shares, largest-remainder rounding and FX with rate
date and source, per the FxDatePolicy setting):

- **Actual**: the ledger amounts of Delivered sessions and of cancelled sessions' fees;
- **Committed**: the ledger amounts of Confirmed sessions;
- **Forecast**: Planned sessions at forecast headcount. Each enrolment line
  expects the larger of its Reserved seats and its Registered learners; a
  planned session expects F learners: its ForecastLearners (its Registered
  learners when blank), or more when its lines expect more. Its forecast cost
  FixedCost + VariableCostPerLearner x F is split by expected learners: each
  line its own, and the learners no line accounts for (F less the lines'
  expectations) to "(unallocated)" (whatever the session's AllocationKey: a
  forecast has no attendance yet). So a session with 1 of 9 expected learners
  registered charges that line 1/9 and leaves 8/9 unallocated, listed by
  session, until seats are reserved.
- Cancelled sessions count only their cancellation fee (``Sessions[CancellationFee]``), under Actual: the
  fee is incurred, and allocated by the session's key like any fixed cost.

A session belongs to the fiscal year of its StartDate (FiscalYearStartMonth;
see ``ilt_xl.core.fiscal_years``). A figure is NaN when one of its amounts is
unknown: a session whose cost the workbook shows as an error (unknown course,
room, instructor), or a missing FX rate; nothing unknown is silently counted as 0.

Budget rows with a blank Country cover the whole business unit; rows with a
Country cover that country only. A business unit's budget is meant to be
either one row or country rows (``check`` warns about a mix); where a year
has both, the whole-BU row covers only the countries without a row of their
own, so no cost is counted twice and the rows add up to the BU's total. Variance = Budget -
(Actual + Committed + Forecast), as the workbook's formula, blanks counting 0.
"""
from __future__ import annotations

import math

from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import allocation, cost_lines
from ilt_xl.core.fiscal_years import fiscal_year
from ilt_xl.core.sessions import id_key, money, session_table, setting
from ilt_xl.schema.planner import BUDGET

FIGURES = ("Actual", "Committed", "Forecast")
FORECAST_FIGURES = ("ForecastP50", "ForecastP90")
"""Budget columns the forecast command writes (:mod:`ilt_xl.core.forecast`); the budget command keeps them."""
_STATUS_FIGURE = {"delivered": "Actual", "confirmed": "Committed", "cancelled": "Actual"}
"""A cancelled session's cancellation fee is incurred: Actual (cost_lines.charged keeps only the fee)."""
_REPEAT = "\x00#"   # joins a duplicate SessionId to its row position (no typed id holds a NUL)


def _allocate(sessions: pd.DataFrame, tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], method: str) -> pd.DataFrame:
    manual = tables.get("FX")
    return allocation.allocate(
        sessions,
        tables["Enrolments"],
        method=method,
        reporting_currency=str(setting(settings, "ReportingCurrency")),
        fx_date_policy=str(setting(settings, "FxDatePolicy")),
        budget_rate_date=settings.get("BudgetRateDate"),
        manual_rates=manual if manual is not None and not manual.empty else None,
    )


def _status(status: pd.Series) -> pd.Series:
    return status.astype(object).where(status.notna(), "").astype(str).str.strip().str.lower()


def forecast_learners(sessions: pd.DataFrame, expected: np.ndarray | None = None) -> np.ndarray:
    """F of the forecast rule: ForecastLearners when entered, else Registered; at least ``expected`` (the learners
    the session's enrolment lines expect, :func:`expected_lines`) when given."""
    forecast = pd.to_numeric(sessions["ForecastLearners"], errors="coerce").to_numpy("float64")
    f = np.where(np.isnan(forecast), pd.to_numeric(sessions["Registered"], errors="coerce").to_numpy("float64"), forecast)
    return f if expected is None else np.fmax(f, expected)


def expected_lines(enrolments: pd.DataFrame) -> pd.DataFrame:
    """The enrolment lines with Registered replaced by the learners each expects: the larger of its Reserved seats
    and its Registered learners (a blank counts 0)."""
    registered = pd.to_numeric(enrolments["Registered"], errors="coerce").fillna(0.0)
    reserved = (pd.to_numeric(enrolments["Reserved"], errors="coerce").fillna(0.0) if "Reserved" in enrolments
                else pd.Series(0.0, index=enrolments.index))
    return enrolments.assign(Registered=np.fmax(registered, reserved).to_numpy("float64"))


def _forecast_lines(planned: pd.DataFrame, enrolments: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(the planned sessions' lines by expected learners plus one "(unallocated)" line per session for the learners
    no line accounts for, each session's F)."""
    lines = expected_lines(enrolments)
    by_session = lines.groupby(id_key(lines["SessionId"]).to_numpy(), sort=False)["Registered"].sum()
    expected = id_key(planned["SessionId"]).map(by_session).fillna(0.0).to_numpy("float64")
    f = forecast_learners(planned, expected)
    rest = np.nan_to_num(f - expected, nan=0.0)
    open_seats = pd.DataFrame({"SessionId": planned["SessionId"].to_numpy(object)[rest > 0],
                               "BusinessUnit": allocation.UNALLOCATED, "Country": "", "Registered": rest[rest > 0]})
    return pd.concat([lines, open_seats], ignore_index=True), f


def cost_ledgers(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], sessions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ledger lines behind the plan figures: the allocation ledger of Delivered and
    Confirmed sessions and the forecast ledger of Planned ones, with columns Figure
    (Actual, Committed or Forecast) and Year added.

    ``sessions`` is the Sessions table with calculated columns (computed when omitted).
    AmountReporting is NaN where the session's cost or the FX rate is unknown. A session
    whose status is none of Planned, Confirmed, Delivered or Cancelled counts nowhere, and
    each occurrence of a duplicated SessionId counts under its own status and date.
    """
    if sessions is None:
        sessions = session_table(tables, settings)
    sessions = sessions.reset_index(drop=True)
    # A duplicate SessionId (a validator error) must not borrow its twin's status, date or cost: later
    # occurrences get a key of their own for the computation; their enrolment lines stay with the
    # first occurrence, as in allocation.allocate.
    ids = sessions["SessionId"].astype(object)
    repeat = ids.duplicated(keep="first").to_numpy()
    if repeat.any():
        ids = ids.copy()
        ids[repeat] = ids[repeat].astype(str) + _REPEAT + sessions.index[repeat].astype(str)
        sessions = sessions.assign(SessionId=ids)
    status = _status(sessions["Status"])
    method = str(setting(settings, "AllocationMethod"))
    booked = cost_lines.charged(sessions[status.isin(list(_STATUS_FIGURE)).to_numpy()])
    planned = sessions[(status == "planned").to_numpy()]
    forecast_lines, f = _forecast_lines(planned, tables["Enrolments"])
    forecast_cost = planned["FixedCost"].to_numpy("float64") + planned["VariableCostPerLearner"].to_numpy("float64") * f
    # A closed planned session (rare) is forecast from its frozen fixed cost and rate, at today's headcount.
    as_forecast = planned.assign(FixedCost=forecast_cost, VariableCostPerLearner=0.0, AllocationKey="",
                                 FrozenVariableCost=np.nan, FrozenCostReporting=np.nan)
    parts = []
    for frame, figure in ((booked, None), (as_forecast, "Forecast")):
        lines = forecast_lines if figure else tables["Enrolments"]
        ledger = _allocate(frame, {**tables, "Enrolments": lines}, settings, "headcount" if figure else method)
        info = frame.assign(_key=id_key(frame["SessionId"])).drop_duplicates("_key").set_index("_key")
        key = id_key(ledger["SessionId"]).to_numpy(object)
        cost = (info["FixedCost"] if figure else info["SessionCost"]).reindex(key).to_numpy("float64")
        ledger.loc[np.isnan(cost), "AmountReporting"] = np.nan
        ledger["Figure"] = figure or _status(info["Status"].reindex(key).reset_index(drop=True)).map(_STATUS_FIGURE).to_numpy()
        ledger["Year"] = fiscal_year(info["StartDate"].reindex(key).to_numpy("datetime64[D]"), int(setting(settings, "FiscalYearStartMonth")))
        parts.append(ledger)
    lines = pd.concat(parts, ignore_index=True)
    if repeat.any():
        lines["SessionId"] = lines["SessionId"].astype(str).str.partition(_REPEAT)[0]
    return lines


def unallocated_forecast(ledgers: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """The planned sessions whose forecast is partly "(unallocated)" (from :func:`cost_ledgers`' lines), for a
    coordinator to reserve seats on: SessionId, CourseId, StartDate, ForecastLearners and the Amount left
    unallocated (reporting currency), by start date."""
    open_lines = ledgers[(ledgers["Figure"] == "Forecast") & (ledgers["BusinessUnit"] == allocation.UNALLOCATED)]
    amounts = open_lines.groupby("SessionId", sort=False)["AmountReporting"].sum()
    info = sessions.drop_duplicates("SessionId").set_index("SessionId").reindex(amounts.index)
    out = pd.DataFrame({"SessionId": amounts.index, "CourseId": info["CourseId"].to_numpy(object),
                        "StartDate": info["StartDate"].to_numpy(), "ForecastLearners": info["ForecastLearners"].to_numpy(),
                        "Amount": amounts.to_numpy("float64")})
    return out.sort_values(["StartDate", "SessionId"], kind="stable", ignore_index=True)


def _nan_aware_sum(frame: pd.DataFrame, by: list[str], value: str) -> pd.Series:
    """Group sums that are NaN when any summand is NaN (an unknown amount makes the total unknown)."""
    grouped = frame.groupby(by, sort=True, dropna=False)[value]
    total = grouped.sum()
    unknown = frame[value].isna().groupby([frame[b] for b in by], sort=True, dropna=False).sum()
    return total.where(unknown.reindex(total.index) == 0)


def plan_figures(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], sessions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Actual, Committed and Forecast per Year x BusinessUnit x Country (reporting currency).

    Unallocated costs appear under BusinessUnit "(unallocated)" with a blank Country.
    """
    lines = cost_ledgers(tables, settings, sessions)
    lines["Country"] = lines["Country"].astype(object).where(lines["Country"].notna(), "")
    sums = _nan_aware_sum(lines, ["Year", "BusinessUnit", "Country", "Figure"], "AmountReporting")
    figures = sums.unstack("Figure").reindex(columns=list(FIGURES))
    # A figure with no ledger line in a group is 0, not unknown.
    present = lines.groupby(["Year", "BusinessUnit", "Country", "Figure"]).size().unstack("Figure").reindex(columns=list(FIGURES))
    figures = figures.where(present.notna(), 0.0)
    return figures.reset_index().rename_axis(columns=None)


def budget_table(
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, object],
    sessions: pd.DataFrame | None = None,
    include_unbudgeted: bool = True,
) -> pd.DataFrame:
    """The Budget table with Actual, Committed, Forecast and Variance filled in.

    Each budget row sums the figures of its year and business unit (and country,
    when given); BusinessUnit and Country match case-insensitively. With
    ``include_unbudgeted``, figures no budget row covers are appended as rows
    with Budget 0, one per Year x BusinessUnit x Country, so no cost is left out.
    """
    if sessions is None:
        sessions = session_table(tables, settings)
    figures = plan_figures(tables, settings, sessions)
    budget = tables["Budget"][["Year", "BusinessUnit", "Country", "Budget"]].reset_index(drop=True).copy()
    budget["Country"] = budget["Country"].astype(object).where(budget["Country"].notna(), "")
    year = pd.to_numeric(budget["Year"], errors="coerce").astype("Int64")
    f_key = pd.DataFrame({"Year": figures["Year"].astype("Int64"), "bu": id_key(figures["BusinessUnit"]), "country": id_key(figures["Country"])})
    b_key = pd.DataFrame({"Year": year, "bu": id_key(budget["BusinessUnit"]), "country": id_key(budget["Country"])})
    whole_bu = (b_key["country"] == "").to_numpy()

    out = budget.copy()
    covered = np.zeros(len(figures), dtype=bool)
    # A figure whose country has a row of its own is counted there only, never also on a whole-BU row of its
    # year and business unit (that row covers the BU's other countries): no cost is counted twice.
    own_row = pd.MultiIndex.from_frame(f_key).isin(pd.MultiIndex.from_frame(b_key[~whole_bu].dropna(subset=["Year"])))
    for level, rows in (("country", ~whole_bu), ("bu", whole_bu)):
        on = ["Year", "bu"] if level == "bu" else ["Year", "bu", "country"]
        candidates = f_key[~own_row] if level == "bu" else f_key
        joined = b_key[rows].reset_index().merge(candidates.reset_index(), on=on, suffixes=("", "_f"))
        covered[joined["index_f"].to_numpy()] = True
        for figure in FIGURES:
            values = figures[figure].to_numpy("float64")[joined["index_f"].to_numpy()]
            # fsum: the correctly rounded sum, whatever the pandas version (pandas 2's compensated
            # groupby sum and pandas 3's differ in the last digit).
            summed = pd.Series(values).groupby(joined["index"].to_numpy()).agg(math.fsum)
            unknown = pd.Series(np.isnan(values)).groupby(joined["index"].to_numpy()).any()
            summed[unknown] = np.nan
            target = np.flatnonzero(rows)
            out.loc[target, figure] = summed.reindex(target).fillna(0.0).where(~unknown.reindex(target, fill_value=False)).to_numpy()
    if include_unbudgeted and (~covered).any():
        extra = figures[~covered].assign(Budget=0.0)
        out = pd.concat([out, extra[["Year", "BusinessUnit", "Country", "Budget", *FIGURES]]], ignore_index=True)
    reporting = str(setting(settings, "ReportingCurrency"))
    for figure in FIGURES:  # sums of cents, re-rounded: the same figure the report and the Dashboard show
        out[figure] = money(out[figure].astype("float64").to_numpy(), reporting)
    budget_amount = pd.to_numeric(out["Budget"], errors="coerce").fillna(0.0)
    out["Variance"] = budget_amount - out[list(FIGURES)].sum(axis=1, min_count=len(FIGURES))
    # The cost lines' stages allocated by the Allocation tab as it stands (the workbook's SUMIFS over it).
    ledger = tables.get("Allocation")
    if ledger is None or ledger.empty:
        ledger = pd.DataFrame({c: pd.Series(dtype=object) for c in ("SessionId", "BusinessUnit", "Country", "Share")})
    stages = cost_lines.budget_lines(ledger, sessions, out, settings)[1]
    for column in stages.columns:
        out[column] = stages[column].to_numpy("float64")
    # The forecast command's projection is kept as it stands (added rows have none).
    for column in FORECAST_FIGURES:
        kept = tables["Budget"][column] if column in tables["Budget"].columns else pd.Series(np.nan, index=tables["Budget"].index)
        out[column] = pd.to_numeric(kept, errors="coerce").reset_index(drop=True).reindex(out.index).to_numpy("float64")
    return out[list(BUDGET.column_names)]

