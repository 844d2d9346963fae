"""Financial built-ins computed as Excel computes them: VDB (declining balance with the switch to
straight line, fractional periods included)."""
from __future__ import annotations

import math

import numpy as np

from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import elementwise
from ilt_xl.engine.evaluator import Ctx, Val
from ilt_xl.engine.values import Block, E_VALUE


def vdb(cost: float, salvage: float, life: float, start: float, end: float, factor: float = 2.0,
        no_switch: bool = False) -> float:
    """Depreciation between ``start`` and ``end`` (NaN, #NUM!, for impossible arguments).

    Excel lays the periods on a grid that starts with the fraction of ``start`` (VDB(..,2.5,3.5)
    depreciates the periods 0-0.5, 0.5-1.5, 1.5-2.5, 2.5-3.5): each period of length f takes f x
    the larger of the declining balance (book x factor/life, never below salvage) and the straight
    line over the life left ((book - salvage) / (life - period start)); once the straight line is
    larger it stays (unless ``no_switch``). Matches Excel's VDB on whole and fractional periods."""
    if (start < 0 or end < start or end > life or life <= 0 or cost < 0 or salvage < 0 or salvage > cost
            or factor <= 0):
        return math.nan
    rate = min(factor / life, 1.0)
    offset = start - math.floor(start)
    book, a, total = cost, 0.0, 0.0
    while a < end:
        b = min(offset if a == 0.0 and offset > 0 else a + 1.0, life)
        length = b - a
        ddb = min(book * rate, max(book - salvage, 0.0))
        straight = (book - salvage) / (life - a)
        if not no_switch and straight > ddb:
            # straight line from here on: every later period takes the same amount per unit of time
            return total + straight * (end - max(a, start))
        amount = ddb * length
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += amount * (hi - lo) / length
        book -= amount
        a = b
    return total


_vdb = np.frompyfunc(lambda *xs: vdb(*xs[:5], xs[5], bool(xs[6])), 7, 1)


@builtin("VDB")
def vdb_(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 5:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = list(args) + [None] * (7 - len(args))
    return elementwise(lambda *xs: _vdb(*xs).astype(np.float64), *vals[:7],
                       default=(None, None, None, None, None, 2.0, 0.0))
