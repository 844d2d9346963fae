"""Text built-ins: TRIM and T (the rest of the text functions go through the `formulas` bridge)."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.evaluator import Ctx, Val
from ilt_xl.engine.values import ERR, STR, Block


@builtin("TRIM")
def trim(args: list[Val], ctx: Ctx) -> Val:
    texts, m, e = co.to_texts(args[0].block)
    out = np.empty(texts.shape, dtype=object)
    for idx in np.ndindex(texts.shape):
        out[idx] = " ".join(part for part in texts[idx].split(" ") if part)
    blk = Block(np.full(texts.shape, STR, np.int8), np.zeros(texts.shape), out)
    if m is not None:
        blk.kind[m], blk.obj[m] = ERR, e[m]
    return Val(blk, args[0].per_row)


@builtin("T")
def t(args: list[Val], ctx: Ctx) -> Val:
    """Text stays, errors pass through, anything else is empty text."""
    b = args[0].block
    kind = np.where(b.kind == ERR, ERR, STR).astype(np.int8)
    return Val(Block(kind, np.zeros(b.shape), np.where(np.isin(b.kind, (STR, ERR)), b.obj, "")), args[0].per_row)
