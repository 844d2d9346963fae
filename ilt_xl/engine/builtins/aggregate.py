"""SUBTOTAL: an aggregate over references that leaves out hidden and filtered rows and the
results of other SUBTOTAL/AGGREGATE cells, as Excel does.

Codes 1-11 leave out rows a filter hides (hidden rows inside the sheet's autoFilter or a table);
codes 101-111 leave out every hidden row. Other SUBTOTAL or AGGREGATE cells inside the ranges are
never counted, so a total row can sum sub-totals without counting them twice.
"""
from __future__ import annotations

import re

import numpy as np

from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, NUM, Block, E_VALUE

_FUNCTIONS = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV", 8: "STDEVP",
              9: "SUM", 10: "VAR", 11: "VARP"}
_NESTED = re.compile(r"\b(?:_xlfn\.)?(?:SUBTOTAL|AGGREGATE)\s*\(", re.I)


def _nested_cells(ctx: Ctx, sheet) -> set[tuple[int, int]]:
    """(row, col) of the sheet's cells whose formula calls SUBTOTAL or AGGREGATE."""
    key = ("subtotal cells", sheet.index)
    if key not in ctx.book.facts:
        f = sheet.formulas
        ctx.book.facts[key] = {(int(r), int(c)) for r, c, t in zip(f.rows, f.cols, f.texts) if _NESTED.search(t)}
    return ctx.book.facts[key]


def _filtered_rows(sheet) -> np.ndarray:
    """Hidden rows inside a filter range (the sheet's autoFilter, or a table's rows)."""
    areas = [t.ref for t in sheet.tables] + ([sheet.auto_filter] if sheet.auto_filter else [])
    rows = sheet.hidden_rows
    inside = np.zeros(len(rows), bool)
    for r0, _, r1, _ in areas:
        inside |= (rows > r0) & (rows <= r1)
    return rows[inside]


def _visible(ctx: Ctx, v: Val, skip_hidden: bool) -> Val:
    """``v`` with the cells SUBTOTAL leaves out made empty."""
    sheet, r0, c0, r1, c1 = v.ref
    hidden = sheet.hidden_rows if skip_hidden else _filtered_rows(sheet)
    out = np.zeros(v.shape, bool)
    rows = hidden[(hidden >= r0) & (hidden <= r1)]
    out[rows - r0, :] = True
    for r, c in _nested_cells(ctx, sheet):
        if r0 <= r <= r1 and c0 <= c <= c1:
            out[r - r0, c - c0] = True
    if not out.any():
        return v
    b = v.block
    kind = np.where(out, EMPTY, b.kind).astype(np.int8)
    return Val(Block(kind, np.where(out, 0.0, b.num), b._obj), False, v.ref)


@builtin("SUBTOTAL")
def subtotal(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 2:
        return Val(Block.errors((1, 1), E_VALUE))
    code = args[0]
    if code.per_row or any(a.per_row for a in args[1:]):
        raise NotVectorisable("SUBTOTAL per row")
    if code.shape != (1, 1) or code.block.kind[0, 0] not in (NUM, BOOL):
        return Val(Block.errors((1, 1), E_VALUE))
    n = int(np.trunc(code.block.num[0, 0]))
    name = _FUNCTIONS.get(n - 100 if n > 100 else n)
    if name is None or any(a.ref is None for a in args[1:]):
        return Val(Block.errors((1, 1), E_VALUE))
    return call_by_name(name, [_visible(ctx, a, n > 100) for a in args[1:]], ctx)
