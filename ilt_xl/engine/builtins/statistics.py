"""Statistics over a sample of numbers: SKEW, SKEW.P and MODE.MULT, computed as Excel computes them.

Excel's sample rule: references and arrays count only the numbers they hold (text, logical values
and empty cells are left out; an error is the result); numbers, logical values and text that reads
as a number (or a date) typed directly as an argument are counted, other text is #VALUE!.
The sums run in argument order, one addition at a time, as Excel's do: a sample whose skewness is
0 in exact arithmetic gets Excel's rounding residue (-1.2e-15), not another one.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NA, E_VALUE


class SampleError(Exception):
    """An argument's error, the function's result."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _is_direct(v: Val) -> bool:
    return v.ref is None and v.block.shape == (1, 1)


def sample(args: list[Val], ctx: Ctx, *, direct_text: bool = True) -> list[float]:
    """The numbers of the arguments in order (rows before columns within a range), by Excel's
    sample rule. ``direct_text=False`` leaves typed text out instead of coercing it (MODE.MULT).
    Raises :class:`SampleError` with the first error met."""
    out: list[float] = []
    for a in args:
        if a.per_row:
            raise NotVectorisable("a statistic over per-row values")
        b = a.block
        if not _is_direct(a):
            errors = b.kind == ERR
            if errors.any():
                raise SampleError(b.obj[errors][0])
            out.extend(float(x) for x in b.num[b.kind == NUM])
            continue
        kind = b.kind[0, 0]
        if kind == ERR:
            raise SampleError(b.obj[0, 0])
        if kind in (NUM, BOOL):
            out.append(float(b.num[0, 0]))
        elif kind == STR:
            if not direct_text:
                continue
            got = call_by_name("VALUE", [a], ctx).block     # "1e1", "29/02/1900" as VALUE reads them
            if got.kind[0, 0] != NUM:
                raise SampleError(E_VALUE)
            out.append(float(got.num[0, 0]))
        elif kind == EMPTY:          # an omitted argument (SKEW(A1:A3,)) is not a number
            raise SampleError(E_VALUE)
    return out


def _sequential_sum(values) -> float:
    total = 0.0
    for x in values:
        total += x
    return total


def _error(e) -> Val:
    return Val(Block.errors((1, 1), e))


def _skew(args: list[Val], ctx: Ctx, population: bool) -> Val:
    """Excel's two-pass skewness: the mean, the standard deviation about it (n-1 or n), then the
    sum of the cubed standardised deviations (z*z*z), scaled by n/((n-1)(n-2)) or 1/n."""
    try:
        x = sample(args, ctx)
    except SampleError as exc:
        return _error(exc.error)
    n = len(x)
    if n < (1 if population else 3):
        return _error(E_DIV0)
    mean = _sequential_sum(x) / n
    d = [v - mean for v in x]
    ss = _sequential_sum(v * v for v in d)
    if ss == 0:
        return _error(E_DIV0)
    s = float(np.sqrt(ss / (n if population else n - 1)))
    cubes = _sequential_sum((v / s) * (v / s) * (v / s) for v in d)
    out = cubes / n if population else n / ((n - 1) * (n - 2)) * cubes
    return Val(Block.numbers([[out]]))


@builtin("SKEW")
def skew(args: list[Val], ctx: Ctx) -> Val:
    return _skew(args, ctx, population=False)


@builtin("SKEW.P")
def skew_p(args: list[Val], ctx: Ctx) -> Val:
    return _skew(args, ctx, population=True)


@builtin("MODE.MULT")
def mode_mult(args: list[Val], ctx: Ctx) -> Val:
    """Every value that occurs most often (at least twice), in the order each first occurs, as a
    column; #N/A when no value repeats. Typed text is left out (MODE.MULT(A1:B2,"") is A1:B2's)."""
    try:
        x = sample(args, ctx, direct_text=False)
    except SampleError as exc:
        return _error(exc.error)
    counts: dict[float, int] = {}
    for v in x:
        counts[v] = counts.get(v, 0) + 1
    top = max(counts.values(), default=0)
    if top < 2:
        return _error(E_NA)
    modes = [v for v, c in counts.items() if c == top]      # dicts keep first-occurrence order
    return Val(Block.numbers(np.array(modes, dtype=np.float64).reshape(-1, 1)))

