"""The allocation ledger: each session's cost split over its enrolment lines (BU x country).

Fixed cost is split by a key (design.md §2), chosen per session by its
AllocationKey, else by the default method:

- ``headcount``: the line's registered learners;
- ``attended``: the line's attended learners (no-shows pay nothing);
- ``learner_hours``: the line's learners (attended once the session is
  Delivered, registered before) x Days x HoursPerDay;
- ``equal``: each business unit present gets an equal share, and within a BU
  the share is split over its lines by registered learners (equally among the
  lines when the BU registered nobody).

Variable cost follows the line's registered learners: the session's
VariableCostPerLearner x Registered, split by registered learners. Both splits
use largest-remainder rounding in the session currency's minor unit, so a
session's FixedAmount lines sum exactly to its FixedCost and its
VariableAmount lines to its variable cost, each rounded to that unit.

A session with no lines, or whose key weights are all 0, gets one more line
with BusinessUnit "(unallocated)" carrying the fixed cost: nothing is dropped.

Reporting-currency amounts use ``ilt_xl.core.fx`` at the session's StartDate
(policy "SessionStart") or at one budget rate date ("BudgetRateDate"); a
session's AmountReporting lines are again split by largest remainder from the
converted session total: its unrounded cost x rate, rounded once to the
reporting currency's minor unit (as Sessions[CostReporting] and the KPIs), so
every total of the reported cost agrees to the cent. Where no rate exists, Rate and AmountReporting are
NaN and RateSource holds "#N/A: " and the reason. A cost too large to count exactly in minor units
(:func:`ilt_xl.core.rounding.countable`) makes its session's amounts infinite, written as #NUM! (Excel's
error for a number beyond its range) rather than split.

A closed session (``ilt_xl.core.periods``) is split from the figures `ilt-xl close` stored: its
FixedCost (already frozen in the Sessions table), FrozenVariableCost, FrozenFxRate (RateSource
"frozen at close") and FrozenCostReporting, so no later edit moves a closed line.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core import fx
from ilt_xl.core.rounding import countable, from_minor, largest_remainder_grouped, minor_units, minor_units_of, to_minor
from ilt_xl.core.sessions import id_key

METHODS = ("headcount", "attended", "equal", "learner_hours")
UNALLOCATED = "(unallocated)"
FROZEN_SOURCE = "frozen at close"
"""RateSource of a closed session's lines: the rate `ilt-xl close` stored (Sessions[FrozenFxRate])."""
LEDGER_COLUMNS = [
    "SessionId", "BusinessUnit", "Country", "Key", "Share", "FixedAmount", "VariableAmount", "Amount",
    "Currency", "RateDate", "Rate", "RateSource", "AmountReporting",
]


