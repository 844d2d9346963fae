"""Formula cells grouped into runs, and the order in which the runs must be evaluated.

A *run* is a maximal block of consecutive rows of one column whose formulas have the same
shape (same text, or the same text up to relative row offsets): a table's calculated column is
one run. Runs are the nodes of the dependency graph; an edge says "reads an area that another
run writes". Strongly connected components with a cycle are expanded to single cells; cells
still in a cycle are a circular reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ilt_xl.engine.a1_shift import has_relative_rows, row_shape
from ilt_xl.engine.coded import distinct_codes
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.workbook_model import Sheet, WorkbookModel, parse_area


@dataclass
class Run:
    sheet: Sheet
    col: int
    rows: np.ndarray                     # consecutive 1-based rows
    text: str                            # formula text of the first cell (without '=')
    array_area: tuple | None = None      # (r0, c0, r1, c1) of an array formula
    tree: Node | None = None
    problem: tuple[str, str] | None = None   # why the run cannot be evaluated: (kind, reason)
    reads: list[tuple] = field(default_factory=list)   # (Sheet, r0, c0, r1, c1)
    repeats: dict | None = None          # the tree's repeated subtrees (common_subtrees)
    calls: int = 0                       # the tree's distinct function and operator calls (common_subtrees)

    @property
    def area(self) -> tuple[int, int, int, int]:
        if self.array_area is not None:
            return self.array_area
        return int(self.rows[0]), self.col, int(self.rows[-1]), self.col


def build_runs(model: WorkbookModel) -> list[Run]:
    """All formula cells of the workbook as runs (array formulas are runs of their own)."""
    runs: list[Run] = []
    for sheet in model.sheets:
        f = sheet.formulas
        n = len(f.texts)
        if n == 0:
            continue
        order = _column_major(f.rows, f.cols)
        rows, cols = f.rows[order], f.cols[order]
        # each cell's text as a code (the load codes them: a calculated column is one code, so no
        # object per cell is compared). Equal texts with different codes start pieces of their own,
        # which their equal keys join again below.
        codes, distinct = distinct_codes(f.texts)
        codes = codes[order]
        # Pieces: equal texts on consecutive rows of a column.
        piece = np.ones(n, bool)
        piece[1:] = (cols[1:] != cols[:-1]) | (rows[1:] != rows[:-1] + 1) | (codes[1:] != codes[:-1])
        starts = np.flatnonzero(piece)
        lengths = np.diff(np.append(starts, n))
        # the same text with relative rows on consecutive rows (each typed, not a shared formula)
        # is a different formula on each row: =C13 on rows 13 and 14 reads C13 from both
        split = [k for k in np.flatnonzero(lengths > 1).tolist() if has_relative_rows(distinct[codes[starts[k]]])]
        if split:
            for k in split:
                piece[starts[k]:starts[k] + lengths[k]] = True
            starts = np.flatnonzero(piece)
        keys = np.repeat(_piece_keys(distinct[codes[starts]], rows[starts]), np.diff(np.append(starts, n)))
        del codes
        if f.array_refs.count(None) != n:
            is_array = np.array([a is not None for a in f.array_refs], dtype=bool)[order]
            keys[is_array] = -1 - np.arange(int(is_array.sum()))        # each array formula alone
        brk = np.ones(n, bool)
        brk[1:] = (cols[1:] != cols[:-1]) | (keys[1:] != keys[:-1]) | (rows[1:] != rows[:-1] + 1)
        starts = np.flatnonzero(brk)
        ends = np.append(starts[1:], n)
        for s, e in zip(starts, ends):
            i = order[s]
            area = parse_area(f.array_refs[i]) if f.array_refs[i] else None
            if area is None and not f.texts[i]:
                continue        # <f ca="1"/> inside an array formula's area: the array's master computes it
            runs.append(Run(sheet, int(cols[s]), rows[s:e].copy(), f.texts[i], area))
    return runs


def _column_major(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The order that sorts cells by column, then row. Sheets list their cells row by row, so a
    stable sort by column alone usually does, and on 16-bit keys numpy sorts in linear time."""
    if (len(rows) > 1 and (rows[1:] < rows[:-1]).any()) or cols.max() >= 2 ** 15:
        return np.lexsort((rows, cols))
    return np.argsort(cols.astype(np.int16), kind="stable")


def _piece_keys(texts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Grouping key of each piece (its first text and row): the text, or for a text with relative
    rows its row shape, so that ``A2*2`` on row 2 and ``A3*2`` on row 3 share a key."""
    codes, uniques = pd.factorize(texts)
    relative = np.array([has_relative_rows(t) for t in uniques], dtype=bool)
    keys = codes.astype(np.int64)
    rel = np.flatnonzero(relative[codes])
    if len(rel):
        shapes = [row_shape(texts[i], int(rows[i])) for i in rel]
        shape_codes, _ = pd.factorize(pd.Series(shapes, dtype=object))
        keys[rel] = len(uniques) + shape_codes
    return keys


class AreaIndex:
    """Which runs write into an area: per (sheet, column), runs sorted by first row."""

    def __init__(self, runs: list[Run]):
        per: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for rid, run in enumerate(runs):
            r0, c0, r1, c1 = run.area
            for c in range(c0, c1 + 1):
                per.setdefault((run.sheet.index, c), []).append((r0, r1, rid))
        self.cols: dict[int, np.ndarray] = {}
        self.index = {}
        for key, items in per.items():
            items.sort()
            arr = np.array(items, dtype=np.int64)
            self.index[key] = (arr[:, 0], np.maximum.accumulate(arr[:, 1]), arr[:, 2])
        by_sheet: dict[int, list[int]] = {}
        for s, c in per:
            by_sheet.setdefault(s, []).append(c)
        self.cols = {s: np.array(sorted(cs)) for s, cs in by_sheet.items()}

    def writers(self, sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> set[int]:
        out: set[int] = set()
        cols = self.cols.get(sheet.index)
        if cols is None:
            return out
        for c in cols[np.searchsorted(cols, c0): np.searchsorted(cols, c1, side="right")]:
            starts, max_ends, ids = self.index[(sheet.index, int(c))]
            lo = np.searchsorted(max_ends, r0)           # first run that may end at or after r0
            hi = np.searchsorted(starts, r1, side="right")
            for j in range(lo, hi):
                if starts[j] <= r1:
                    out.add(int(ids[j]))
        return out


def strongly_connected(n: int, edges: list[set[int]]) -> list[list[int]]:
    """Tarjan's algorithm (iterative). Components come out dependencies first
    (``edges[u]`` = the nodes u depends on)."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(edges[w])))
                    advanced = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out
