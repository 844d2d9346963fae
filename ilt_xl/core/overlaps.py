"""Overlapping day ranges of bookings that share a resource, found by a vectorised sweep.

A booking holds a resource (instructor, room, equipment pool) on every day from
its first to its last day inclusive. Days are whole-day integers (Excel serials
or ``datetime64[D]`` viewed as integers); callers convert at the edges.

The sweep: sort bookings by (resource, first day); booking ``i`` overlaps exactly
the bookings after it in that order, up to the last one of the same resource
whose first day is on or before ``i``'s last day (a ``searchsorted``). So every
overlapping pair is listed once, in O(n log n + pairs), without a Python loop.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# Keeps each resource's days in its own band of the sort key: resource * _BAND + day.
# Serial and epoch day numbers of real dates are far below it.
_BAND = np.int64(1 << 32)


def resource_codes(resources: np.ndarray) -> np.ndarray:
    """Integer code per booking's resource (case-insensitive, as Excel compares ids); -1 for a blank one."""
    codes, uniques = pd.factorize(np.asarray(resources, dtype=object).reshape(-1))
    # Normalise each distinct id once, then merge ids that differ only in case.
    lowered = np.array([str(u).lower() if str(u).strip() else "" for u in uniques] + [""], dtype=object)[codes]
    merged, _ = pd.factorize(np.where(lowered == "", None, lowered), use_na_sentinel=True)
    return merged.astype("int64")


def _keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    return codes * _BAND + days


def overlap_pairs(codes: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of bookings holding the same resource on at least one common day.

    ``codes`` are resource codes (-1: no resource, skipped), ``first``/``last``
    integer days; a booking with last < first is skipped. Returns index arrays
    ``(a, b)`` into the inputs: each unordered pair once, ``a`` the booking that
    starts first (the earlier row on a tie), sorted by resource then ``a``'s start.
    """
    codes, first, last = (np.asarray(x, dtype="int64") for x in (codes, first, last))
    valid = np.flatnonzero((codes >= 0) & (last >= first))
    order = valid[np.lexsort((valid, first[valid], codes[valid]))]
    keys = _keys(codes[order], first[order])
    reach = np.searchsorted(keys, _keys(codes[order], last[order]), side="right")
    counts = reach - np.arange(len(order)) - 1
    total = int(counts.sum())
    a_pos = np.repeat(np.arange(len(order)), counts)
    # position within each booking's run of partners, 1-based
    step = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    return order[a_pos], order[a_pos + step]


def common_days(first: np.ndarray, last: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last day that bookings ``a[k]`` and ``b[k]`` share (overlapping pairs)."""
    first, last = np.asarray(first, dtype="int64"), np.asarray(last, dtype="int64")
    return np.maximum(first[a], first[b]), np.minimum(last[a], last[b])


def over_limit_runs(
    codes: np.ndarray, first: np.ndarray, last: np.ndarray, units: np.ndarray, limit_of_code: np.ndarray
) -> pd.DataFrame:
    """Maximal runs of days on which a resource's booked units exceed its limit.

    ``units`` are booked per booking and day; ``limit_of_code[c]`` is resource
    ``c``'s limit (its pool quantity). A sweep over start (+units) and end+1
    (-units) events per resource. Returns columns code, first, last, peak (the
    most units booked on a day of the run), sorted by code and first day.
    """
    codes, first, last = (np.asarray(x, dtype="int64") for x in (codes, first, last))
    units = np.nan_to_num(np.asarray(units, dtype="float64"))
    ok = (codes >= 0) & (last >= first) & (units > 0)
    events = pd.DataFrame({
        "code": np.concatenate([codes[ok], codes[ok]]),
        "day": np.concatenate([first[ok], last[ok] + 1]),
        "delta": np.concatenate([units[ok], -units[ok]]),
    })
    per_day = events.groupby(["code", "day"], sort=True)["delta"].sum().reset_index()
    # Each resource's events net to zero, so the running sum restarts at every resource.
    per_day["load"] = per_day["delta"].cumsum().round(9)
    per_day["until"] = per_day["day"].shift(-1, fill_value=0) - 1  # the load holds until the next event
    limit = np.asarray(limit_of_code, dtype="float64")[per_day["code"].to_numpy()]
    over = per_day[per_day["load"].to_numpy() > np.nan_to_num(limit, nan=np.inf)]
    if over.empty:
        return pd.DataFrame({"code": [], "first": [], "last": [], "peak": []}).astype("int64").astype({"peak": "float64"})
    # Segments touching each other within a resource merge into one run.
    new_run = (over["code"].diff() != 0) | (over["day"] - over["until"].shift() != 1)
    run = new_run.cumsum()
    return (
        over.groupby(run.to_numpy())
        .agg(code=("code", "first"), first=("day", "first"), last=("until", "last"), peak=("load", "max"))
        .reset_index(drop=True)
    )


def days_in_runs(runs: pd.DataFrame, codes: np.ndarray, first: np.ndarray, last: np.ndarray) -> pd.DataFrame:
    """For each query range (resource code, first, last): the run days inside it.

    ``runs`` is :func:`over_limit_runs`' result. Returns columns first, last
    (the first and last run day within the range; -1 when none) and days (how
    many run days the range holds).
    """
    codes, first, last = (np.asarray(x, dtype="int64") for x in (codes, first, last))
    if runs.empty:
        none = np.full(len(codes), -1, dtype="int64")
        return pd.DataFrame({"first": none, "last": none, "days": np.zeros(len(codes), dtype="int64")})
    r_first = _keys(runs["code"].to_numpy("int64"), runs["first"].to_numpy("int64"))
    r_last = _keys(runs["code"].to_numpy("int64"), runs["last"].to_numpy("int64"))
    q_first, q_last = _keys(codes, first), _keys(codes, last)
    before = np.concatenate([[0], np.cumsum(r_last - r_first + 1)])

    def covered_upto(x: np.ndarray) -> np.ndarray:
        k = np.searchsorted(r_first, x, side="right")  # runs starting on or before x
        inside = np.where(k > 0, np.minimum(x, r_last[np.maximum(k - 1, 0)]) - r_first[np.maximum(k - 1, 0)] + 1, 0)
        return before[np.maximum(k - 1, 0)] * (k > 0) + np.maximum(inside, 0)

    days = covered_upto(q_last) - covered_upto(q_first - 1)
    k_first = np.minimum(np.searchsorted(r_last, q_first, side="left"), len(r_first) - 1)
    k_last = np.maximum(np.searchsorted(r_first, q_last, side="right") - 1, 0)
    has = days > 0
    out_first = np.where(has, np.maximum(q_first, r_first[k_first]) - codes * _BAND, -1)
    out_last = np.where(has, np.minimum(q_last, r_last[k_last]) - codes * _BAND, -1)
    return pd.DataFrame({"first": out_first, "last": out_last, "days": days})
