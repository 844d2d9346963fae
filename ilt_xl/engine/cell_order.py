"""Evaluation order of single cells whose runs depend on each other (a cycle at run level).

Most such cycles are not cycles between cells: a running total reads the row above in its own
column. When every dependency inside the group lies on an earlier row or on the same row, the
cells are ordered by row (and within a row by their same-row dependencies) in O(n log n).
Otherwise the cell-level graph is built explicitly, up to a size limit. Cells that read
themselves, or sit on a cycle of cells, are returned as circular.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.graph import strongly_connected

MAX_EDGES = 2_000_000


class TooComplex(Exception):
    """The cell-level dependency graph would be too large to build."""


class _CellIndex:
    """The group's cells per (sheet, column), sorted by row, for area look-ups."""

    def __init__(self, cells: list[tuple[int, int, int]], ids: list[int] | None = None):
        per: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for i, (s, c, r) in zip(range(len(cells)) if ids is None else ids, cells):
            per.setdefault((s, c), []).append((r, i))
        self.per = {}
        for key, items in per.items():
            items.sort()
            arr = np.array(items, dtype=np.int64)
            self.per[key] = (arr[:, 0], arr[:, 1])
        self.cols: dict[int, list[int]] = {}
        for s, c in self.per:
            self.cols.setdefault(s, []).append(c)

    def inside(self, area: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows, ids) slices of the cells inside ``area`` = (sheet, r0, c0, r1, c1)."""
        s, r0, c0, r1, c1 = area
        out = []
        for c in self.cols.get(s, ()):
            if c0 <= c <= c1:
                rows, ids = self.per[(s, c)]
                lo, hi = np.searchsorted(rows, r0), np.searchsorted(rows, r1, side="right")
                if hi > lo:
                    out.append((rows[lo:hi], ids[lo:hi]))
        return out


def cell_index(cells: list[tuple[int, int, int]], arrays: dict[int, tuple[int, int, int, int]] | None) -> _CellIndex:
    """The index of ``cells``; ``arrays[i]`` = (r0, c0, r1, c1) when cell i is an array formula
    filling that area: each cell of the area is found as cell i."""
    coords, ids = list(cells), list(range(len(cells)))
    for i, (r0, c0, r1, c1) in (arrays or {}).items():
        s = cells[i][0]
        more = [(s, c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (c, r) != cells[i][1:]]
        coords += more
        ids += [i] * len(more)
    return _CellIndex(coords, ids)


def order_cells(cells: list[tuple[int, int, int]], areas: list[list[tuple]],
                arrays: dict[int, tuple[int, int, int, int]] | None = None) -> tuple[list[int], list[list[int]]]:
    """(evaluation order of cell ids, groups of circular cell ids).

    ``cells[i]`` is (sheet index, column, row); ``areas[i]`` the areas cell i reads; ``arrays``
    the areas the array formulas among them fill (see :func:`cell_index`).
    Raises :class:`TooComplex` when an explicit graph would exceed :data:`MAX_EDGES`.
    """
    index = cell_index(cells, arrays)
    n = len(cells)
    self_reading = np.zeros(n, bool)
    row_ordered = True
    same_row: list[set[int]] = [set() for _ in range(n)]
    for i, (s, c, r) in enumerate(cells):
        for area in areas[i]:
            for rows, ids in index.inside(area):
                if (ids == i).any():
                    self_reading[i] = True
                if rows[-1] > r:
                    row_ordered = False
                same = ids[rows == r]
                same_row[i].update(int(j) for j in same if j != i)
    circular: list[list[int]] = [[i] for i in np.flatnonzero(self_reading).tolist()]
    if row_ordered:
        order: list[int] = []
        by_row: dict[int, list[int]] = {}
        for i, (_, _, r) in enumerate(cells):
            if not self_reading[i]:
                by_row.setdefault(r, []).append(i)
        for r in sorted(by_row):
            members = by_row[r]
            local = {m: k for k, m in enumerate(members)}
            edges = [{local[j] for j in same_row[m] if j in local} for m in members]
            for comp in strongly_connected(len(members), edges):
                ids = [members[k] for k in comp]
                if len(comp) > 1 or comp[0] in edges[comp[0]]:
                    circular.append(ids)
                else:
                    order.extend(ids)
        return order, circular
    edges: list[set[int]] = [set() for _ in range(n)]
    total = 0
    for i in range(n):
        if self_reading[i]:
            continue
        for area in areas[i]:
            for _, ids in index.inside(area):
                total += len(ids)
                if total > MAX_EDGES:
                    raise TooComplex(f"more than {MAX_EDGES} cell-to-cell dependencies")
                edges[i].update(int(j) for j in ids if not self_reading[j])
    order = []
    for comp in strongly_connected(n, edges):
        comp = [i for i in comp if not self_reading[i]]
        if not comp:
            continue
        if len(comp) > 1 or comp[0] in edges[comp[0]]:
            circular.append(comp)
        else:
            order.extend(comp)
    return order, circular
