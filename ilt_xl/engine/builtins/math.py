"""Math built-ins: rounding at a number of digits (ROUND, ROUNDUP, ROUNDDOWN, TRUNC), QUOTIENT,
RAND, RANDBETWEEN, INT, ABS, EXP, LN, LOG10, LOG, SQRT, SIGN, MROUND, MOD, SUMPRODUCT, MINVERSE, CEILING and FLOOR (all forms), GCD, LCM, COMBIN, COMBINA."""
from __future__ import annotations

import math as pymath

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import _omitted, elementwise, result, scalar_numbers
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NA, E_NUM, E_VALUE

# a float has at most 17 significant digits and lies within 1e-324..1e308: beyond these many
# digits, rounding keeps every digit (or none), so huge digit counts never reach 10**digits
_MAX_DIGITS = 340


def at_digits(x: np.ndarray, digits: np.ndarray, mode: str) -> np.ndarray:
    """``x`` rounded ('round': half away from zero), rounded up ('up': away from zero) or down
    ('down': toward zero) at ``digits`` decimals, on the 15 significant digits Excel works with;
    'trunc' cuts the shifted number rounded to 15 significant digits, as Excel saves it:
    TRUNC(-0.7999999999999998,1) is -0.8 (-7.99999999999999|8), TRUNC(-0.39999999999999947,1) is
    -0.3 (-3.99999999999999|47)."""
    x, d = np.broadcast_arrays(np.asarray(x, np.float64), np.trunc(np.asarray(digits, np.float64)))
    d = np.clip(d, -_MAX_DIGITS, _MAX_DIGITS)
    if mode == "round":
        out = co.excel_round(x, np.clip(d, -308, 308))
    else:
        scale = 10.0 ** np.clip(d, -308, 308)
        y = np.abs(x) * scale
        # on the 15 significant digits Excel keeps: 8.000000000000002 is 8 (not rounded up to 9),
        # and 2.55E-255 stays itself (ROUNDUP(2.55,-255) is 1E+255)
        y = co.significant_15(y)
        step = np.ceil(y) if mode == "up" else np.floor(y)
        out = np.sign(x) * step / scale
    # digits beyond the number's precision keep it; digits before its first digit give 0
    keep = (d > 0) & ~np.isfinite(np.abs(x) * 10.0 ** np.clip(d, -308, 308)) | (d >= 308)
    gone = d <= -308
    return np.where(keep, x, np.where(gone, 0.0, out))


@builtin("ROUND")
def round_(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x, d: at_digits(x, d, "round"), args[0], args[1])


@builtin("ROUNDUP")
def roundup(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x, d: at_digits(x, d, "up"), args[0], args[1])


@builtin("ROUNDDOWN")
def rounddown(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x, d: at_digits(x, d, "down"), args[0], args[1])


@builtin("TRUNC")
def trunc(args: list[Val], ctx: Ctx) -> Val:
    digits = args[1] if len(args) > 1 else None
    return elementwise(lambda x, d: at_digits(x, d, "trunc"), args[0], digits, default=(None, 0.0))


@builtin("QUOTIENT")
def quotient(args: list[Val], ctx: Ctx) -> Val:
    return _by_zero_div0(elementwise(lambda n, d: np.trunc(n / np.where(d == 0, 1.0, d)), args[0], args[1]), args[1])


def _by_zero_div0(out: Val, divisor: Val) -> Val:
    """``out`` with #DIV/0! where ``divisor`` is 0 (errors of the arguments come first)."""
    zero = np.broadcast_to(co.to_numbers(divisor.block)[0] == 0, out.shape) & (out.block.kind != ERR)
    if zero.any():
        out.block.kind[zero], out.block.obj[zero] = ERR, E_DIV0
    return out


@builtin("RAND")
def rand(args: list[Val], ctx: Ctx) -> Val:
    # volatile: a new number on every recalculation, as in Excel
    n = ctx.n
    return Val(Block.numbers(np.random.random((n, 1))), n > 1)


