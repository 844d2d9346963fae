"""Statistics over a sample of numbers: SKEW, SKEW.P, the variances and standard deviations (VAR,
VARP, STDEV, STDEVP and their .S/.P names), MODE and MODE.MULT, POISSON.DIST and BINOM.DIST.RANGE,
computed as Excel computes them.

Excel's sample rule: references and arrays count only the numbers they hold (text, logical values
and empty cells are left out; an error is the result); numbers, logical values and text that reads
as a number (or a date) typed directly as an argument are counted, other text is #VALUE!.
The sums run in argument order, one addition at a time, as Excel's do: a sample whose skewness is
0 in exact arithmetic gets Excel's rounding residue (-1.2e-15), not another one.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins._values import _omitted, elementwise
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NA, E_VALUE


class SampleError(Exception):
    """An argument's error, the function's result."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _is_direct(v: Val) -> bool:
    return v.ref is None and v.block.shape == (1, 1)


def sample(args: list[Val], ctx: Ctx, *, direct_text: bool = True, single_numbers: bool = False) -> list[float]:
    """The numbers of the arguments in order (rows before columns within a range), by Excel's
    sample rule. ``direct_text=False`` leaves typed text out instead of coercing it (MODE.MULT);
    ``single_numbers``: a single value, typed or a one-cell reference, must be a number, text,
    a logical value or an empty cell there is #VALUE! (MODE). Raises :class:`SampleError` with
    the first error met."""
    out: list[float] = []
    for a in args:
        if a.per_row:
            raise NotVectorisable("a statistic over per-row values")
        b = a.block
        if single_numbers and b.shape == (1, 1):
            if b.kind[0, 0] == ERR:
                raise SampleError(b.obj[0, 0])
            if b.kind[0, 0] != NUM:
                raise SampleError(E_VALUE)
            out.append(float(b.num[0, 0]))
            continue
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


def _at_least(args: list[Val], ctx: Ctx, least: int) -> list[float] | Val:
    """The sample of ``args`` (:func:`sample`), or the error it gives, or #DIV/0! for fewer than
    ``least`` numbers."""
    try:
        x = sample(args, ctx)
    except SampleError as exc:
        return _error(exc.error)
    return x if len(x) >= least else _error(E_DIV0)


def _skew(args: list[Val], ctx: Ctx, population: bool) -> Val:
    """Excel's two-pass skewness: the mean, the standard deviation about it (n-1 or n), then the
    sum of the cubed standardised deviations (z*z*z), scaled by n/((n-1)(n-2)) or 1/n."""
    x = _at_least(args, ctx, 1 if population else 3)
    if isinstance(x, Val):
        return x
    n = len(x)
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


def _variance(args: list[Val], ctx: Ctx, population: bool, root: bool) -> Val:
    """The variance from the sums of the numbers and of their squares, in the forms whose rounding
    Excel's cached values carry to the last bit (neither the two-pass sum of squared deviations
    nor the exact value does): sample (Sxx - S*S/n)/(n-1), population (n*Sxx - S*S)/(n*n); #DIV/0!
    below 2 (1) numbers. A one-cell reference is read as a range (its text is left out), typed
    numeric text counts (VAR("1","2") is 0.5)."""
    x = _at_least(args, ctx, 1 if population else 2)
    if isinstance(x, Val):
        return x
    n = len(x)
    s, ss = _sequential_sum(x), _sequential_sum(v * v for v in x)
    var = (n * ss - s * s) / (n * n) if population else (ss - s * s / n) / (n - 1)
    if var < 0:         # rounding below 0 for equal numbers
        var = 0.0
    return Val(Block.numbers([[float(np.sqrt(var)) if root else var]]))


builtin("VAR", "VAR.S")(lambda args, ctx: _variance(args, ctx, population=False, root=False))
builtin("VARP", "VAR.P")(lambda args, ctx: _variance(args, ctx, population=True, root=False))
builtin("STDEV", "STDEV.S")(lambda args, ctx: _variance(args, ctx, population=False, root=True))
builtin("STDEVP", "STDEV.P")(lambda args, ctx: _variance(args, ctx, population=True, root=True))


def _mode(args: list[Val], ctx: Ctx, *, strict: bool) -> Val:
    try:
        x = sample(args, ctx, direct_text=False, single_numbers=strict)
    except SampleError as exc:
        return _error(exc.error)
    modes = _most_frequent(x)
    return Val(Block.numbers([[modes[0]]])) if modes else _error(E_NA)


@builtin("MODE")
def mode(args: list[Val], ctx: Ctx) -> Val:
    """The value that occurs most often (the first of those that tie), #N/A when none repeats.
    Ranges and arrays give their numbers; a single value, typed or a one-cell reference, must be
    a number (MODE(B9,2,D7) with D7 empty is #VALUE!, as is MODE("1",1,1))."""
    return _mode(args, ctx, strict=True)


