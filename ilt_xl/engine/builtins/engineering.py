"""Engineering built-ins: the base conversions DEC2BIN ... HEX2OCT (Excel's ten-digit two's
complement), DECIMAL, and the Bessel functions BESSELI/J/K/Y as Excel computes them."""
from __future__ import annotations

import math

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._bessel import bessel_i, bessel_j, bessel_k, bessel_y
from ilt_xl.engine.builtins._values import elementwise, result, scalar_numbers
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, broadcast_pair, implicit_intersection, lined_up_area
from ilt_xl.engine.values import BOOL, EMPTY, ERR, E_NUM, E_VALUE, STR, Block


def _in_base(n: int, places: float | None, base: int):
    """``n`` in ``base`` (2, 8, 16): negative numbers are ten digits of two's complement (places
    ignored, but checked). #NUM! for a number outside the ten digits, for places below 1 or over
    10, or (non-negative numbers) below the digits needed."""
    limit = base ** 10 // 2             # ten digits: -limit .. limit - 1
    p = None if places is None else int(np.trunc(places))
    if not -limit <= n < limit or (p is not None and not 1 <= p <= 10):
        return E_NUM
    if n < 0:
        return np.base_repr(n + 2 * limit, base)
    text = np.base_repr(n, base)
    if p is None:
        return text
    return E_NUM if p < len(text) else text.rjust(p, "0")


def _dec2base(base: int):
    """DEC2<base>(number[, places]): the number (truncated) in ``base`` (see :func:`_in_base`);
    then #VALUE! for text."""

    def one(n: float, places: float | None):
        return _in_base(int(np.trunc(n)), places, base)

    def fn(args: list[Val], ctx: Ctx) -> Val:
        vals = list(args[:2])
        given = len(vals) > 1 and not (vals[1].shape == (1, 1) and vals[1].block.kind[0, 0] == EMPTY)
        per_row = broadcast_pair(vals[0], vals[1]) if given else vals[0].per_row
        num, m, e = co.to_numbers(vals[0].block)
        bools = vals[0].block.kind == BOOL          # TRUE is no number here: #VALUE!
        if bools.any():
            m = bools if m is None else m | bools
            e = np.where(bools, E_VALUE, e if e is not None else None)
        not_number = m & (vals[0].block.kind == STR) if m is not None else np.zeros(num.shape, bool)
        pl, pm, pe = co.to_numbers(vals[1].block) if given else (np.zeros((1, 1)), None, None)
        shape = np.broadcast_shapes(num.shape, pl.shape)
        num, pl, not_number = (np.broadcast_to(x, shape) for x in (num, pl, not_number))
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            out[idx] = one(float(num[idx]), float(pl[idx]) if given else None)
            if not_number[idx] and out[idx] is not E_NUM:
                out[idx] = E_VALUE      # text that is no number: #VALUE!, after places are checked
        if m is not None:
            m = m & ~(vals[0].block.kind == STR)
        block = Block.from_objects(out)
        merged = co.first_errors((m, e), (pm, pe))
        if merged is not None:
            mask, errs = (np.broadcast_to(x, shape) for x in merged)
            block.kind[mask], block.obj[mask] = ERR, errs[mask]
        return Val(block, per_row, origin=lined_up_area(shape, *args))
    return fn


builtin("DEC2BIN")(_dec2base(2))
builtin("DEC2OCT")(_dec2base(8))
builtin("DEC2HEX")(_dec2base(16))


_BASES = {"BIN": 2, "OCT": 8, "HEX": 16}


def _digits_value(value, base: int):
    """The number a BIN/OCT/HEX argument stands for: its digits (a number is read as the digits it
    shows), at most ten, read in ``base``; ten digits with the top one set are negative (two's
    complement). #NUM! for anything else (a sign, a fraction, a foreign digit), #VALUE! for TRUE."""
    if isinstance(value, bool):
        return E_VALUE
    if isinstance(value, float):
        if value < 0 or value != int(value):
            return E_NUM
        value = str(int(value))
    text = "" if value is None else str(value)
    if len(text) > 10:
        return E_NUM
    if not text:
        return 0
    if not text.isalnum():          # int() takes "_", "+", "-" and spaces; Excel does not
        return E_NUM
    try:
        n = int(text, base)
    except ValueError:
        return E_NUM
    return n - base ** 10 if len(text) == 10 and n >= base ** 10 // 2 else n


def _from_base(base: int, to: int | None):
    """<base>2DEC(number) when ``to`` is None, else <base>2<to>(number[, places])."""

    def fn(args: list[Val], ctx: Ctx) -> Val:
        if not 1 <= len(args) <= (1 if to is None else 2):
            return Val(Block.errors((1, 1), E_VALUE))
        vals = one_value_each(args, ctx)
        if isinstance(vals, Val):
            return vals
        given = len(vals) > 1 and not (vals[1].shape == (1, 1) and vals[1].block.kind[0, 0] == EMPTY)
        per_row = broadcast_pair(vals[0], vals[1]) if given else vals[0].per_row
        digits = vals[0].block.objects()
        if given:       # places: a number, or text that reads as one ("5")
            pl, pm, pe = co.to_numbers(vals[1].block)
            bools = vals[1].block.kind == BOOL
            pm = bools if pm is None else pm | bools
            pe = np.where(bools, E_VALUE, pe if pe is not None else None)
        else:
            pl, pm, pe = np.zeros((1, 1)), np.zeros((1, 1), bool), np.full((1, 1), None, object)
        shape = np.broadcast_shapes(digits.shape, pl.shape)
        digits, kinds = np.broadcast_to(digits, shape), np.broadcast_to(vals[0].block.kind, shape)
        pl, pm, pe = (np.broadcast_to(x, shape) for x in (pl, pm, pe))
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            if kinds[idx] == ERR:
                out[idx] = digits[idx]
                continue
            n = _digits_value(digits[idx], base)
            if not isinstance(n, int):
                out[idx] = n
            elif to is None:
                out[idx] = float(n)
            elif pm[idx]:
                out[idx] = pe[idx]
            else:
                out[idx] = _in_base(n, float(pl[idx]) if given else None, to)
        return Val(Block.from_objects(out), per_row, origin=lined_up_area(shape, *vals))
    return fn


