"""Closed periods: the figures of sessions in closed months, frozen as they were when closed.

Closing through a month end (``ilt-xl close PATH --through 2025-12-31``, :func:`close`) writes, for every
session starting on or before it that is not frozen yet, its figures of that day into stored columns of Sessions
(:data:`FROZEN`: currency, fixed cost, variable cost, FX rate, cost in the reporting currency, and ClosedOn), and
moves the ClosedThrough setting. The native formulas then show the stored figure wherever one is stored
(``IF([@FrozenFixedCost]<>"",[@FrozenFixedCost],...)``), and so do the core, the ledger and Budget: a day rate
raised, an FX row added or a scenario run later changes no closed figure. A session is closed by its stored
values, not by the setting alone, so editing the ClosedThrough cell reopens nothing: reopening (moving it back)
is explicit (``--reopen``) and clears the stored figures of the sessions it reopens.

:func:`drift` lists the closed sessions whose figures, computed now, differ from the frozen ones (``check``
warns about each): what an edit after the close would have changed.
"""
from __future__ import annotations

import calendar
import datetime as dt
from typing import Mapping, NamedTuple

import numpy as np
import pandas as pd

STORED = ("ClosedOn", "FrozenCurrency", "FrozenFixedCost", "FrozenVariableCost", "FrozenFxRate", "FrozenCostReporting")
"""The Sessions columns `ilt-xl close` writes."""
FROZEN = {"FrozenCurrency": "Currency", "FrozenFixedCost": "FixedCost", "FrozenVariableCost": "VariableCost",
          "FrozenFxRate": "FxRate", "FrozenCostReporting": "CostReporting"}
"""Stored column of Sessions -> the calculated column whose figure it freezes."""
CLOSED_ON = "ClosedOn"


class Closing(NamedTuple):
    """What :func:`close` did: the Sessions rows (input columns, stored figures written), the new ClosedThrough,
    and how many sessions it froze and reopened."""

    sessions: pd.DataFrame
    through: pd.Timestamp | None
    frozen: int
    reopened: int


def last_day_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_end(day: dt.date) -> bool:
    return day == last_day_of_month(day)


def require_month_end(through: dt.date) -> None:
    """Raise ``ValueError`` naming the month's last day when ``through`` is not one: periods close by whole months."""
    if not month_end(through):
        raise ValueError(f"--through {through.isoformat()} is not a month end: periods close by whole months "
                         f"(e.g. {last_day_of_month(through).isoformat()})")


def frozen_mask(sessions: pd.DataFrame) -> np.ndarray:
    """True for a session with stored figures (closed): its FrozenCostReporting holds a number."""
    if "FrozenCostReporting" not in sessions:
        return np.zeros(len(sessions), dtype=bool)
    return pd.to_numeric(sessions["FrozenCostReporting"], errors="coerce").notna().to_numpy()


def open_mask(sessions: pd.DataFrame, settings: Mapping[str, object]) -> np.ndarray:
    """True for a session in an open period: not frozen, and starting after ClosedThrough (when set)."""
    through = settings.get("ClosedThrough")
    start = pd.to_datetime(sessions["StartDate"], errors="coerce")
    after = np.ones(len(sessions), dtype=bool) if through is None or pd.isna(through) else \
        (start > pd.Timestamp(through)).to_numpy()
    return after & ~frozen_mask(sessions)


