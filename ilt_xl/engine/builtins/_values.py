"""Shared shapes of built-ins: elementwise numeric functions and scalar arguments."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.evaluator import Val, broadcast_pair, lined_up_area
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, Block, E_DIV0, E_VALUE, XlError


def numbers_of(v: Val):
    """(numbers, error mask or None, errors) of an argument, as arithmetic coerces it."""
    return co.to_numbers(v.block)


def elementwise(fn, *args: Val, default=None, booleans: bool = True, div0=None) -> Val:
    """``fn(*number arrays)`` over broadcast arguments; errors of the arguments (leftmost first)
    and NaN/inf results (#NUM!) laid over the result. ``default`` replaces omitted trailing
    arguments (an empty 1x1 value); ``booleans=False`` makes TRUE/FALSE #VALUE! (DEC2BIN,
    RANDBETWEEN); ``div0(*number arrays)`` marks the results that are #DIV/0! (a division by 0
    inside the function), after the arguments' errors."""
    vals = list(args)
    if default is not None:
        vals = [Val(Block.numbers([[d]])) if d is not None and (v is None or _omitted(v)) else v
                for v, d in zip(vals, default)]
    per_row = vals[0].per_row
    for other in vals[1:]:
        per_row = broadcast_pair(vals[0], other) or per_row
    parts = [co.to_numbers(v.block) for v in vals]
    if not booleans:
        parts = [booleans_as_errors(v.block, *p) for v, p in zip(vals, parts)]
    with np.errstate(all="ignore"):
        out = fn(*[p[0] for p in parts])
    out = np.asarray(out, dtype=np.float64)
    if out.ndim < 2:
        out = out.reshape(1, 1) if out.ndim == 0 else out.reshape(-1, 1)
    errors = [(p[1], p[2]) for p in parts]
    if div0 is not None:
        with np.errstate(all="ignore"):
            zero = np.broadcast_to(div0(*[p[0] for p in parts]), out.shape)
        errors.append((zero, np.full(out.shape, E_DIV0, dtype=object)))
    return Val(co.number_block(out, *errors), per_row, origin=lined_up_area(out.shape, *vals))


def booleans_as_errors(b: Block, num, mask, errs):
    """(numbers, error mask, errors) with booleans made #VALUE! (errors before them kept)."""
    bools = b.kind == BOOL
    if not bools.any():
        return num, mask, errs
    mask = bools if mask is None else (mask | bools)
    out = np.empty(b.shape, dtype=object)      # np.where would turn the XlError into a plain str
    if errs is not None:
        out[...] = errs
    out[bools & ~(b.kind == ERR)] = E_VALUE
    return num, mask, out


def reference_numbers(v: Val) -> np.ndarray | XlError:
    """The numbers of an array or reference argument in reading order, text, logicals and empty
    cells left out (as NPV, IRR, MIRR read them); or its first error."""
    b = v.block
    errors = b.kind == ERR
    if errors.any():
        return b.obj[errors][0]
    return b.num[b.kind == NUM]


def _omitted(v: Val) -> bool:
    """An argument left empty (``f(1,,2)``): no blank cell, no blank element of an array."""
    return v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None and not v.element


def scalar(v: Val):
    """The single value of a 1x1 argument (None for empty)."""
    return v.block.value(0, 0)


def scalar_numbers(args: list[Val], booleans: bool = True) -> list[float | None] | XlError:
    """The numbers of single-value arguments as arithmetic reads them (an empty cell is 0, TRUE
    1, numeric text its number; other text #VALUE!), None for an omitted argument (``f(1,,2)``);
    or the leftmost argument's error. ``booleans=False``: TRUE/FALSE are #VALUE! (the Analysis
    ToolPak's functions). Built-ins lifted per element (:func:`lifted`) call it."""
    out = []
    for v in args:
        if _omitted(v):
            out.append(None)
            continue
        num, mask, errs = co.to_numbers(v.block)
        if not booleans:
            num, mask, errs = booleans_as_errors(v.block, num, mask, errs)
        if mask is not None and mask[0, 0]:
            return errs[0, 0]
        out.append(float(num[0, 0]))
    return out


def scalar_text(v: Val):
    """The text of a single-value argument as text functions read it (a number in General
    format, TRUE/FALSE, empty ""), or its error."""
    texts, mask, errs = co.to_texts(v.block)
    return errs[0, 0] if mask is not None and mask[0, 0] else str(texts[0, 0])


def result(value) -> Val:
    """A 1x1 value (a number, a text, an XlError; NaN or infinity is #NUM!)."""
    return Val(Block.scalar(value))