for _src, _base in _BASES.items():
    builtin(f"{_src}2DEC")(_from_base(_base, None))
    for _dst, _to in _BASES.items():
        if _dst != _src:
            builtin(f"{_src}2{_dst}")(_from_base(_base, _to))


@builtin("BASE")
@lifted(0, 1, 2)
def base(args: list[Val], ctx: Ctx) -> Val:
    """BASE(number, radix, [min_length]): the number (truncated) written in radix 2 to 36, digits
    past 9 as A-Z, padded with zeros to min_length. #NUM! for a number below 0 or from 2^53 on,
    a radix outside 2..36 or a min_length outside 0..255 (each truncated)."""
    if not 2 <= len(args) <= 3:
        return result(E_VALUE)
    got = scalar_numbers(args)
    if not isinstance(got, list):
        return result(got)
    number, radix, places = got + [None] * (3 - len(got))
    number, radix, places = (math.trunc(x) if x is not None else None for x in (number or 0.0, radix or 0.0, places))
    if not 0 <= number < 2 ** 53 or not 2 <= radix <= 36 or (places is not None and not 0 <= places <= 255):
        return result(E_NUM)
    return result(np.base_repr(number, radix).rjust(places or 0, "0"))


@builtin("DECIMAL")
def decimal(args: list[Val], ctx: Ctx) -> Val:
    """DECIMAL(text, radix): the text's digits read in radix (truncated, 2 to 36); #NUM! for a
    radix outside or a digit it does not have, #VALUE! for text over 255 characters."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    text, radix = args
    per_row = broadcast_pair(text, radix)
    rx, rm, re_ = co.to_numbers(radix.block)
    shape = np.broadcast_shapes(text.shape, rx.shape)
    texts, kinds = np.broadcast_to(text.block.objects(), shape), np.broadcast_to(text.block.kind, shape)
    rx = np.broadcast_to(rx, shape)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        t, r = texts[idx], int(np.trunc(rx[idx])) if np.isfinite(rx[idx]) else 0
        if kinds[idx] == ERR:
            out[idx] = t
        elif kinds[idx] == BOOL:
            out[idx] = E_VALUE
        else:
            t = "" if t is None else str(int(t)) if isinstance(t, float) and t == int(t) else str(t)
            if len(t) > 255:
                out[idx] = E_VALUE
            elif not 2 <= r <= 36 or (t and not t.isalnum()):
                out[idx] = E_NUM
            else:
                try:
                    out[idx] = float(int(t, r)) if t else 0.0
                except ValueError:
                    out[idx] = E_NUM
    block = Block.from_objects(out)
    if rm is not None:      # the radix's own error, after the text's
        rm, re_ = np.broadcast_to(rm, shape), np.broadcast_to(re_, shape)
        mask = rm & (kinds != ERR)
        block.kind[mask], block.obj[mask] = ERR, re_[mask]
    return Val(block, per_row, origin=lined_up_area(shape, *args))


def _bessel(one, positive_x: bool):
    """BESSEL?(x, n): n truncated, #NUM! below 0; x above 0 for K and Y; #NUM! for an overflow."""
    def each(x: float, n: float) -> float:
        n = math.trunc(n) if math.isfinite(n) else -1
        if n < 0 or (positive_x and x <= 0):
            return math.nan
        try:
            return one(x, n)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan
    vector = np.frompyfunc(each, 2, 1)

    def fn(args: list[Val], ctx: Ctx) -> Val:
        if len(args) != 2:
            return Val(Block.errors((1, 1), E_VALUE))
        vals = one_value_each(args, ctx)
        if isinstance(vals, Val):
            return vals
        return elementwise(lambda x, n: vector(x, n).astype(np.float64), *vals, booleans=False)
    return fn


def one_value_each(args: list[Val], ctx: Ctx) -> list[Val] | Val:
    """The arguments of a function that takes one value per argument (the Analysis ToolPak's, as
    Excel keeps them): in an array formula a range or an array is #VALUE! (not applied element by
    element); in a plain formula it is intersected with the formula's row or column first."""
    if all(a.per_row or a.shape == (1, 1) for a in args):
        return list(args)
    if ctx.area is not None:
        return Val(Block.errors((1, 1), E_VALUE))
    if ctx.n != 1:
        raise NotVectorisable("a range where one value is expected, over a run")
    return [a if a.per_row or a.shape == (1, 1) else Val(implicit_intersection(a, int(ctx.rows[0]), ctx.col))
            for a in args]


builtin("BESSELI")(_bessel(bessel_i, False))
builtin("BESSELJ")(_bessel(bessel_j, False))
builtin("BESSELK")(_bessel(bessel_k, True))
builtin("BESSELY")(_bessel(bessel_y, True))
