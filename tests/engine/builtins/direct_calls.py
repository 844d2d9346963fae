"""Call a built-in straight from the engine's one table, on hand-made values (no workbook).

    call("SUM", arg([1, 2, "x"], area=True), arg(3))          # -> 6.0
    call("MATCH", arg(["b", "a"], per_row=True), keys, arg(0), rows=(2, 3))   # -> [[2.0], [1.0]]

Arguments are hand-made :class:`~ilt_xl.engine.evaluator.Val`: a scalar (a value typed in the
formula), an area (``area=True``: a reference's cells, with a reference on an empty sheet), or
per row (one value per row of a calculated column's run, ``rows`` giving the run's rows).
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import builtins
from ilt_xl.engine.evaluator import Book, Ctx, Val
from ilt_xl.engine.values import ERR, Block
from ilt_xl.engine.workbook_model import FormulaCells, Sheet, WorkbookModel

SHEET = Sheet("Sheet1", "xl/worksheets/sheet1.xml", 0, Block(np.zeros((0, 0), np.int8), np.zeros((0, 0))),
              FormulaCells(np.zeros(0, np.int64), np.zeros(0, np.int64), [], [], []))
TODAY = 45292.0         # 2024-01-01


def arg(values, per_row: bool = False, area: bool = False, at: tuple[int, int] = (1, 1)) -> Val:
    """A hand-made argument: a list is a column, a list of lists rows; ``area`` makes it a reference
    whose top-left cell is ``at`` (row, column)."""
    block = Block.from_objects(np.array(values, dtype=object))
    ref = None
    if area:
        h, w = block.shape
        ref = (SHEET, at[0], at[1], at[0] + h - 1, at[1] + w - 1)
    return Val(block, per_row, ref)


def call(name: str, *args: Val, rows=(1,), col: int = 26):
    """The built-in's result as Python values: one value, or a list of rows (each a list).
    Errors come back as their code text ("#N/A")."""
    fn, lazy = builtins.find(name)
    assert fn is not None and not lazy, f"{name} is not an eager built-in of the table"
    rows = np.asarray(rows, dtype=np.int64)
    book = Book(WorkbookModel("hand.xlsx", [SHEET], [], {}), TODAY, registry={})
    out = fn(list(args), Ctx(book, SHEET, rows, int(rows[0]), col))
    b = out.block
    plain = [[str(b.obj[i, j]) if b.kind[i, j] == ERR else b.value(i, j) for j in range(b.shape[1])]
             for i in range(b.shape[0])]
    return plain[0][0] if b.shape == (1, 1) and not out.per_row else plain
