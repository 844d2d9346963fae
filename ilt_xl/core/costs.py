"""Session arithmetic: days, learners, costs, occupancy, break-even and go/no-go.

The formulas of design.md §2, vectorised over columns (numpy arrays or pandas
Series; results are numpy arrays). Amounts come in one currency, the session's
(:mod:`ilt_xl.core.sessions` converts resources' day rates first), so nothing here
converts. An undefined result is NaN; each docstring names the Excel error the
worksheet function shows in its place.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike

STATUSES = ("Planned", "Confirmed", "Delivered", "Cancelled")
GO, AT_RISK, OPEN, CANCELLED, DELIVERED = "Go", "At risk", "Open", "Cancelled", "Delivered"

# Quotients are rounded to this many decimals before ceil, so that 0.3 / 0.1
# (2.9999999999999996 in binary) or 1.0000000000000002 still lands on the
# whole number a person computing by hand would get.
_CEIL_DECIMALS = 9


def _f(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype="float64")


def _days(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def calendar_days(start: ArrayLike, end: ArrayLike) -> np.ndarray:
    """Calendar days from ``start`` to ``end`` inclusive (dates, datetime64).

    A one-day session has 1 day. NaN when a date is missing or end < start
    (``#VALUE!``).
    """
    start, end = _days(start), _days(end)
    days = (end - start).astype("int64").astype("float64") + 1.0
    days[np.isnat(start) | np.isnat(end) | (end < start)] = np.nan
    return days


def learners(status: ArrayLike, registered: ArrayLike, attended: ArrayLike) -> np.ndarray:
    """Attended learners for Delivered sessions, registered learners otherwise."""
    delivered = np.char.lower(np.asarray(status, dtype=str)) == DELIVERED.lower()
    return np.where(delivered, _f(attended), _f(registered))


def learner_hours(learner_count: ArrayLike, days: ArrayLike, hours_per_day: ArrayLike) -> np.ndarray:
    """Learners x days x hours per day. NaN for a negative input (``#VALUE!``)."""
    n, d, h = _f(learner_count), _f(days), _f(hours_per_day)
    hours = n * d * h
    hours[(n < 0) | (d < 0) | (h < 0)] = np.nan
    return hours


def capacity(override: ArrayLike, room_capacity: ArrayLike, course_max: ArrayLike) -> np.ndarray:
    """The override when given, else MIN(room capacity, course maximum); course maximum without a room.

    Missing values are NaN; NaN when neither a room nor a course maximum is known.
    """
    override, room, course = _f(override), _f(room_capacity), _f(course_max)
    smaller = np.fmin(room, course)  # fmin ignores the NaN of a missing room
    return np.where(np.isnan(override), smaller, override)


def day_rate_cost(entered: ArrayLike, day_rate: ArrayLike, days: ArrayLike) -> np.ndarray:
    """The entered cost when given, else day rate x days; 0 when neither is known (no room/instructor)."""
    entered, rate, days = _f(entered), _f(day_rate), _f(days)
    default = np.nan_to_num(rate * days, nan=0.0)
    return np.where(np.isnan(entered), default, entered)


def fixed_cost(*parts: ArrayLike) -> np.ndarray:
    """The sum of the fixed-cost parts (room, instructor, equipment, other), left to right; a missing part counts 0."""
    arrays = np.broadcast_arrays(*(np.nan_to_num(_f(p), nan=0.0) for p in parts))
    total = arrays[0].copy()
    for part in arrays[1:]:
        total = total + part
    return total


def variable_cost(variable_per_learner: ArrayLike, registered: ArrayLike) -> np.ndarray:
    """Variable cost per learner x registered learners."""
    return _f(variable_per_learner) * _f(registered)


def session_cost(fixed: ArrayLike, variable_per_learner: ArrayLike, learner_count: ArrayLike) -> np.ndarray:
    """Fixed + variable per learner x learners. NaN for negative learners (``#VALUE!``)."""
    n = _f(learner_count)
    cost = _f(fixed) + _f(variable_per_learner) * n
    cost[n < 0] = np.nan
    return cost


def occupancy(registered: ArrayLike, capacity_: ArrayLike) -> np.ndarray:
    """Registered / capacity.

    NaN when capacity is 0 (``#DIV/0!``) or either input is negative (``#VALUE!``).
    """
    reg, cap = _f(registered), _f(capacity_)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = reg / cap
    fill[(cap == 0) | (reg < 0) | (cap < 0)] = np.nan
    return fill


def cost_per_learner(session_cost_: ArrayLike, learner_count: ArrayLike) -> np.ndarray:
    """Session cost / learners. NaN for 0 learners (``#DIV/0!``) or negative learners (``#VALUE!``)."""
    return _ratio(session_cost_, learner_count)


def cost_per_learner_hour(session_cost_: ArrayLike, hours: ArrayLike) -> np.ndarray:
    """Session cost / learner-hours. NaN for 0 learner-hours (``#DIV/0!``) or negative (``#VALUE!``)."""
    return _ratio(session_cost_, hours)


def _ratio(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    num, den = _f(numerator), _f(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[den <= 0] = np.nan
    return out


def break_even(fixed: ArrayLike, price_per_learner: ArrayLike, variable_per_learner: ArrayLike) -> np.ndarray:
    """ceil(fixed / (price - variable)): the learners needed to cover the fixed cost.

    NaN when the price does not exceed the variable cost (``#N/A``) or the fixed
    cost is negative (``#VALUE!``).
    """
    fixed, margin = _f(fixed), _f(price_per_learner) - _f(variable_per_learner)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.ceil(np.round(fixed / margin, _CEIL_DECIMALS))
    needed[(margin <= 0) | (fixed < 0)] = np.nan
    return needed + 0.0  # turns -0.0 into 0.0


def min_session_cost(fixed: ArrayLike, variable_per_learner: ArrayLike, break_even_learners: ArrayLike) -> np.ndarray:
    """Fixed + variable x break-even learners (Syfadis' minimum); NaN where break-even is undefined."""
    return _f(fixed) + _f(variable_per_learner) * _f(break_even_learners)


def max_session_cost(fixed: ArrayLike, variable_per_learner: ArrayLike, capacity_: ArrayLike) -> np.ndarray:
    """Fixed + variable x capacity (Syfadis' maximum)."""
    return _f(fixed) + _f(variable_per_learner) * _f(capacity_)


def go_no_go(
    status: ArrayLike,
    registered: ArrayLike,
    minimum: ArrayLike,
    start: ArrayLike,
    today: ArrayLike,
    lead_days: ArrayLike = 14,
) -> np.ndarray:
    """Go/no-go of each session (design.md §2) as an object array of labels.

    "Cancelled" and "Delivered" for those statuses; for Planned or Confirmed:
    "Go" when registered >= minimum, "At risk" when registered < minimum and
    start - today <= lead days, else "Open". Status is matched case-insensitively.
    ``None`` for an unknown status or a missing start/today (``#VALUE!``).
    """
    status_lc = np.char.lower(np.char.strip(np.asarray(status, dtype=str)))
    reg, minimum = _f(registered), _f(minimum)
    start, today = _days(start), _days(today)
    lead = (start - today).astype("int64")
    shape = np.broadcast_shapes(status_lc.shape, reg.shape, minimum.shape, start.shape, today.shape, np.shape(lead_days))
    out = np.full(shape, OPEN, dtype=object)
    active = np.isin(status_lc, ("planned", "confirmed"))
    out[np.broadcast_to(active & (lead <= _f(lead_days)) & (reg < minimum), shape)] = AT_RISK
    out[np.broadcast_to(active & (reg >= minimum), shape)] = GO
    out[np.broadcast_to(active & (np.isnat(start) | np.isnat(today)), shape)] = None
    out[np.broadcast_to(status_lc == "cancelled", shape)] = CANCELLED
    out[np.broadcast_to(status_lc == "delivered", shape)] = DELIVERED
    known = np.isin(status_lc, [s.lower() for s in STATUSES])
    out[np.broadcast_to(~known, shape)] = None
    return out
