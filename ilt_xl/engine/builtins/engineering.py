"""Engineering built-ins: DEC2BIN, DEC2OCT, DEC2HEX (Excel's ten-digit two's complement)."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.evaluator import Ctx, Val, broadcast_pair
from ilt_xl.engine.values import BOOL, EMPTY, ERR, E_NUM, E_VALUE, STR, Block


def _dec2base(base: int):
    """DEC2<base>(number[, places]): the number (truncated) in ``base``; negative numbers are ten
    digits of two's complement. #NUM! for a number outside the ten digits, for places given below
    1 or over 10, or (non-negative numbers) below the digits needed; then #VALUE! for text."""
    bits = {2: 1, 8: 3, 16: 4}[base]
    limit = 2 ** (10 * bits - 1)           # ten digits: -limit .. limit - 1

    def one(n: float, places: float | None):
        n = int(np.trunc(n))
        p = None if places is None else int(np.trunc(places))
        if not -limit <= n < limit or (p is not None and not 1 <= p <= 10):
            return E_NUM
        if n < 0:
            return np.base_repr(n + 2 * limit, base)
        text = np.base_repr(n, base)
        if p is None:
            return text
        return E_NUM if p < len(text) else text.rjust(p, "0")

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
        return Val(block, per_row)
    return fn


builtin("DEC2BIN")(_dec2base(2))
builtin("DEC2OCT")(_dec2base(8))
builtin("DEC2HEX")(_dec2base(16))