@builtin("MODE.SNGL")
def mode_sngl(args: list[Val], ctx: Ctx) -> Val:
    """MODE.SNGL leaves out what is not a number, typed or referenced: MODE.SNGL(A1,G1) with A1
    text is G1's mode (#N/A), MODE.SNGL(A1:B1,"") is A1:B1's (Excel's cached values)."""
    return _mode(args, ctx, strict=False)


def _most_frequent(x: list[float]) -> list[float]:
    """The values that occur most often (at least twice), in the order each first occurs."""
    counts: dict[float, int] = {}
    for v in x:
        counts[v] = counts.get(v, 0) + 1
    top = max(counts.values(), default=0)
    return [v for v, c in counts.items() if c == top] if top >= 2 else []   # dicts keep first-occurrence order


@builtin("MODE.MULT")
def mode_mult(args: list[Val], ctx: Ctx) -> Val:
    """Every value that occurs most often (at least twice), in the order each first occurs, as a
    column; #N/A when no value repeats. Typed text is left out (MODE.MULT(A1:B2,"") is A1:B2's)."""
    try:
        x = sample(args, ctx, direct_text=False)
    except SampleError as exc:
        return _error(exc.error)
    modes = _most_frequent(x)
    if not modes:
        return _error(E_NA)
    return Val(Block.numbers(np.array(modes, dtype=np.float64).reshape(-1, 1)))



@builtin("POISSON.DIST", "POISSON")
def poisson_dist(args: list[Val], ctx: Ctx) -> Val:
    """POISSON.DIST(x, mean, cumulative): x is truncated to a whole number of events first, for
    the mass as for the cumulative (POISSON.DIST(4/3,2,FALSE) is P(X=1), 2e^-2); x or mean below 0
    is #NUM!."""
    if len(args) != 3:
        return _error(E_VALUE)
    from scipy.stats import poisson

    def dist(x, mean, cumulative):
        k = np.trunc(x)
        ok = (x >= 0) & (mean >= 0)
        k, m = np.where(ok, k, 0.0), np.where(ok, mean, 0.0)
        return np.where(ok, np.where(cumulative != 0, poisson.cdf(k, m), poisson.pmf(k, m)), np.nan)
    return elementwise(dist, args[0], args[1], _logical_text(args[2]))


def _logical_text(v: Val) -> Val:
    """A flag argument whose text "TRUE" or "FALSE" (any case, typed or in a cell) reads as the
    logical value (POISSON.DIST(3,4,"TRUE")); other text stays (#VALUE!)."""
    b = v.block
    texts = b.kind == STR
    if not texts.any():
        return v
    words = np.array([str(t).strip().upper() for t in b.obj[texts]], dtype=object)
    logical = np.zeros(b.shape, bool)
    logical[texts] = (words == "TRUE") | (words == "FALSE")
    if not logical.any():
        return v
    truth = np.zeros(b.shape, bool)
    truth[texts] = words == "TRUE"
    kind = np.where(logical, BOOL, b.kind).astype(np.int8)
    return Val(Block(kind, np.where(logical, truth.astype(float), b.num), b._obj), v.per_row, v.ref)


@builtin("BINOM.DIST.RANGE")
def binom_dist_range(args: list[Val], ctx: Ctx) -> Val:
    """BINOM.DIST.RANGE(trials, p, s, [s2]): the probability of s to s2 successes (s alone when
    s2 is omitted; an empty s2 cell is 0) in ``trials``, the counts truncated to whole numbers,
    summed term by term (a difference of cumulative values loses the small ones). #NUM! unless
    0 <= p <= 1 and 0 <= s <= s2 <= trials."""
    if not 3 <= len(args) <= 4:
        return _error(E_VALUE)
    from scipy.stats import binom

    def one(n, p, s, s2):
        if not (0.0 <= p <= 1.0 and 0 <= s <= s2 <= n):
            return np.nan
        if s2 - s > 10_000:
            return float(binom.cdf(s2, n, p) - binom.cdf(s - 1, n, p))
        return float(_sequential_sum(binom.pmf(np.arange(s, s2 + 1), n, p)))
    terms = np.frompyfunc(lambda n, p, s, s2: one(np.trunc(n), p, np.trunc(s), np.trunc(s2)), 4, 1)
    s2 = args[3] if len(args) == 4 and not _omitted(args[3]) else args[2]
    return elementwise(lambda n, p, s, s2: terms(n, p, s, s2).astype(np.float64), args[0], args[1], args[2], s2)
