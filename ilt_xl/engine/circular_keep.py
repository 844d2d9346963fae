"""Cells Excel leaves uncomputed because of a circular reference (iterative calculation off).

Excel does not compute a circle when the workbook does not ask for iterative calculation: it
warns, and the cells on the circle, and the cells reading them, keep what they held (a workbook
Excel saved has ``=B2+1`` cached as 0 while B2, on a circle, is 0). The engine does the same:
those cells keep the values Excel cached and are reported as kept ("circular reference"), never
given values Excel would not show. This module remembers which cells were kept so, so that the
cells reading them (later in the evaluation order) are kept too.
"""
from __future__ import annotations

import bisect

from ilt_xl.xlsx import column_letter


class CircularCells:
    """Cells kept because they sit on a circle or read such a cell: per (sheet index, column),
    their sorted rows, and each one's name (``Sheet!B2``) to say why its readers are kept."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], list[int]] = {}
        self.cols: dict[int, list[int]] = {}        # sheet index -> sorted columns holding such cells
        self.names: dict[tuple[int, int, int], str] = {}

    def __bool__(self) -> bool:
        return bool(self.rows)

    def add(self, sheet, row: int, col: int) -> None:
        key = (sheet.index, col)
        rows = self.rows.get(key)
        if rows is None:
            rows = self.rows[key] = []
            bisect.insort(self.cols.setdefault(sheet.index, []), col)
        i = bisect.bisect_left(rows, row)
        if i == len(rows) or rows[i] != row:
            rows.insert(i, row)
            self.names[(sheet.index, row, col)] = f"{sheet.name}!{column_letter(col)}{row}"

    def first_inside(self, areas) -> str | None:
        """The name of a kept cell inside one of ``areas`` ((sheet index, r0, c0, r1, c1)), else None."""
        for s, r0, c0, r1, c1 in areas:
            cols = self.cols.get(s)
            if not cols:
                continue
            for col in cols[bisect.bisect_left(cols, c0):bisect.bisect_right(cols, c1)]:
                rows = self.rows[(s, col)]
                i = bisect.bisect_left(rows, r0)
                if i < len(rows) and rows[i] <= r1:
                    return self.names[(s, rows[i], col)]
        return None
