"""Excel's coercions on :class:`~ilt_xl.engine.values.Block` values, vectorised.

Numbers from cells (text that looks like a number is coerced, other text is #VALUE!), text from
values (Excel's General format), comparison keys, and the rounding Excel does (half away from
zero after rounding to 15 significant digits).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.engine.distinct import map_unique
from ilt_xl.engine.number_text import number_in_text
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_VALUE


def first_errors(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Merge (mask, errors) pairs; the leftmost error wins. None when there is no error at all."""
    mask = None
    errs = None
    for m, e in parts:
        if m is None or not m.any():
            continue
        if mask is None:
            mask, errs = m.copy(), np.empty(m.shape, dtype=object)
            errs[m] = e[m]
        else:
            mask, m = np.broadcast_arrays(mask, m)
            mask, m = mask.copy(), m
            if errs.shape != mask.shape:
                errs = np.broadcast_to(errs, mask.shape).copy()
            e = np.broadcast_to(e, mask.shape)
            new = m & ~mask
            errs[new] = e[new]
            mask |= m
    return None if mask is None else (mask, errs)


def _number_in(text) -> float | None:
    """The number Excel reads in a text (a plain number with spaces around it, "1,000", "$5",
    "50%", a time, a date), or None: :func:`~ilt_xl.engine.number_text.number_in_text`."""
    return number_in_text(str(text))


def to_numbers(b: Block) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(numbers, error mask or None, errors) for arithmetic: empty is 0, TRUE is 1, numeric text coerced."""
    k = b.kind
    if (k == NUM).all():
        return b.num, None, None
    num = b.num.copy()
    bad = np.isin(k, (STR, ERR))
    if not bad.any():
        return num, None, None
    errs = np.empty(k.shape, dtype=object)
    mask = k == ERR
    errs[mask] = b.obj[mask]
    texts = k == STR
    if texts.any():     # each distinct text read once (a column repeats its texts)
        codes, distinct = pd.factorize(b.obj[texts], use_na_sentinel=False)
        read = [_number_in(u) for u in distinct]
        value = np.array([x if x is not None else 0.0 for x in read] or [0.0], float)[codes]
        unread = np.array([x is None for x in read] or [False], bool)[codes]
        num[texts] = np.where(unread, num[texts], value)
        bad = np.zeros(k.shape, bool)
        bad[texts] = unread
        mask |= bad
        errs[bad] = E_VALUE
    return num, (mask if mask.any() else None), errs


def error_parts(b: Block) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(mask, errors) of the error elements of ``b``."""
    m = b.kind == ERR
    return (m, b.obj) if m.any() else (None, None)


def number_block(num: np.ndarray, *errors: tuple) -> Block:
    """A numeric block with error elements laid over it (NaN/inf become #NUM!)."""
    out = Block.numbers(num)
    merged = first_errors(*[(m, e) for m, e in errors if m is not None])
    if merged is not None:
        mask, errs = merged
        mask = np.broadcast_to(mask, out.shape)
        errs = np.broadcast_to(errs, out.shape)
        if out.obj is None:
            out.obj = np.empty(out.shape, dtype=object)
        out.kind[mask] = ERR
        out.obj[mask] = errs[mask]
    return out


def general_text(x: float) -> str:
    """A number as Excel's General format shows it in text (``3`` not ``3.0``; 15 significant digits)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    s = f"{x:.15g}"
    if "e" in s:
        mant, exp = s.split("e")
        return f"{mant}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    return s


def to_texts(b: Block) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(texts as object array, error mask, errors) for concatenation and text functions; each
    distinct number is formatted once (a calculated column's dates and ids repeat)."""
    k = b.kind
    out = np.full(k.shape, "", dtype=object)
    texts = k == STR
    if texts.any():
        out[texts] = b.obj[texts]
    numbers = k == NUM
    if numbers.any():
        distinct, where = np.unique(b.num[numbers], return_inverse=True)
        out[numbers] = np.array([general_text(x) for x in distinct.tolist()], dtype=object)[where.reshape(-1)]
    booleans = k == BOOL
    if booleans.any():
        out[booleans] = np.where(b.num[booleans] != 0, "TRUE", "FALSE").astype(object)
    m, e = error_parts(b)
    return out, m, e


