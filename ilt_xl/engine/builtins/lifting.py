"""Lifting: a function given an array where it takes one value is applied to each element.

Excel evaluates ``XLOOKUP(A1:A3, keys, values, , , {1;-1;2})`` once per element of the arrays
passed to parameters that take a single value, broadcast against each other as arithmetic
broadcasts: a one-row or one-column array (or a single value) repeats along the other axis;
elements beyond an array's own rows or columns are #N/A.

    @builtin("XLOOKUP")
    @lifted(3, 4, 5, also=(0,))     # if_not_found, match_mode, search_mode; lookup_value with them
    def xlookup(args, ctx): ...
"""
from __future__ import annotations

import functools

import numpy as np

from ilt_xl.engine.evaluator import NotVectorisable, Val
from ilt_xl.engine.values import Block, E_NA


def lifted(*positions: int, also: tuple[int, ...] = ()):
    """Call the decorated built-in per element when an argument at ``positions`` is an array;
    the arguments at ``also`` (which the built-in could take whole) are then split with them."""
    def wrap(fn):
        @functools.wraps(fn)
        def call(args: list[Val], ctx) -> Val:
            trigger = [args[i] for i in positions if i < len(args)]
            if not any(a.shape != (1, 1) or a.per_row for a in trigger):
                return fn(args, ctx)
            split = sorted(i for i in set(positions) | set(also) if i < len(args))
            if any(args[i].per_row for i in split):
                raise NotVectorisable("a function lifted over per-row values")
            return apply_per_element(fn, args, split, ctx)
        return call
    return wrap


def broadcast_shape(shapes: list[tuple[int, int]]) -> tuple[int, int]:
    return max(s[0] for s in shapes), max(s[1] for s in shapes)


def element(b: Block, i: int, j: int) -> Block | None:
    """The element an array contributes at (i, j) of a broadcast: its single row/column repeats;
    None beyond its size (#N/A)."""
    r, c = b.shape
    ii = 0 if r == 1 else i
    jj = 0 if c == 1 else j
    if ii >= r or jj >= c:
        return None
    return b.take(slice(ii, ii + 1), slice(jj, jj + 1))


def apply_per_element(fn, args: list[Val], split: list[int], ctx) -> Val:
    shape = broadcast_shape([args[i].shape for i in split])
    out = np.empty(shape, dtype=object)
    for i, j in np.ndindex(shape):
        call_args = list(args)
        missing = False
        for k in split:
            part = element(args[k].block, i, j)
            if part is None:
                missing = True
                break
            call_args[k] = Val(part, element=True)
        if missing:
            out[i, j] = E_NA
            continue
        res = fn(call_args, ctx)
        out[i, j] = res.block.value(0, 0)     # an array result shows its first element
    return Val(Block.from_objects(out))
