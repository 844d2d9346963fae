"""The SessionCosts table: a session's cost lines, each in its own currency, and what they add to the session.

:func:`line_table` reproduces the calculated columns ``ilt_xl.schema.planner.SESSION_COSTS`` declares (and the
workbook evaluates), vectorised: each line looks up its session (first match, ids compared case-insensitively, as
MATCH does), takes its quantity (1, or the session's learners for a per-learner line) and converts its estimated,
committed and actual amounts to the session's currency at the session's FxDate with the FX table's rates, exactly as
the resource day rates are converted (:func:`ilt_xl.core.sessions.session_table_with_errors`). The amount in force is
the actual amount when invoiced, else the committed one, else the estimate.

:func:`session_sums` is what the Sessions columns add up with SUMIFS and COUNTIFS: per session, the lines of each
derived category (room, instructor, equipment: they replace the derived figure when the session has any), the
cancellation fees, the other lines (travel, catering, materials, venue, other) and the three stages. As SUMIFS does,
a sum shows the error of the first matching line that holds one.

Errors follow the workbook: ``#N/A`` for a line whose session is unknown (it then adds to no session) or whose
conversion lacks an FX rate; a session's own Currency error is passed on to its lines.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ilt_xl.core import excel_errors as xe
from ilt_xl.core import fx
from ilt_xl.core import sessions as session_core
from ilt_xl.core.fiscal_years import fiscal_year
from ilt_xl.schema.planner import CANCELLATION_FEE, DERIVED_CATEGORIES, SESSION_COSTS, WHOLE_BU

CALCULATED = tuple(c.name for c in SESSION_COSTS.calculated_columns)
STAGES = ("Estimated", "Committed", "Actual")
PER_LEARNER = "per learner"
FEE_STAGE = " of fees"
"""Suffix of the :func:`session_sums` keys of a stage's cancellation-fee lines (what a cancelled session shows)."""
OTHER = "other lines"
"""The :func:`session_sums` key of the lines neither derived nor a cancellation fee (Sessions[LinesCost])."""


class LineTable(NamedTuple):
    """SessionCosts with its calculated columns (``values``, the input's index) and each calculated cell's Excel
    error (``errors``: the calculated columns, ``None`` where the cell is a value)."""

    values: pd.DataFrame
    errors: pd.DataFrame


class SessionSums(NamedTuple):
    """Per session (aligned to the Sessions rows): ``amounts[key]`` and ``errors[key]`` for each key of
    :data:`DERIVED_CATEGORIES`, :data:`CANCELLATION_FEE`, :data:`OTHER`, :data:`STAGES` (lines other than fees) and
    each stage + :data:`FEE_STAGE` (fee lines), and ``counts[category]`` of the derived categories' lines
    (COUNTIFS)."""

    amounts: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]


def empty_lines() -> pd.DataFrame:
    """A SessionCosts table without rows (a planner made before the table existed)."""
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in SESSION_COSTS.input_columns})