@builtin("RANDBETWEEN")
def randbetween(args: list[Val], ctx: Ctx) -> Val:
    def draw(lo, hi):
        lo, hi = np.ceil(lo), np.floor(hi)
        bad = lo > hi
        r = np.random.random(np.broadcast_shapes(lo.shape, hi.shape))
        return np.where(bad, np.nan, lo + np.floor(r * (np.where(bad, lo, hi) - lo + 1)))
    return elementwise(draw, args[0], args[1], booleans=False)


@builtin("INT")
def int_(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(np.floor, args[0])


@builtin("ABS")
def abs_(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(np.abs, args[0])


@builtin("EXP")
def exp(args: list[Val], ctx: Ctx) -> Val:
    """e^x; text reads as arithmetic reads it (EXP("8%"), EXP("2024-01-10") is #NUM!, a date's
    serial), beyond 709.78 #NUM!."""
    return elementwise(np.exp, args[0])


@builtin("LN")
def ln(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x: np.log(np.where(x > 0, x, np.nan)), args[0])


@builtin("LOG10")
def log10(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x: np.log10(np.where(x > 0, x, np.nan)), args[0])


@builtin("LOG")
def log(args: list[Val], ctx: Ctx) -> Val:
    """LOG(x, [base]) = ln x / ln base (base 10 by default, then log10 x): #NUM! for x <= 0 or
    base <= 0 (an empty base cell is 0), #DIV/0! for base 1 (TRUE is 1)."""
    if len(args) < 2:
        return log10(args, ctx)

    def log_base(x, b):
        ok = (x > 0) & (b > 0) & (b != 1)
        return np.where(ok, np.log(np.where(ok, x, 2.0)) / np.log(np.where(ok, b, 2.0)), np.nan)
    return elementwise(log_base, args[0], args[1], div0=lambda x, b: (x > 0) & (b == 1))


@builtin("SQRT")
def sqrt(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x: np.sqrt(np.where(x >= 0, x, np.nan)), args[0])


@builtin("SIGN")
def sign(args: list[Val], ctx: Ctx) -> Val:
    """-1, 0 or 1; text reads as arithmetic reads it (SIGN("2024-01-10") is 1)."""
    return elementwise(np.sign, args[0])


@builtin("MROUND")
def mround(args: list[Val], ctx: Ctx) -> Val:
    """MROUND(number, multiple): the multiple nearest the number, halves away from zero, on the 15
    significant digits Excel works with (MROUND(2.675,0.01) is 2.68, MROUND(1,2) is 2); a multiple
    of 0 gives 0, signs that differ #NUM!, TRUE/FALSE #VALUE!, an omitted argument #N/A; text
    reads as arithmetic reads it (MROUND("2024-01-10",7) is 45304). An Analysis ToolPak function:
    a range or array argument is #VALUE! (not taken element by element, even in an array formula)."""
    if len(args) != 2 or any(a.shape != (1, 1) and not a.per_row for a in args):
        return result(E_VALUE)
    if any(_omitted(a) for a in args):
        return result(E_NA)

    def nearest(n, m):
        q = np.abs(n / np.where(m == 0, 1.0, m))
        q = np.where(q < 0.25, 0.0, co.significant_15(np.where(q < 0.25, 1.0, q)))     # 15 digits of 5e-308 overflow
        out = np.sign(n) * np.floor(q + 0.5) * np.abs(m)
        return np.where(m == 0, 0.0, np.where(n * m < 0, np.nan, out))
    return elementwise(nearest, args[0], args[1], booleans=False)


@builtin("MOD")
def mod(args: list[Val], ctx: Ctx) -> Val:
    """The remainder with the divisor's sign (MOD(-3,2) is 1, MOD(3,-2) is -1); MOD(n,0) is #DIV/0!."""
    divisor = args[1] if len(args) > 1 else None
    out = elementwise(lambda n, d: n - d * np.floor(n / np.where(d == 0, 1.0, d)), args[0], divisor, default=(None, 0.0))
    return _by_zero_div0(out, divisor if divisor is not None else Val(Block.numbers([[0.0]])))


def _sumproduct(blocks: list[Block]):
    """SUMPRODUCT of arguments of one row (or of a whole formula): a number or an error.

    The arrays must have the same dimensions (#VALUE! otherwise); an error in any of them is the
    result (the first, in argument then reading order); their text, logical values and empty
    cells count as 0 (numeric text too). Arguments that are single values (a typed value or a
    one-cell reference) multiply as numbers, and text there is #VALUE! (SUMPRODUCT(3,B10,C9) is
    3*B10*C9; SUMPRODUCT(G1:G1,I1:I1) with G1 the text "4" is #VALUE!)."""
    for b in blocks:
        errors = b.kind == ERR
        if errors.any():
            return b.obj[errors][0]
    if any(b.shape != blocks[0].shape for b in blocks):
        return E_VALUE
    if blocks[0].shape == (1, 1) and any(b.kind[0, 0] == STR for b in blocks):
        return E_VALUE
    terms = np.prod([np.where(b.kind == NUM, b.num, 0.0) for b in blocks], axis=0)
    return float(np.sum(terms))


@builtin("SUMPRODUCT")
def sumproduct(args: list[Val], ctx: Ctx) -> Val:
    if not args or any(_omitted(a) for a in args):
        return result(E_VALUE)
    if not any(a.per_row for a in args):
        return result(_sumproduct([a.block for a in args]))
    out = np.empty((ctx.n, 1), dtype=object)
    for i in range(ctx.n):      # a value per row is a single value in each row
        out[i, 0] = _sumproduct([a.block.take(slice(i, i + 1)) if a.per_row else a.block for a in args])
    return Val(Block.from_objects(out), True)


def gauss_jordan_inverse(a: np.ndarray) -> np.ndarray | None:
    """The inverse of square ``a`` by Gauss-Jordan elimination with partial pivoting (None when
    singular): each pivot clears its column above and below (factor = element / pivot), and the
    rows are divided by their pivots at the end. Excel's MINVERSE carries the rounding this
    leaves (MINVERSE({1,2,3;2,5,6;7,8,9}) has -2.0451476769410777E-17 where LAPACK gives 0)."""
    n = a.shape[0]
    m = np.hstack([a.astype(np.float64), np.eye(n)])
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return None
        m[[k, p]] = m[[p, k]]
        for i in range(n):
            if i != k:
                m[i] = m[i] - (m[i, k] / m[k, k]) * m[k]
    return m[:, n:] / np.diag(m[:, :n])[:, None]


@builtin("MINVERSE")
def minverse(args: list[Val], ctx: Ctx) -> Val:
    """The `formulas` library checks the argument (its errors are Excel's); the inverse is then
    :func:`gauss_jordan_inverse`'s, unrounded (the library rounds to 15 decimals)."""
    got = call_formulas("MINVERSE", args, ctx)
    if len(args) != 1 or args[0].per_row or (got.block.kind != NUM).any() or got.shape != args[0].shape:
        return got
    inverse = gauss_jordan_inverse(co.to_numbers(args[0].block)[0])
    if inverse is None or not np.isfinite(inverse).all():
        return Val(Block.errors((1, 1), E_NUM))
    return Val(Block.numbers(inverse))


# ---- multiples: CEILING and FLOOR in their five forms ---------------------------------------------------

def _multiple(n: np.ndarray, s: np.ndarray, up: np.ndarray | bool) -> np.ndarray:
    """``n`` rounded to a multiple of ``s``: ceil(n/s)*s where ``up``, floor(n/s)*s elsewhere
    (0 where s is 0). The quotient is taken on Excel's 15 significant digits (7.1/0.1 is
    70.99999999999999, so FLOOR(7.1,0.1) is 71 tenths) and multiplied back without rounding:
    CEILING(7.1,0.1) and FLOOR(7.1,0.1) are both 7.1000000000000005, as in Excel."""
    q = n / np.where(s == 0, 1.0, s)
    q = np.where(np.abs(q) > 1e-290, np.sign(q) * co.significant_15(np.abs(q)), q)
    return np.where(s == 0, 0.0, np.where(up, np.ceil(q), np.floor(q)) * s)


@builtin("CEILING")
def ceiling(args: list[Val], ctx: Ctx) -> Val:
    """CEILING(number, significance): up to a multiple of significance (-10,7 gives -7; -10,-7
    gives -14); a positive number with a negative significance is #NUM!; significance 0 gives 0."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    return elementwise(lambda n, s: np.where((n > 0) & (s < 0), np.nan, _multiple(n, s, True)), args[0], args[1])


@builtin("FLOOR")
def floor(args: list[Val], ctx: Ctx) -> Val:
    """FLOOR(number, significance): down to a multiple (-10,7 gives -14); a positive number with a
    negative significance is #NUM!; significance 0 is #DIV/0! (0 for the number 0)."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    out = elementwise(lambda n, s: np.where((n > 0) & (s < 0), np.nan, _multiple(n, s, False)), args[0], args[1])
    n, s = np.broadcast_arrays(co.to_numbers(args[0].block)[0], co.to_numbers(args[1].block)[0])
    return _by_zero_div0(out, Val(Block.numbers(np.where((s == 0) & (n != 0), 0.0, 1.0))))


def _math_form(up: bool):
    """CEILING.MATH / FLOOR.MATH(number, [significance=1], [mode=0]): the significance's sign is
    ignored; a negative number with a non-zero mode rounds away from zero (CEILING) or toward it
    (FLOOR) instead."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        def at(n, s, mode):
            s = np.abs(s)
            toward_plus = np.where((n < 0) & (mode != 0), not up, up)
            return _multiple(n, s, toward_plus)
        return elementwise(at, args[0], *(args[1:3] + [None] * (3 - len(args[:3]))), default=(None, 1.0, 0.0))
    return fn


def _precise_form(up: bool):
    """CEILING.PRECISE / ISO.CEILING / FLOOR.PRECISE(number, [significance=1]): toward +inf (or
    -inf) whatever the signs; the significance's sign is ignored."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        return elementwise(lambda n, s: _multiple(n, np.abs(s), up), args[0],
                           args[1] if len(args) > 1 else None, default=(None, 1.0))
    return fn


builtin("CEILING.MATH")(_math_form(True))
builtin("FLOOR.MATH")(_math_form(False))
builtin("CEILING.PRECISE", "ISO.CEILING")(_precise_form(True))
builtin("FLOOR.PRECISE")(_precise_form(False))


# ---- GCD, LCM, COMBIN, COMBINA ---------------------------------------------------------------------------

_EXACT = 2.0 ** 53      # Excel's GCD/LCM take (and LCM gives) only whole numbers below 2^53


def _integers(args: list[Val]):
    """The whole numbers GCD/LCM read from their arguments, or the error they give. An argument
    that is one blank cell is left out (LCM(A1,B1) with B1 blank is A1), where a blank inside a
    range is 0; text is read as a number (#VALUE! when it is none, "" included); TRUE/FALSE is
    #VALUE!; the first such error or error value in argument order wins, and only then is a
    negative number or one from 2^53 #NUM! (GCD(-0.4,TRUE) is #VALUE!). No number at all is
    #VALUE!; an omitted argument (LCM(,5)) is #N/A."""
    out: list[float] = []
    for a in args:
        b = a.block
        if a.per_row:
            raise NotVectorisable("GCD/LCM over per-row values")
        if a.shape == (1, 1) and b.kind[0, 0] == EMPTY:
            if a.ref is None:
                return E_NA
            continue
        for idx in np.ndindex(b.shape):
            k = b.kind[idx]
            if k == ERR:
                return b.obj[idx]
            if k == BOOL:
                return E_VALUE
            if k == EMPTY:
                out.append(0.0)
                continue
            x, mask, _ = co.to_numbers(b.take(slice(idx[0], idx[0] + 1), slice(idx[1], idx[1] + 1)))
            if mask is not None:
                return E_VALUE
            out.append(float(x[0, 0]))
    if not out:
        return E_VALUE
    if any(x < 0 or x >= _EXACT for x in out):
        return E_NUM
    return [float(np.floor(x)) for x in out]


def _gcd_lcm(lcm: bool):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        got = _integers(args)
        if not isinstance(got, list):
            return Val(Block.errors((1, 1), got))
        ints = [int(x) for x in got]
        if lcm:
            result = 0 if 0 in ints else pymath.lcm(*ints)
            if result >= _EXACT:
                return Val(Block.errors((1, 1), E_NUM))
        else:
            result = pymath.gcd(*ints)
        return Val(Block.numbers([[float(result)]]))
    return fn


builtin("GCD")(_gcd_lcm(False))
builtin("LCM")(_gcd_lcm(True))


def _combinations(n: float, k: float) -> float:
    """n choose k for whole n >= k >= 0, as a float (inf past the float range)."""
    n, k = int(n), int(k)
    k = min(k, n - k)
    if k > 2000 and pymath.lgamma(n + 1) - pymath.lgamma(k + 1) - pymath.lgamma(n - k + 1) > 710:
        return np.inf
    try:
        return float(pymath.comb(n, k))
    except OverflowError:
        return np.inf


@builtin("COMBIN")
def combin(args: list[Val], ctx: Ctx) -> Val:
    """COMBIN(n, k): both truncated; n < 0, k < 0 or k > n is #NUM!."""
    def at(n, k):
        n, k = np.trunc(n), np.trunc(k)
        ok = (n >= 0) & (k >= 0) & (k <= n) & (n < _EXACT)
        return np.where(ok, np.vectorize(_combinations, otypes=[float])(np.where(ok, n, 0), np.where(ok, k, 0)), np.nan)
    return elementwise(at, args[0], args[1])


@builtin("COMBINA")
def combina(args: list[Val], ctx: Ctx) -> Val:
    """COMBINA(n, k): combinations with repetitions, COMBIN(n+k-1, k); COMBINA(0,0) is 1; n < 0,
    k < 0 or n < k with n = 0 is #NUM!."""
    def at(n, k):
        n, k = np.trunc(n), np.trunc(k)
        ok = (n >= 0) & (k >= 0) & ((n > 0) | (k == 0)) & (n + k < _EXACT)
        m = np.where(ok, n + k - 1, 0)
        kk = np.where(ok, k, 0)
        got = np.vectorize(lambda a, b: 1.0 if b == 0 else _combinations(a, b), otypes=[float])(m, kk)
        return np.where(ok, got, np.nan)
    return elementwise(at, args[0], args[1])


@builtin("SERIESSUM")
@lifted(0, 1, 2)
def seriessum(args: list[Val], ctx: Ctx) -> Val:
    """SERIESSUM(x, n, m, coefficients): the sum of a_i x^(n + i m) over the coefficients (in
    reading order, i from 0). #VALUE! for a logical or text x, n or m; 0 to the power 0 is
    #NUM!, to a negative power #DIV/0!; the first error first."""
    if len(args) != 4:
        return result(E_VALUE)
    got = scalar_numbers(args[:3], booleans=False)
    if not isinstance(got, list):
        return result(got)
    x, n, m = (v or 0.0 for v in got)
    coefficients, mask, errs = co.to_numbers(args[3].block)
    if mask is not None:
        return result(errs[mask][0])
    powers = n + m * np.arange(coefficients.size)
    if x == 0 and (powers <= 0).any():
        return result(E_DIV0 if (powers < 0).any() else E_NUM)
    with np.errstate(all="ignore"):
        return result(float(np.sum(coefficients.ravel() * np.power(x, powers))))


@builtin("ROMAN")
def roman(args: list[Val], ctx: Ctx) -> Val:
    """ROMAN(number, [form]) as the `formulas` library writes it, a logical form read as Excel
    documents it: TRUE is 0 (classic), FALSE is 4 (simplified)."""
    if len(args) == 2 and (args[1].block.kind == BOOL).any():
        b = args[1].block
        logical = b.kind == BOOL
        form = Block(np.where(logical, NUM, b.kind).astype(np.int8), np.where(logical, np.where(b.num != 0, 0.0, 4.0), b.num), b._obj)
        args = [args[0], Val(form, args[1].per_row)]
    return call_formulas("ROMAN", args, ctx)
