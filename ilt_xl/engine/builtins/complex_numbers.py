"""Complex-number built-ins (IMSUM, IMSIN, ... COMPLEX): the `formulas` library computes them;
their text is written as Excel writes a complex number.

Excel gives each part 15 significant digits, without trailing zeros, in plain decimals from 1E-5
up to 1E15 and as ``1.82483860060804E-11`` outside; a coefficient of 1 is left out (``3-j``) and
a zero part is left out (``2``, ``4i``); the suffix is the one of the inputs (i or j).
"""
from __future__ import annotations

import cmath
import math
import re

import numpy as np

from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, Val
from ilt_xl.engine.values import EMPTY, ERR, NUM, STR, Block, E_DIV0

_TEXT_RESULTS = ("COMPLEX", "IMCONJUGATE", "IMCOS", "IMCOSH", "IMCOT", "IMCSC", "IMCSCH", "IMDIV", "IMEXP", "IMLN",
                 "IMLOG10", "IMLOG2", "IMPOWER", "IMPRODUCT", "IMSEC", "IMSECH", "IMSIN", "IMSINH", "IMSQRT", "IMSUB",
                 "IMSUM", "IMTAN")
_COMPLEX = re.compile(r"^[0-9eE.+\-]*[ij]?$")


def excel_part(x: float) -> str:
    """One part of a complex number as Excel writes it (15 significant digits)."""
    if x == 0:
        return "0"
    digits = f"{x:.14e}"
    mantissa, exp = digits.split("e")
    exponent = int(exp)
    if -5 <= exponent < 15:
        text = f"{x:.{max(14 - exponent, 0)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def excel_complex(text: str) -> str:
    """A complex number's text (as Python or the `formulas` library writes it) as Excel writes it;
    text that is no complex number is returned as it is."""
    if not _COMPLEX.match(text) or not text:
        return text
    suffix = "i" if text.endswith("i") else "j"
    try:
        z = complex(text.replace("i", "j"))
    except ValueError:
        return text
    re_, im = z.real, z.imag
    if im == 0:
        return excel_part(re_)
    coef = "" if abs(im) == 1 else excel_part(abs(im))
    imag = f"{'-' if im < 0 else ''}{coef}{suffix}"
    if re_ == 0:
        return imag
    return f"{excel_part(re_)}{'' if im < 0 else '+'}{imag}"


def _rewritten(name: str):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        out = call_formulas(name, args, ctx)
        b = out.block
        text = b.kind == STR
        if not text.any():
            return out
        obj = b.obj.copy()
        obj[text] = [excel_complex(str(t)) for t in b.obj[text]]
        return Val(Block(b.kind, b.num, obj), out.per_row)
    return fn


def _csc(z: complex) -> complex:
    """csc(x+iy) = 2 (sin x cosh y - i cos x sinh y) / (cosh 2y - cos 2x): Excel's last digit (1/sin
    rounds 0.275445903842597 of IMCSC("3.1+2j") the other way)."""
    x, y = z.real, z.imag
    d = math.cosh(2 * y) - math.cos(2 * x)
    return complex(2 * math.sin(x) * math.cosh(y) / d, -2 * math.cos(x) * math.sinh(y) / d)


def _log2(z: complex) -> complex:
    """ln z / ln 2, as Excel divides (the library's base-2 logarithm differs in the 15th digit)."""
    return cmath.log(z) / math.log(2)


# functions whose value the library computes a digit away from Excel: recomputed from the number
# the library read (its checks and errors stand)
_RECOMPUTED = {"IMCSC": _csc, "IMLOG2": _log2}


def _recomputed(name: str):
    formatted = _rewritten(name)

    def fn(args: list[Val], ctx: Ctx) -> Val:
        out = formatted(args, ctx)
        b = out.block
        text = b.kind == STR
        if len(args) != 1 or not text.any():
            return out
        x, y = call_formulas("IMREAL", args, ctx).block, call_formulas("IMAGINARY", args, ctx).block
        if x.shape != b.shape or y.shape != b.shape:
            return out
        obj = b.obj.copy()
        for i, j in zip(*np.nonzero(text)):
            suffix = "i" if str(b.obj[i, j]).endswith("i") else "j"
            try:
                z = _RECOMPUTED[name](complex(float(x.num[i, j]), float(y.num[i, j])))
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            obj[i, j] = excel_complex(f"{z.real!r}{z.imag:+.17g}{suffix}")
        return Val(Block(b.kind, b.num, obj), out.per_row)
    return fn


def _blank_suffix_is_i(fn):
    """COMPLEX(real, imaginary, suffix): a blank suffix (an empty cell or "") is "i", as an omitted one."""
    def complex_(args: list[Val], ctx: Ctx) -> Val:
        b = args[2].block if len(args) == 3 else None
        blank = None if b is None else (b.kind == EMPTY) | ((b.kind == STR) & np.equal(b.objects(), ""))
        if blank is not None and blank.any():
            obj = b.objects().copy()
            obj[blank] = "i"
            args = [args[0], args[1], Val(Block(np.where(blank, STR, b.kind).astype(np.int8), b.num, obj),
                                          args[2].per_row)]
        return fn(args, ctx)
    return complex_


@builtin("IMARGUMENT")
def imargument(args: list[Val], ctx: Ctx) -> Val:
    """The angle of a complex number, atan2(imaginary, real): pi/2 for "5i"; #DIV/0! for 0 alone
    (the library divides by the real part)."""
    out = call_formulas("IMARGUMENT", args, ctx)
    if len(args) != 1:
        return out
    x, y = call_formulas("IMREAL", args, ctx).block, call_formulas("IMAGINARY", args, ctx).block
    if x.shape != out.shape or y.shape != out.shape:
        return out
    b = out.block
    fix = (x.kind == NUM) & (y.kind == NUM)
    if not fix.any():
        return out
    zero = fix & (x.num == 0) & (y.num == 0)
    kind = np.where(zero, ERR, np.where(fix, NUM, b.kind)).astype(np.int8)
    obj = b.objects().copy()
    obj[zero] = E_DIV0
    num = np.where(fix & ~zero, np.arctan2(y.num, x.num), b.num)
    return Val(Block(kind, num, obj), out.per_row)


for _name in _TEXT_RESULTS:
    _fn = _recomputed(_name) if _name in _RECOMPUTED else _rewritten(_name)
    builtin(_name)(_blank_suffix_is_i(_fn) if _name == "COMPLEX" else _fn)