def unfrozen(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``tables`` with Sessions' stored figures blanked: what the sessions compute today."""
    sessions = tables["Sessions"]
    blanks = {c: ("" if c == "FrozenCurrency" else np.nan) for c in STORED if c in sessions}
    return {**tables, "Sessions": sessions.assign(**blanks)}


def close(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], through: dt.date,
          today: dt.date, reopen: bool = False, computed=None) -> Closing:
    """Close every month through ``through`` (a month end); see the module docstring.

    Sessions already frozen keep their figures. With ``reopen``, ``through`` may be before ClosedThrough: the
    sessions starting after it lose their stored figures (they compute again). Raises ``ValueError`` (with what
    to do) for a date that is not a month end, a move back without ``reopen``, and a session to freeze whose
    figures are errors (an unknown resource, a missing FX rate): nothing is frozen then. ``computed``: the
    :class:`~ilt_xl.core.sessions.SessionTable` of ``unfrozen(tables)``, when the caller has it already.
    """
    from ilt_xl.core.sessions import session_table_with_errors

    require_month_end(through)
    current = settings.get("ClosedThrough")
    current = None if current is None or pd.isna(current) else pd.Timestamp(current).date()
    if current is not None and through < current and not reopen:
        raise ValueError(f"ClosedThrough is {current.isoformat()}: closing through {through.isoformat()} would reopen "
                         f"the months after it; give --reopen to reopen them explicitly")
    sessions = tables["Sessions"]
    start = pd.to_datetime(sessions["StartDate"], errors="coerce")
    frozen = frozen_mask(sessions)
    reopening = frozen & (start > pd.Timestamp(through)).to_numpy()
    to_freeze = (start <= pd.Timestamp(through)).to_numpy() & ~frozen
    kept = frozen & ~reopening
    stored = {c: _stored(sessions, c) for c in STORED}
    if to_freeze.any():
        if computed is None:
            computed = session_table_with_errors(unfrozen(tables), settings)
        _refuse_errors(sessions, computed.errors, to_freeze)
        for column, figure in FROZEN.items():
            now = computed.values[figure].to_numpy()
            stored[column] = np.where(to_freeze, now.astype(stored[column].dtype), stored[column])
        stored[CLOSED_ON] = np.where(to_freeze, np.datetime64(today, "ns"), stored[CLOSED_ON])
    for column, values in stored.items():
        blank = "" if column == "FrozenCurrency" else np.datetime64("NaT", "ns") if column == CLOSED_ON else np.nan
        stored[column] = np.where(kept | to_freeze, values, blank)
    sessions = sessions.assign(**stored)
    return Closing(sessions, pd.Timestamp(through), int(to_freeze.sum()), int(reopening.sum()))


def _stored(sessions: pd.DataFrame, column: str) -> np.ndarray:
    """A stored column as typed values: currency text ("" blank), ClosedOn datetime64, figures float (NaN blank)."""
    values = sessions[column] if column in sessions else pd.Series(np.nan, index=sessions.index)
    if column == "FrozenCurrency":
        return values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy(object)
    if column == CLOSED_ON:
        return pd.to_datetime(values, errors="coerce").to_numpy("datetime64[ns]")
    return pd.to_numeric(values, errors="coerce").to_numpy("float64")


def _refuse_errors(sessions: pd.DataFrame, errors: pd.DataFrame, to_freeze: np.ndarray) -> None:
    """ValueError naming the sessions to freeze whose figures are errors: there is nothing to freeze."""
    shown = errors[list(FROZEN.values())].to_numpy()[to_freeze]
    bad = np.flatnonzero(~np.equal(shown, None).all(axis=1))
    if not len(bad):
        return
    rows = sessions.index[to_freeze][bad]
    ids = sessions["SessionId"].astype(str).to_numpy(object)[to_freeze][bad]
    listed = ", ".join(f"{sid} (Sessions row {row}: {', '.join(sorted({e for e in shown[k] if e is not None}))})"
                       for sid, row, k in zip(ids[:5], rows[:5], bad[:5]))
    raise ValueError(f"{len(bad)} session(s) to close show errors, so there is no figure to freeze: {listed}"
                     f"{' ...' if len(bad) > 5 else ''}; fix them (`ilt-xl check`; `ilt-xl fx` adds a missing rate) "
                     "and close again")


class Drift(NamedTuple):
    """One closed figure that computes differently now."""

    row: object
    session_id: str
    column: str
    frozen: object
    now: object


def drift(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> list[Drift]:
    """Every figure of a frozen session that, computed now from the inputs, differs from its stored one
    (numbers beyond 1e-9 relative, the currency as text; an error now counts as a difference)."""
    from ilt_xl.core.sessions import session_table_with_errors

    sessions = tables["Sessions"]
    frozen = frozen_mask(sessions)
    if not frozen.any():
        return []
    now = session_table_with_errors(unfrozen({**tables, "Sessions": sessions[frozen]}), settings)
    out: list[Drift] = []
    closed = sessions[frozen]
    for stored, figure in FROZEN.items():
        was, is_now, err = closed[stored], now.values[figure], now.errors[figure]
        if stored == "FrozenCurrency":
            was_text = was.astype(object).where(was.notna(), "").astype(str).str.strip().str.upper()
            moved = (was_text != is_now.astype(str).str.upper()).to_numpy() & (was_text != "").to_numpy()
        else:
            a = pd.to_numeric(was, errors="coerce").to_numpy("float64")
            b = pd.to_numeric(is_now, errors="coerce").to_numpy("float64")
            moved = ~np.isnan(a) & ~np.isclose(a, b, rtol=1e-9, atol=1e-9)
        moved |= ~np.equal(err.to_numpy(), None)
        for k in np.flatnonzero(moved):
            shown = err.iat[k] if err.iat[k] is not None else is_now.iat[k]
            out.append(Drift(closed.index[k], str(closed["SessionId"].iat[k]), figure, was.iat[k], shown))
    return out