def line_table(
    lines: pd.DataFrame | None, sessions: pd.DataFrame, session_errors: pd.DataFrame,
    fx_table: fx.RateTable | None, reporting: str,
) -> LineTable:
    """The SessionCosts table with its calculated columns and errors.

    ``sessions`` holds the Sessions columns the lines look up (SessionId, Currency, FxDate, Learners, FxRate) and
    ``session_errors`` their errors (Currency, FxRate), row for row.
    """
    lines = empty_lines() if lines is None else lines
    index = lines.index
    lines = lines.reset_index(drop=True)
    n = len(lines)
    looked, found = session_core.lookup(
        lines["SessionId"], sessions.assign(_row=np.arange(len(sessions))), "SessionId",
        ["Currency", "FxDate", "Learners", "FxRate", "_row"])
    row = np.where(found, looked["_row"].fillna(-1).to_numpy(), -1).astype(int)

    def of_session(errors: pd.Series) -> np.ndarray:
        # None where the session's cell is a value (a str column built from errors and None may hold NaN instead)
        cells = errors.to_numpy(object)
        cells = np.where(pd.isna(cells), None, cells).astype(object)
        return np.where(found, cells[row] if len(cells) else None, xe.NA).astype(object)

    out: dict[str, np.ndarray] = {}
    err: dict[str, np.ndarray] = {}
    none = np.full(n, None, dtype=object)
    na = np.where(found, None, xe.NA).astype(object)
    out["SessionCurrency"] = np.where(found, looked["Currency"].to_numpy(object), xe.NA)
    err["SessionCurrency"] = of_session(session_errors["Currency"])
    out["FxDate"] = np.where(found, looked["FxDate"].to_numpy("datetime64[D]"), np.datetime64("NaT"))
    err["FxDate"] = na
    per_learner = _lower(lines["Basis"]) == PER_LEARNER
    out["Quantity"] = np.where(per_learner, np.nan_to_num(looked["Learners"].to_numpy("float64"), nan=0.0), 1.0)
    err["Quantity"] = np.where(per_learner, na, None)
    out["Rate"], err["Rate"] = session_core.convert_to_session(
        session_core.text_cells(lines["Currency"]), out["SessionCurrency"], err["SessionCurrency"],
        np.where(found, out["FxDate"], session_core.SERIAL_ZERO), fx_table)
    has = {stage: ~session_core.blank(lines[stage]) for stage in STAGES}
    out["Stage"] = np.where(has["Actual"], "Actual", np.where(has["Committed"], "Committed", "Estimated")).astype(object)
    err["Stage"] = none
    stage_error = session_core.first_error(err["Quantity"], err["Rate"])
    for stage in STAGES:
        amount = np.nan_to_num(pd.to_numeric(lines[stage], errors="coerce").to_numpy("float64"), nan=0.0)
        out[stage + "Session"] = amount * out["Quantity"] * out["Rate"]
        err[stage + "Session"] = stage_error
    out["AmountSession"] = np.select([out["Stage"] == "Actual", out["Stage"] == "Committed"],
                                     [out["ActualSession"], out["CommittedSession"]], out["EstimatedSession"])
    err["AmountSession"] = stage_error
    fx_rate = np.where(found, looked["FxRate"].to_numpy("float64"), np.nan)
    out["AmountReporting"] = session_core.money(out["AmountSession"] * fx_rate, reporting)
    err["AmountReporting"] = session_core.first_error(err["AmountSession"], of_session(session_errors["FxRate"]))

    blank_key = session_core.blank(lines["SessionId"])
    errors = pd.DataFrame({c: np.where(blank_key, None, err[c]) for c in CALCULATED}, dtype=object)
    for name in CALCULATED:
        if name not in ("SessionCurrency", "Stage", "FxDate"):
            out[name] = np.where(np.equal(errors[name].to_numpy(), None) & ~blank_key, out[name], np.nan).astype("float64")
    values = pd.concat([lines[[c.name for c in SESSION_COSTS.input_columns]],
                        pd.DataFrame({c: out[c] for c in CALCULATED})], axis=1)
    values.index = errors.index = index
    return LineTable(values, errors)


def session_sums(table: LineTable, session_ids: pd.Series) -> SessionSums:
    """What each session's SUMIFS/COUNTIFS over SessionCosts give (see :class:`SessionSums`)."""
    values, errors = table.values.reset_index(drop=True), table.errors.reset_index(drop=True)
    key = session_core.id_key(values["SessionId"]).to_numpy(object)
    wanted = session_core.id_key(session_ids).to_numpy(object)
    category = _lower(values["Category"])
    derived_or_fee = np.isin(category, (*DERIVED_CATEGORIES, CANCELLATION_FEE))
    amounts: dict[str, np.ndarray] = {}
    sum_errors: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    selections = {c: (category == c, "AmountSession") for c in (*DERIVED_CATEGORIES, CANCELLATION_FEE)}
    selections[OTHER] = (~derived_or_fee, "AmountSession")
    fee = category == CANCELLATION_FEE
    selections.update({stage: (~fee, stage + "Session") for stage in STAGES})
    selections.update({stage + FEE_STAGE: (fee, stage + "Session") for stage in STAGES})
    for name, (chosen, column) in selections.items():
        amounts[name], sum_errors[name], count = _sum_by(key[chosen], values[column].to_numpy("float64")[chosen],
                                                         errors[column].to_numpy(object)[chosen], wanted)
        if name in DERIVED_CATEGORIES:
            counts[name] = count
    return SessionSums(amounts, sum_errors, counts)


def _sum_by(key: np.ndarray, amount: np.ndarray, error: np.ndarray, wanted: np.ndarray):
    """(sum, first error, count) of the lines of each ``wanted`` key; blanks and text count 0 in the sum."""
    frame = pd.DataFrame({"key": key, "amount": np.nan_to_num(amount, nan=0.0), "error": error})
    frame = frame[pd.notna(frame["key"])]
    grouped = frame.groupby("key", sort=False)
    sums = grouped["amount"].sum()
    counts = grouped.size()
    first_error = frame[pd.notna(frame["error"])].drop_duplicates("key").set_index("key")["error"]
    wanted_index = pd.Index(wanted)
    errors = np.array(first_error.reindex(wanted_index).to_numpy(object), dtype=object)
    errors[pd.isna(errors)] = None
    return (sums.reindex(wanted_index).fillna(0.0).to_numpy("float64"), errors,
            counts.reindex(wanted_index).fillna(0).to_numpy("int64"))


def _lower(values: pd.Series) -> np.ndarray:
    return np.char.lower(session_core.text_cells(values).astype(str)).astype(object)