def excel_round(x: np.ndarray, digits: np.ndarray | float) -> np.ndarray:
    """ROUND: half away from zero, on the 15-significant-digit value Excel displays."""
    x = np.asarray(x, dtype=np.float64)
    d = np.trunc(np.asarray(digits, dtype=np.float64))
    scale = 10.0 ** d
    y = np.abs(x) * scale
    r = np.floor(significant_15(y) + 0.5)
    return np.sign(x) * r / scale


def significant_15(y: np.ndarray) -> np.ndarray:
    """Non-negative ``y`` rounded to the 15 significant digits Excel works with."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mag = np.where(y > 0, np.floor(np.log10(np.where(y > 0, y, 1.0))) + 1, 0)
        s15 = 10.0 ** (15 - mag)
        return np.where(y > 0, np.rint(y * s15) / s15, 0.0)


def compare_blocks(a: Block, b: Block) -> tuple[np.ndarray, np.ndarray] :
    """Elementwise Excel comparison: (sign array -1/0/1, both-broadcast shape).

    Types order numbers < text < booleans; an empty cell takes the other side's type
    (0, "" or FALSE); text compares case-insensitively, each distinct text lowered once.
    """
    if b.shape == (1, 1) and b.kind[0, 0] == STR:
        return _compare_with_text(a, b.obj[0, 0].lower()), a.shape
    ka, kb = np.broadcast_arrays(a.kind, b.kind)
    na, nb = np.broadcast_arrays(a.num, b.num)
    cls_a = np.select([ka == STR, ka == BOOL], [1, 2], 0)
    cls_b = np.select([kb == STR, kb == BOOL], [1, 2], 0)
    cls_a = np.where(ka == EMPTY, cls_b, cls_a)
    cls_b = np.where(kb == EMPTY, cls_a, cls_b)
    sign = np.sign(cls_a - cls_b).astype(np.int64)
    same = cls_a == cls_b
    numeric = same & (cls_a != 1)
    sign[numeric] = np.sign(na[numeric] - nb[numeric]).astype(np.int64)
    text = same & (cls_a == 1)
    if text.any():      # text with text, or an empty cell with text (as ""): each pair compared in C
        x, y = _lowered(a, ka, text), _lowered(b, kb, text)
        sign[text] = (x > y).astype(np.int64) - (x < y)
    return sign, ka.shape


def _lowered(v: Block, kinds: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The texts of ``v`` (broadcast as ``kinds``) at ``where`` in lower case, "" for its empty cells."""
    out = np.full(int(where.sum()), "", dtype=object)
    texts = kinds[where] == STR
    if texts.any():
        objs = np.broadcast_to(v.obj, kinds.shape)[where]
        out[texts] = map_unique(objs[texts], str.lower)
    return out


def _compare_with_text(a: Block, y: str) -> np.ndarray:
    """:func:`compare_blocks` of ``a`` against one text ``y`` (lower case): the common case of a
    column compared with a constant (``[@Status]="Cancelled"``, ``[@Id]=""``)."""
    k = a.kind
    sign = np.where(k == BOOL, 1, -1).astype(np.int64)      # numbers (and errors) < text < booleans
    sign[k == EMPTY] = -1 if y else 0                         # an empty cell compares as ""
    texts = k == STR
    if texts.any():
        objs = a.obj[texts]
        if y == "":         # ``[@Id]=""`` in every calculated column: any text but "" is greater
            sign[texts] = objs != ""
        else:
            def order(u: str) -> int:
                x = u.lower()
                return (x > y) - (x < y)
            sign[texts] = map_unique(objs, order, dtype=np.int64)
    return sign
