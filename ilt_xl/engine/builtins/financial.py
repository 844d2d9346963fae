"""Financial built-ins computed as Excel computes them: VDB (declining balance with the switch to
straight line, fractional periods included), XIRR (Excel's bisection) and PPMT (without the
cancellation of PMT - IPMT)."""
from __future__ import annotations

import math

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import elementwise
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import NUM, Block, E_VALUE


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


def xirr_by_halving(values: np.ndarray, dates: np.ndarray, guess: float) -> float | None:
    """XIRR as Excel finds it, or None when its search finds no bracket: Excel's results are the
    midpoints of a bisection between 0 and the guess, doubled until the net present value changes
    sign (XIRR(..,1) is 80439335/2^27 exactly), stopped at the first midpoint within 1e-8 of the
    root (half the interval): never a fully converged root. A negative guess finds no bracket."""
    order = np.argsort(dates, kind="stable")
    v, d = values[order], np.floor(dates[order])
    t = (d - d[0]) / 365.0

    def npv(rate: float) -> float:
        with np.errstate(all="ignore"):
            return float((v / np.power(1.0 + rate, t)).sum())

    lo, f_lo = 0.0, npv(0.0)
    if f_lo == 0.0:
        return 0.0
    hi = guess
    if not hi > 0.0:
        return None
    for _ in range(1100):           # doubling reaches the largest double in ~1,030 steps
        f_hi = npv(hi)
        if not np.isfinite(f_hi):
            return None
        if (f_hi > 0) != (f_lo > 0) or f_hi == 0.0:
            break
        hi *= 2.0
    else:
        return None
    for _ in range(2000):
        mid = (lo + hi) / 2.0
        if (hi - lo) / 2.0 < 1e-8:
            return mid
        f_mid = npv(mid)
        if f_mid == 0.0:
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return None


@builtin("XIRR")
def xirr(args: list[Val], ctx: Ctx) -> Val:
    """XIRR(values, dates, [guess]): the `formulas` library checks the arguments (its errors are
    Excel's); the rate is then found as Excel finds it (:func:`xirr_by_halving`), or, where that
    finds no bracket (a negative rate), the library's Newton root is kept."""
    if any(a.per_row for a in args):
        raise NotVectorisable("XIRR per row")
    got = call_formulas("XIRR", args, ctx)
    if len(args) < 2 or got.shape != (1, 1) or got.block.kind[0, 0] != NUM:
        return got
    values = co.to_numbers(args[0].block)[0].ravel()
    dates = co.to_numbers(args[1].block)[0].ravel()
    guess = float(co.to_numbers(args[2].block)[0][0, 0]) if len(args) > 2 else 0.1     # a blank guess is 0
    if len(values) != len(dates):
        return got
    rate = xirr_by_halving(values, dates, guess)
    return got if rate is None else Val(Block.numbers([[rate]]))


@builtin("XNPV")
def xnpv(args: list[Val], ctx: Ctx) -> Val:
    """XNPV(rate, values, dates): the `formulas` library checks the arguments; the sum is taken in
    the order of the cash flows, as Excel adds them (a near-zero result depends on that order)."""
    if any(a.per_row for a in args):
        raise NotVectorisable("XNPV per row")
    got = call_formulas("XNPV", args, ctx)
    if len(args) != 3 or got.shape != (1, 1) or got.block.kind[0, 0] != NUM or args[0].shape != (1, 1):
        return got
    rate = float(co.to_numbers(args[0].block)[0][0, 0])
    values = co.to_numbers(args[1].block)[0].ravel()
    dates = np.floor(co.to_numbers(args[2].block)[0].ravel())
    if len(values) != len(dates) or len(dates) == 0 or dates[0] != dates.min():
        return got
    with np.errstate(all="ignore"):
        total = sum((values / np.power(1.0 + rate, (dates - dates[0]) / 365.0)).tolist())     # one by one, in order
    return Val(Block.numbers([[total]])) if np.isfinite(total) else got


def ppmt(rate, per, nper, pv, fv, when):
    """The principal part of payment ``per`` (arrays broadcast; NaN for #NUM!). PMT - IPMT loses
    every digit when the two are nearly equal (a high rate: PPMT(2,3,33,10000,1) is -3.2e-11 of
    a -20,000 payment); Excel's results are exact there, as this closed form is: the principal
    grows by (1 + rate) each period from -rate (pv + fv) / ((1 + rate)^nper - 1), one period
    later when payments are due at the start (whose first payment is all principal)."""
    start = when != 0
    g = np.power(1.0 + rate, nper)
    safe = np.where(rate == 0, 1.0, rate)
    first = -safe * (pv + fv) / (g - 1.0)
    grown = first * np.power(1.0 + rate, per - 1.0 - start)
    whole = -(pv * g + fv) * safe / ((g - 1.0) * (1.0 + safe * start))      # PMT
    out = np.where(start & (per == 1), whole, grown)
    out = np.where(rate == 0, -(pv + fv) / np.where(nper == 0, np.nan, nper), out)
    return np.where((per < 1) | (per >= nper + 1), np.nan, out)


@builtin("PPMT")
def ppmt_(args: list[Val], ctx: Ctx) -> Val:
    if not 4 <= len(args) <= 6:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = list(args) + [None] * (6 - len(args))
    return elementwise(ppmt, *vals, default=(None, None, None, None, 0.0, 0.0))