def _numbers(column: pd.Series) -> np.ndarray:
    return np.nan_to_num(pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64"), nan=0.0)


def _keys(sessions: pd.DataFrame, method: str) -> np.ndarray:
    if "AllocationKey" in sessions:
        given = sessions["AllocationKey"].astype(object).where(sessions["AllocationKey"].notna(), "")
        keys = given.astype(str).str.strip().str.lower().to_numpy(dtype=object)
    else:
        keys = np.full(len(sessions), "", dtype=object)
    keys[keys == ""] = method
    unknown = ~np.isin(keys, METHODS)
    if unknown.any():
        bad = ", ".join(f"{sid} ({key!r})" for sid, key in zip(sessions["SessionId"].to_numpy()[unknown][:5], keys[unknown][:5]))
        raise ValueError(f"Sessions: AllocationKey must be one of {', '.join(METHODS)}; got {bad}")
    return keys


def _stored(sessions: pd.DataFrame, column: str) -> np.ndarray:
    """A figure `ilt-xl close` stored on closed sessions (NaN where open, or where the frame lacks the column)."""
    if column not in sessions:
        return np.full(len(sessions), np.nan)
    return pd.to_numeric(sessions[column], errors="coerce").to_numpy(dtype="float64")


def _first_position(session_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index in ``session_ids`` of each ``wanted`` id's first occurrence, matched as Excel's lookups
    match (ignoring case, :func:`~ilt_xl.core.sessions.id_key`); -1 when absent."""
    session_ids = id_key(pd.Series(session_ids, dtype=object)).to_numpy(object)
    wanted = id_key(pd.Series(wanted, dtype=object)).to_numpy(object)
    first = np.flatnonzero(~pd.Index(session_ids).duplicated(keep="first"))
    position = pd.Index(session_ids[first]).get_indexer(wanted)
    return np.append(first, -1)[position]   # -1 (absent) picks the appended -1


def _session_column(sessions: pd.DataFrame, name: str, default: float) -> np.ndarray:
    return _numbers(sessions[name]) if name in sessions else np.full(len(sessions), default)


def _weights(lines: pd.DataFrame, s_index: np.ndarray, keys: np.ndarray, sessions: pd.DataFrame) -> np.ndarray:
    """Fixed-cost weight of each line under its session's key."""
    registered = _numbers(lines["Registered"])
    attended = _numbers(lines["Attended"]) if "Attended" in lines else np.zeros(len(lines))
    status = sessions["Status"].astype(str).str.strip().str.lower().to_numpy() if "Status" in sessions else None
    delivered = (status == "delivered")[s_index] if status is not None else np.zeros(len(lines), dtype=bool)
    hours = (_session_column(sessions, "Days", 1.0) * _session_column(sessions, "HoursPerDay", 1.0))[s_index]
    learner_hours = np.where(delivered, attended, registered) * hours

    # equal: 1 / (BUs in the session), then by registered within the BU.
    bu_code = pd.factorize(lines["BusinessUnit"].astype(str))[0]
    bu = pd.factorize(s_index.astype("int64") * (bu_code.max(initial=0) + 1) + bu_code)[0]
    bu_registered = np.bincount(bu, weights=registered)[bu]
    bu_lines = np.bincount(bu)[bu]
    bu_session = np.zeros(bu.max(initial=-1) + 1, dtype=np.intp)
    bu_session[bu] = s_index
    bus_per_session = np.bincount(bu_session, minlength=len(sessions))[s_index]
    within = np.where(bu_registered > 0, registered / np.where(bu_registered > 0, bu_registered, 1), 1.0 / bu_lines)
    equal = within / bus_per_session

    key = keys[s_index]
    return np.select(
        [key == "headcount", key == "attended", key == "learner_hours"], [registered, attended, learner_hours], equal
    )


def _split(totals: np.ndarray, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Largest remainder of each group's total; groups with a negative weight round each line on its own."""
    negative = np.bincount(group, weights=(weights < 0).astype(float), minlength=totals.size) > 0
    safe = np.where(negative[group], 0.0, weights)
    parts = largest_remainder_grouped(totals, group, safe)
    sums = np.bincount(group, weights=weights, minlength=totals.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = np.round(totals[group] * weights / sums[group]).astype("int64")
    return np.where(negative[group], plain, parts)


def allocate(
    sessions: pd.DataFrame,
    enrolments: pd.DataFrame,
    method: str = "headcount",
    reporting_currency: str = fx.EUR,
    fx_date_policy: str = "SessionStart",
    budget_rate_date: object = None,
    manual_rates: pd.DataFrame | fx.RateTable | None = None,
) -> pd.DataFrame:
    """The Allocation ledger (columns ``LEDGER_COLUMNS``) of ``sessions`` over ``enrolments``.

    ``sessions`` needs SessionId, FixedCost, VariableCostPerLearner, Currency,
    StartDate and, when used, AllocationKey, Status, Days, HoursPerDay.
    ``enrolments`` needs SessionId, BusinessUnit, Country, Registered and
    Attended; lines of unknown sessions are ignored (the validator reports
    them). A SessionId used by several sessions (a duplicate the validator
    reports) gets its lines on its first session; the others keep their
    cost on an unallocated line, so nothing is counted twice or dropped.
    Rows come session by session in input order, lines in enrolment
    order, the unallocated line last. Raises ``ValueError`` for an unknown
    method, key or FX date policy.
    """
    method = method.strip().lower()
    if method not in METHODS:
        raise ValueError(f"Settings: AllocationMethod must be one of {', '.join(METHODS)}; got {method!r}")
    if fx_date_policy not in ("SessionStart", "BudgetRateDate"):
        raise ValueError(f"Settings: FxDatePolicy must be SessionStart or BudgetRateDate; got {fx_date_policy!r}")
    sessions = sessions.reset_index(drop=True)
    n_sessions = len(sessions)
    keys = _keys(sessions, method)
    session_ids = sessions["SessionId"].astype(str).to_numpy()
    position = _first_position(session_ids, enrolments["SessionId"].astype(str).to_numpy())
    lines = enrolments.loc[position >= 0].reset_index(drop=True)
    s_index = position[position >= 0]
    order = np.argsort(s_index, kind="stable")
    lines, s_index = lines.iloc[order].reset_index(drop=True), s_index[order]

    currency = sessions["Currency"].astype(object).where(sessions["Currency"].notna(), "").astype(str).str.strip().str.upper().to_numpy(dtype=object)
    decimals = minor_units_of(currency)
    fixed = _numbers(sessions["FixedCost"])
    registered = _numbers(lines["Registered"])
    with np.errstate(over="ignore", invalid="ignore"):
        variable = _numbers(sessions["VariableCostPerLearner"]) * np.bincount(s_index, weights=registered, minlength=n_sessions)
    variable = np.where(np.isnan(_stored(sessions, "FrozenVariableCost")), variable, _stored(sessions, "FrozenVariableCost"))
    # A cost too large to count in cents (or infinite) cannot be split exactly: its session's lines get
    # #NUM! (an infinity, as Excel shows a number beyond its range), never a cast's -2**63.
    counted = countable(fixed, decimals) & countable(variable, decimals)
    fixed_total = to_minor(np.where(counted, fixed, 0.0), decimals)
    variable_total = to_minor(np.where(counted, variable, 0.0), decimals)

    weights = _weights(lines, s_index, keys, sessions)
    weight_sum = np.bincount(s_index, weights=weights, minlength=n_sessions)
    fixed_parts = _split(fixed_total, s_index, weights)
    variable_parts = _split(variable_total, s_index, registered)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(weight_sum[s_index] != 0, weights / weight_sum[s_index], 0.0)

    # One unallocated line per session whose fixed cost found no weight.
    open_sessions = np.flatnonzero(weight_sum == 0)
    row_session = np.concatenate([s_index, open_sessions])
    fixed_units = np.concatenate([fixed_parts, fixed_total[open_sessions]])
    variable_units = np.concatenate([variable_parts, np.zeros(open_sessions.size, dtype="int64")])
    ledger = pd.DataFrame({
        "SessionId": session_ids[row_session],
        "BusinessUnit": np.concatenate([lines["BusinessUnit"].astype(str).to_numpy(dtype=object), np.full(open_sessions.size, UNALLOCATED, dtype=object)]),
        "Country": np.concatenate([lines["Country"].astype(object).to_numpy(), np.full(open_sessions.size, "", dtype=object)]),
        "Key": keys[row_session],
        "Share": np.concatenate([share, np.ones(open_sessions.size)]),
        "FixedAmount": np.where(counted[row_session], from_minor(fixed_units, decimals[row_session]), np.inf),
        "VariableAmount": np.where(counted[row_session], from_minor(variable_units, decimals[row_session]), np.inf),
        "Amount": np.where(counted[row_session], from_minor(fixed_units + variable_units, decimals[row_session]), np.inf),
        "Currency": currency[row_session],
    })
    ledger = ledger.iloc[np.argsort(row_session, kind="stable")].reset_index(drop=True)
    row_session = np.sort(row_session, kind="stable")
    # The session's cost before rounding: its reporting total is that converted, then rounded once (the rule of
    # Sessions[CostReporting] and the KPIs), so the ledger, Budget and the report agree to the cent.
    unrounded = np.where(counted, fixed + variable, np.inf)
    return _with_reporting(ledger, row_session, sessions, unrounded, currency, reporting_currency, fx_date_policy,
                           budget_rate_date, manual_rates)


def _with_reporting(
    ledger: pd.DataFrame,
    row_session: np.ndarray,
    sessions: pd.DataFrame,
    session_cost: np.ndarray,
    session_currency: np.ndarray,
    reporting_currency: str,
    fx_date_policy: str,
    budget_rate_date: object,
    manual_rates: pd.DataFrame | fx.RateTable | None,
) -> pd.DataFrame:
    if fx_date_policy == "BudgetRateDate":
        if budget_rate_date is None or pd.isna(budget_rate_date):
            raise ValueError("Settings: BudgetRateDate must be a date when FxDatePolicy is BudgetRateDate")
        dates = np.full(len(sessions), np.datetime64(pd.Timestamp(budget_rate_date).date(), "D"))
    else:
        dates = pd.to_datetime(sessions["StartDate"], errors="coerce").to_numpy(dtype="datetime64[D]")
    used = fx.rates(session_currency, reporting_currency, dates, manual_rates)
    # A closed session keeps the rate and reporting cost `ilt-xl close` stored (ilt_xl.core.periods).
    frozen_rate, frozen_cost = _stored(sessions, "FrozenFxRate"), _stored(sessions, "FrozenCostReporting")
    kept = ~np.isnan(frozen_rate)
    used = fx.Rates(rate=np.where(kept, frozen_rate, used.rate), rate_date=used.rate_date,
                    source=np.where(kept, FROZEN_SOURCE, used.source), reason=np.where(kept, None, used.reason))

    decimals = minor_units(reporting_currency)
    with np.errstate(over="ignore", invalid="ignore"):
        converted = np.where(np.isnan(frozen_cost), session_cost * used.rate, frozen_cost)
    counted = countable(converted, decimals)
    ok = used.ok & counted
    totals = to_minor(np.where(ok, converted, 0.0), decimals)
    amounts = ledger["Amount"].to_numpy()
    reporting = from_minor(_split(totals, row_session, np.where(np.isfinite(amounts), amounts, 0.0)), decimals)
    reporting[~used.ok[row_session]] = np.nan                       # no rate: blank, RateSource says why
    reporting[(used.ok & ~counted)[row_session]] = np.inf           # too large to count: #NUM!
    source = np.where(used.ok, used.source, "#N/A: " + used.reason.astype(str))
    return ledger.assign(
        RateDate=used.rate_date[row_session].astype("datetime64[ns]"),
        Rate=used.rate[row_session],
        RateSource=source[row_session],
        AmountReporting=reporting,
    )[LEDGER_COLUMNS]
