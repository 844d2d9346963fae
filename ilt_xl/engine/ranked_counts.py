"""Counts of grouped numbers below or above a bound, for many queries at once.

A calculated column's ``COUNTIFS(Rates[ResourceId], [@RoomId], Rates[ValidFrom], "<="&[@StartDate])``
asks, for each row, how many cells of one group hold a number at most that row's bound. Scanning the
range for each row costs rows x cells; sorting the cells once by (group, number) and binary-searching
each query costs (rows + cells) x log(cells), and counts are exact (no arithmetic on the numbers).
"""
from __future__ import annotations

import numpy as np

# the comparison operators, in the order criterion texts are tested for them ("<=" before "<")
OPERATORS = ("<=", ">=", "<", ">")


def ranked_counts(groups: np.ndarray, numbers: np.ndarray, query_groups: np.ndarray,
                  operators: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """For each query i, how many cells of group ``query_groups[i]`` hold a number that compares
    to ``bounds[i]`` as ``OPERATORS[operators[i]]`` says (cell OP bound). Groups are codes >= 0;
    a query group < 0 matches no cell. Numbers and bounds must not be NaN."""
    distinct = np.unique(np.concatenate([numbers, bounds]))
    width = len(distinct) + 1
    # (group, rank of the number) as one integer: sorted, it orders cells by group then number
    keys = np.sort(groups.astype(np.int64) * width + np.searchsorted(distinct, numbers))
    g = np.maximum(query_groups, 0).astype(np.int64)
    at = g * width + np.searchsorted(distinct, bounds)
    first, end = np.searchsorted(keys, g * width), np.searchsorted(keys, (g + 1) * width)
    below, through = np.searchsorted(keys, at, "left"), np.searchsorted(keys, at, "right")
    counts = np.select([operators == 0, operators == 1, operators == 2, operators == 3],
                       [through - first, end - below, below - first, end - through])
    return np.where(query_groups >= 0, counts, 0)