def converted_legs(tables: dict[str, pd.DataFrame], session_dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(currency, date) of every line's conversion to its session's currency: the line's currency (upper case, ""
    for none or a line of an unknown session) and its session's FxDate (``session_dates``, aligned to Sessions)."""
    lines = tables.get("SessionCosts")
    if lines is None or lines.empty:
        return np.array([], dtype=object), np.array([], dtype="datetime64[D]")
    sessions = tables["Sessions"]
    looked, found = session_core.lookup(lines["SessionId"], pd.DataFrame(
        {"SessionId": sessions["SessionId"].to_numpy(object), "_row": np.arange(len(sessions))}), "SessionId", ["_row"])
    row = np.where(found, looked["_row"].fillna(0).to_numpy(), 0).astype(int)
    currency = np.char.upper(session_core.text_cells(lines["Currency"]).astype(str)).astype(object)
    dates = np.asarray(session_dates, dtype="datetime64[D]")
    return np.where(found, currency, ""), (dates[row] if len(dates) else np.full(len(lines), np.datetime64("NaT", "D")))


def charged(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions (Sessions with calculated columns) the ledger charges: every one not cancelled, and the cancelled
    ones with a cancellation fee (non-zero, or unknown: an error the ledger then shows as unknown). A cancelled
    session's FixedCost is its fee and its variable cost per learner 0: the fee is all it is charged, allocated by
    the session's key like any fixed cost."""
    cancelled = _lower(sessions["Status"]) == "cancelled"
    fee = sessions["CancellationFee"].to_numpy("float64")
    kept = sessions[~cancelled | np.isnan(fee) | (fee != 0)]
    cancelled_kept = (_lower(kept["Status"]) == "cancelled")
    return kept.assign(VariableCostPerLearner=np.where(cancelled_kept, 0.0, kept["VariableCostPerLearner"].to_numpy("float64")))


def budget_lines(ledger: pd.DataFrame, sessions: pd.DataFrame, budget: pd.DataFrame,
                 settings: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the Allocation ledger's calculated columns, Budget's LinesEstimated/Committed/Actual), as the workbook's
    formulas compute them: each ledger line takes its Share of its session's Lines stages, converted at the session's
    FxRate and rounded to the cent, and counts in the Budget row of its year, business unit and country, or in the
    business unit's whole-BU row (BudgetCountry :data:`WHOLE_BU`) when its country has no row of its own. A figure is
    NaN where an amount it adds is unknown (an Excel error there)."""
    reporting = str(session_core.setting(settings, "ReportingCurrency"))
    start_month = int(session_core.setting(settings, "FiscalYearStartMonth"))
    looked, found = session_core.lookup(ledger["SessionId"], sessions, "SessionId",
                                        ["StartDate", "FxRate", *(f"Lines{stage}" for stage in STAGES)])
    out = pd.DataFrame(index=ledger.index)
    year = fiscal_year(pd.to_datetime(looked["StartDate"]).to_numpy("datetime64[D]"), start_month)
    out["Year"] = np.where(found & (year >= 0), year, np.nan)
    budget_keys = set(zip(pd.to_numeric(budget["Year"], errors="coerce"), session_core.id_key(budget["BusinessUnit"]),
                          session_core.id_key(budget["Country"])))
    country = session_core.text_cells(ledger["Country"])
    bu_key, country_key = session_core.id_key(ledger["BusinessUnit"]).to_numpy(object), pd.Series(country).str.lower()
    own_row = np.array([(y, b, c) in budget_keys for y, b, c in zip(out["Year"], bu_key, country_key)], dtype=bool)
    out["BudgetCountry"] = np.where((country != "") & own_row, country, WHOLE_BU).astype(object)
    share = pd.to_numeric(ledger["Share"], errors="coerce").to_numpy("float64")
    rate = looked["FxRate"].to_numpy("float64")
    for stage in STAGES:
        out[f"Lines{stage}"] = session_core.money(share * looked[f"Lines{stage}"].to_numpy("float64") * rate, reporting)
    keys = pd.MultiIndex.from_arrays([out["Year"], bu_key, out["BudgetCountry"].str.lower()])
    figures = pd.DataFrame(index=budget.index)
    budget_country = session_core.text_cells(budget["Country"])
    wanted = pd.MultiIndex.from_arrays([pd.to_numeric(budget["Year"], errors="coerce"),
                                        session_core.id_key(budget["BusinessUnit"]).to_numpy(object),
                                        pd.Series(np.where(budget_country == "", WHOLE_BU, budget_country)).str.lower()])
    for stage in STAGES:
        amounts = pd.Series(out[f"Lines{stage}"].to_numpy("float64"), index=keys)
        sums = amounts.groupby(level=[0, 1, 2]).sum(min_count=0)
        unknown = amounts.isna().groupby(level=[0, 1, 2]).any()
        sums[unknown.reindex(sums.index).to_numpy()] = np.nan
        figures[f"Lines{stage}"] = sums.reindex(wanted).fillna(0.0).to_numpy("float64") if len(sums) else 0.0
        figures.loc[sums.reindex(wanted).isna().to_numpy() & wanted.isin(sums.index), f"Lines{stage}"] = np.nan
    return out, figures
