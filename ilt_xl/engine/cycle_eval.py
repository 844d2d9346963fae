"""Cells whose formulas may depend on each other in a circle, evaluated as Excel does.

Excel follows the references a formula actually reads: ``=IF(A1, B1, 1)`` with A1 FALSE never
reads B1, so a circle that passes through the branch not taken is no circle. The cells of such a
group are therefore computed on demand: reading a cell that is still to be computed computes it
first; reading a cell that is being computed (further up the same chain) closes a real circle.

Cells on a real circle take Excel's values: with iterative calculation off (the default) Excel
leaves them, and the cells reading them, uncomputed (the caller keeps their cached values); with ``<calcPr iterate="1" iterateCount iterateDelta>`` the group is
recomputed, each pass reading the values of the pass before, until no cell changes by more than
iterateDelta or iterateCount passes are done.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ilt_xl.engine.cell_order import cell_index

PENDING, RUNNING, DONE = 0, 1, 2
# cells computed inside the computation of another, at most: a deeper chain (a column whose every
# cell reads the whole column) counts as circular, its cells left to the outer loop
MAX_DEPTH = 40


class OnDemand:
    """Evaluate the cells ``cells[i] = (sheet index, column, row)`` in an order that computes what
    each one reads first. ``compute(i)`` evaluates cell i and stores its value; ``value(i)`` reads it
    back (a float, or None when not a number) to measure the change between iterations."""

    def __init__(self, cells: list[tuple[int, int, int]], compute: Callable[[int], None],
                 areas: dict[int, tuple[int, int, int, int]] | None = None):
        """``areas[i]`` = (r0, c0, r1, c1): cell i is an array formula filling that area, so
        reading any cell of it computes cell i."""
        self.cells = cells
        self.index = cell_index(cells, areas)
        self.compute = compute
        self.state = np.zeros(len(cells), np.int8)
        self.stack: list[int] = []
        self.done: list[int] = []            # the order in which the cells were completed
        self.circular: set[int] = set()
        self.reads: dict[int, list[tuple]] = {}     # cell -> the areas it read (sheet index, r0, c0, r1, c1)

    def on_read(self, sheet, r0: int, c0: int, r1: int, c1: int) -> None:
        reader = self.stack[-1] if self.stack else None
        if reader is not None:
            self.reads.setdefault(reader, []).append((sheet.index, r0, c0, r1, c1))
        for _, ids in self.index.inside((sheet.index, r0, c0, r1, c1)):
            state = self.state[ids]
            for i in ids[state == RUNNING].tolist():
                self.circular.update(self.stack[self.stack.index(i):])
            pending = ids[state == PENDING]
            if len(pending) and len(self.stack) >= MAX_DEPTH:
                self.circular.update(self.stack)     # too deep to follow: the chain counts as a circle
                continue
            for i in pending.tolist():
                if self.state[i] == PENDING:
                    self.run(i)

    def cells_read(self, i: int) -> list[int]:
        """The cells of the group cell ``i`` read, ascending (found from the areas when asked: a
        column reading its growing range would otherwise store a quadratic number of them)."""
        found: set[int] = set()
        for area in self.reads.get(i, ()):
            for _, ids in self.index.inside(area):
                found.update(ids.tolist())
        return sorted(found)

    def run(self, i: int) -> None:
        self.state[i] = RUNNING
        self.stack.append(i)
        try:
            self.compute(i)
        finally:
            self.stack.pop()
            self.state[i] = DONE
            self.done.append(i)

    def run_all(self, order: list[int]) -> None:
        for i in order:
            if self.state[i] == PENDING:
                self.run(i)

    def iterate(self, count: int, delta: float, value: Callable[[int], float | None]) -> None:
        """Recompute the group (in the order of the first pass) up to ``count - 1`` more times,
        until no cell of a circle changes by more than ``delta``."""
        members = sorted(self.circular)
        for _ in range(count - 1):
            before = [value(i) for i in members]
            for i in self.done:
                self.compute(i)
            after = [value(i) for i in members]
            if all(a is not None and b is not None and abs(a - b) <= delta or a == b for a, b in zip(before, after)):
                return
