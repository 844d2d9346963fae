"""Exact money splits: largest-remainder rounding in integer minor units.

A total is split in proportion to weights so that the parts, each a whole
number of minor units (cents, yen), add up exactly to the total. Every part
first gets the floor of its exact quota; the units left over go one each to the
parts with the largest fractional remainders, ties to the earliest part.

Amounts are converted to minor units by rounding half away from zero, as
Excel's ROUND does (after removing binary noise, so 0.285 rounds to 0.29).
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

DEFAULT_MINOR_UNITS = 2

# ISO 4217 exponents that differ from 2, for currencies a planner may meet.
MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

# Scaled amounts are rounded to this many decimals before rounding half away
# from zero, which removes the binary noise of products like 0.285 * 100.
_NOISE_DECIMALS = 6

# Whole minor units float64 counts exactly (2**53): a larger amount has no exact cents, and its int64
# cast would overflow past 2**63 (numpy then yields -2**63 with only a RuntimeWarning).
MAX_UNITS = 2.0 ** 53


def minor_units(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit (JPY 0, EUR 2, KWD 3; 2 when unlisted)."""
    return MINOR_UNITS.get(str(currency).strip().upper(), DEFAULT_MINOR_UNITS)


def minor_units_of(currencies: npt.ArrayLike) -> np.ndarray:
    """:func:`minor_units` for each element of an array of currency codes (int64 array)."""
    codes = np.asarray(currencies, dtype=object)
    uniques, inverse = np.unique(codes.astype(str), return_inverse=True)
    return np.array([minor_units(c) for c in uniques], dtype="int64")[inverse].reshape(codes.shape)


def countable(amounts: npt.ArrayLike, decimals: npt.ArrayLike) -> np.ndarray:
    """Whether each amount is finite and small enough to count in whole minor units exactly
    (below :data:`MAX_UNITS` of them: 90 trillion at 2 decimals)."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.abs(np.asarray(amounts, dtype="float64") * 10.0 ** np.asarray(decimals, dtype="float64"))
    return scaled < MAX_UNITS          # False for NaN and infinities too


def _scaled(amounts: npt.ArrayLike, decimals: npt.ArrayLike) -> np.ndarray:
    """Amounts in minor units (float64), binary noise removed, rounded half away from zero."""
    scaled = np.round(np.asarray(amounts, dtype="float64") * 10.0 ** np.asarray(decimals, dtype="float64"), _NOISE_DECIMALS)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)


def to_minor(amounts: npt.ArrayLike, decimals: npt.ArrayLike) -> np.ndarray:
    """Amounts as whole minor units (int64) at ``decimals`` places, rounding half away from zero.

    ``decimals`` may be negative (-1 counts tens). Raises ``ValueError`` for an amount that is not
    :func:`countable` (NaN, an infinity, or too large): a cast would silently make it -2**63; the caller
    decides what such a row means (:func:`countable` finds them first).
    """
    bad = ~countable(amounts, decimals)
    if bad.any():
        first = np.broadcast_to(np.asarray(amounts, dtype="float64"), bad.shape)[bad].reshape(-1)[0]
        raise ValueError(f"{int(bad.sum())} amount(s) cannot be counted in minor units (not finite, or "
                         f"{int(MAX_UNITS):,} units or more), e.g. {first!r}")
    return _scaled(amounts, decimals).astype("int64")


def from_minor(units: npt.ArrayLike, decimals: npt.ArrayLike) -> np.ndarray:
    """Whole minor units back to amounts (float64) at ``decimals`` places."""
    return np.asarray(units, dtype="float64") / 10.0 ** np.asarray(decimals, dtype="float64")


def rounded(values: npt.ArrayLike, decimals: npt.ArrayLike) -> np.ndarray:
    """``values`` rounded to ``decimals`` places half away from zero, as Excel's ROUND, after removing binary
    noise (float64): a figure 1e-11 from a half cent rounds the same whichever way its last bits fell.
    NaN, infinities and values too large to have a fraction at that precision (not :func:`countable`)
    stay as they are; nothing is cast to an integer."""
    values = np.asarray(values, dtype="float64")
    places = np.broadcast_to(np.asarray(decimals, dtype="float64"), values.shape)
    ok = countable(values, places)
    out = values.copy()
    out[ok] = _scaled(values[ok], places[ok]) / 10.0 ** places[ok]
    return out


def largest_remainder(total_units: int, weights: npt.ArrayLike) -> np.ndarray:
    """Split ``total_units`` (an integer) over ``weights`` (a 1-D array, all >= 0).

    Returns int64 parts summing exactly to ``total_units``; a negative total is
    split as its magnitude and negated. Raises ``ValueError`` when a weight is
    negative or not finite, or when all weights are 0.
    """
    weights = np.asarray(weights, dtype="float64").reshape(-1)
    if weights.size == 0 or not np.any(weights > 0):
        raise ValueError("cannot split over weights that are all 0")
    return largest_remainder_grouped(np.array([total_units]), np.zeros(weights.size, dtype=np.intp), weights)


def largest_remainder_grouped(totals_units: npt.ArrayLike, group: npt.ArrayLike, weights: npt.ArrayLike) -> np.ndarray:
    """Split many totals at once: element ``i`` takes a part of ``totals_units[group[i]]``.

    ``group`` holds, for each element, the index of its total; elements of a
    group need not be adjacent, and "earliest" means the smallest element
    index. Returns int64 parts; within each group whose weights sum above 0 the
    parts add up exactly to the group's total. Elements of a group whose weights
    are all 0 get 0 (the caller decides what an unsplit total means). Raises
    ``ValueError`` for a negative or non-finite weight. No Python loop over groups.
    """
    totals = np.asarray(totals_units, dtype="int64").reshape(-1)
    group = np.asarray(group, dtype=np.intp).reshape(-1)
    weights = np.asarray(weights, dtype="float64").reshape(-1)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite and >= 0")
    n_groups = totals.size
    weight_sums = np.bincount(group, weights=weights, minlength=n_groups)
    splittable = weight_sums > 0
    magnitude = np.abs(totals).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        quota = np.where(splittable[group], magnitude[group] * weights / weight_sums[group], 0.0)
    floors = np.floor(quota)
    remainder = quota - floors
    # Units still to hand out per group; float noise can only make this off by
    # a unit or so, and a negative count takes units back from the smallest
    # remainders, so the sum is exact either way.
    left = np.where(splittable, np.abs(totals) - np.bincount(group, weights=floors, minlength=n_groups).astype("int64"), 0)

    position = np.arange(group.size)
    order = np.lexsort((position, -remainder, group))  # by group, remainder desc, earliest first
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(group.size, dtype=np.intp)
    rank[order] = position - starts[group[order]]
    rank_from_end = sizes[group] - 1 - rank
    extra = (rank < left[group]).astype("int64") - (rank_from_end < -left[group]).astype("int64")
    parts = floors.astype("int64") + extra
    return np.where(totals[group] < 0, -parts, parts)
