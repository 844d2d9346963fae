"""SIN, COS, TAN, COT, SEC and CSC as Excel computes them; COTH, SECH, CSCH, ACOT and ACOTH.

Excel's sine, cosine and tangent keep the x87 processor's argument reduction: the argument is
brought within pi/4 of a multiple of pi/2 with pi rounded to 64 significant bits, not the true
pi, so that near a multiple of pi/2 the result is the distance to that 64-bit multiple: SIN(PI())
is 1.22514845490862E-16 (the double nearest pi minus the 64-bit pi), not the 1.2246467991473532E-16
of the true pi, and TAN(PI()/2) is 1.6324552277619072E+16 (Excel's cached values in IronCalc's and
NPOI's test workbooks). Away from those points the two reductions agree to the last bit. The
reduction is exact (rational arithmetic, once per distinct argument); the reduced argument's
sine or cosine is then the library's, correctly rounded.

COT, SEC and CSC are the reciprocals, for arguments below 2^27 in size (Excel's documented limit,
#NUM! beyond); COTH, SECH and CSCH those of the hyperbolic functions, for any argument (Excel's
cached COTH(9999999999999) is 1, past the limit its documentation gives); a reciprocal of 0 is
#DIV/0!, of an overflow 0. ACOT and ACOTH are the arctangents of 1/x (ACOT(9999999999999) is
1.0000000000001E-13, which pi/2 - ATAN(x) would lose).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import elementwise
from ilt_xl.engine.evaluator import Ctx, Val

# pi/2 with pi rounded to 64 significant bits (0xC90FDAA22168C235 / 2^62), as the x87 reduces
_X87_HALF_PI = Fraction(0xC90FDAA22168C235, 1 << 63)
_QUARTER_PI = math.pi / 4
_RECIPROCAL_LIMIT = 2.0 ** 27


def _reduced(x: float) -> tuple[float, int]:
    """(x less the nearest multiple k of the x87's pi/2, k mod 4)."""
    if abs(x) <= _QUARTER_PI:
        return x, 0
    exact = Fraction(x)
    k = round(exact / _X87_HALF_PI)
    return float(exact - k * _X87_HALF_PI), k % 4


def _sin(r: float, quadrant: int) -> float:
    return (math.sin(r), math.cos(r), -math.sin(r), -math.cos(r))[quadrant]


def _cos(r: float, quadrant: int) -> float:
    return (math.cos(r), -math.sin(r), -math.cos(r), math.sin(r))[quadrant]


def _tan(r: float, quadrant: int) -> float:
    t = math.tan(r)
    if quadrant % 2 == 0:
        return t
    return -1.0 / t if t != 0 else math.inf


def _x87(fn):
    """``fn(reduced, quadrant)`` over an array of arguments, once per distinct finite argument."""
    def over(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        distinct, where = np.unique(x, return_inverse=True)
        out = np.array([fn(*_reduced(v)) if math.isfinite(v) else math.nan for v in distinct.tolist()])
        return out[where.reshape(-1)].reshape(x.shape)
    return over


_SIN, _COS, _TAN = _x87(_sin), _x87(_cos), _x87(_tan)


@builtin("SIN")
def sin(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_SIN, args[0])


@builtin("COS")
def cos(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_COS, args[0])


@builtin("TAN")
def tan(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_TAN, args[0])


def _reciprocal(of, limit: float = _RECIPROCAL_LIMIT):
    def fn(x: np.ndarray) -> np.ndarray:
        inside = np.abs(x) < limit
        return np.where(inside, 1.0 / of(np.where(inside, x, 0.0)), np.nan)
    return fn


def _zero_of(of, limit: float = _RECIPROCAL_LIMIT):
    return lambda x: (np.abs(x) < limit) & (of(np.where(np.abs(x) < limit, x, 1.0)) == 0)


@builtin("COT")
def cot(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(_TAN), args[0], div0=_zero_of(_TAN))


@builtin("SEC")
def sec(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(_COS), args[0], div0=_zero_of(_COS))


@builtin("CSC")
def csc(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(_SIN), args[0], div0=_zero_of(_SIN))


@builtin("COTH")
def coth(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(np.tanh, math.inf), args[0], div0=_zero_of(np.tanh, math.inf))


@builtin("SECH")
def sech(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(np.cosh, math.inf), args[0])


@builtin("CSCH")
def csch(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(_reciprocal(np.sinh, math.inf), args[0], div0=_zero_of(np.sinh, math.inf))


@builtin("ACOT")
def acot(args: list[Val], ctx: Ctx) -> Val:
    def fn(x):
        turned = np.arctan(1.0 / np.where(x == 0, 1.0, x))
        return np.where(x == 0, math.pi / 2, np.where(x < 0, math.pi + turned, turned))
    return elementwise(fn, args[0])


@builtin("ACOTH")
def acoth(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(lambda x: np.where(np.abs(x) > 1, np.arctanh(1.0 / np.where(np.abs(x) > 1, x, 2.0)), np.nan),
                       args[0])
