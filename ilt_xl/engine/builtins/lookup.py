"""Lookup built-ins: XLOOKUP with every match mode (0 exact, -1 exact or next smaller, 1 exact or
next larger, 2 wildcard) and search mode (1 first to last, -1 last to first, 2/-2 binary search
over ascending/descending data).

The common case (exact match, first to last, a vector of keys) takes the memoised hash path of
:mod:`ilt_xl.engine.lookups`; the other modes scan the lookup vector for each key.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import lookups
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NA, E_VALUE


def _mode(v: Val | None, default: int, allowed: tuple) -> int | None:
    """An integer mode argument (None when not one of ``allowed``)."""
    if v is None or (v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY):
        return default
    if v.per_row or v.shape != (1, 1) or v.block.kind[0, 0] not in (NUM, BOOL):
        return None
    m = int(np.floor(v.block.num[0, 0]))       # Excel takes INT of a mode: -1.1 is -2
    return m if m in allowed else None


def _rank(kind: int, num: float, obj):
    """(type class, comparable value): numbers < text < booleans, text case-insensitively."""
    if kind == NUM:
        return 0, float(num)
    if kind == STR:
        return 1, str(obj).lower()
    if kind == BOOL:
        return 2, bool(num)
    return None


def position(keys: Block, kind: int, num: float, obj, match: int, search: int) -> int:
    """0-based position in the flattened ``keys`` that XLOOKUP/XMATCH returns, -1 for none.

    Values of another type than the lookup value never match nor count as smaller or larger. An
    empty lookup value is 0 for an exact match; for an approximate one it ranks above every
    value, as blanks sort after everything in Excel."""
    blank = kind == EMPTY and match in (-1, 1)
    if kind == EMPTY and not blank:
        kind, num = NUM, 0.0
    want = (3, 0.0) if blank else _rank(kind, num, obj)
    k, n = keys.kind.ravel(), keys.num.ravel()
    o = keys.obj.ravel() if keys._obj is not None else np.empty(len(k), object)
    if match == 2 and kind == STR:
        rx = lookups._wildcard_regex(str(obj))
        order = range(len(k)) if search == 1 else range(len(k) - 1, -1, -1)
        return next((i for i in order if k[i] == STR and rx.match(o[i])), -1)

    if search in (2, -2):       # halving compares across types in Excel's order (numbers < text < booleans)
        return _binary(lambda i: _rank(k[i], n[i], o[i]), len(k), want, match, descending=search == -2)

    def rank(i):
        have = _rank(k[i], n[i], o[i])
        return have if have is not None and (blank or have[0] == want[0]) else None
    best, best_key = -1, None
    for i in (range(len(k)) if search == 1 else range(len(k) - 1, -1, -1)):
        have = rank(i)
        if have is None:
            continue
        if have == want:
            return i
        if match == -1 and have < want and (best_key is None or have > best_key):
            best, best_key = i, have
        elif match == 1 and have > want and (best_key is None or have < best_key):
            best, best_key = i, have
    return best


def _binary(rank, length: int, want, match: int, descending: bool) -> int:
    """Excel's binary search (search_mode 2 / -2) over values taken as sorted ascending or
    descending; on unsorted values, what the halving finds. Errors are stepped over to the right."""
    lo, hi, smaller, larger = 0, length - 1, -1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        j = next((i for i in range(mid, hi + 1) if rank(i) is not None), None)
        if j is None:
            hi = mid - 1
            continue
        have = rank(j)
        if have == want:
            return j
        if have < want:
            smaller = j
            lo, hi = (lo, mid - 1) if descending else (j + 1, hi)
        else:
            larger = j
            lo, hi = (j + 1, hi) if descending else (lo, mid - 1)
    return smaller if match == -1 else larger if match == 1 else -1


@builtin("XLOOKUP")
@lifted(3, 4, 5, also=(0,))      # if_not_found and the modes take one value each
def xlookup(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 3:
        return Val(Block.errors((1, 1), E_VALUE))
    look, arr, ret = args[0], args[1], args[2]
    missing = args[3] if len(args) > 3 and not _omitted(args[3]) else None
    match = _mode(args[4] if len(args) > 4 else None, 0, (0, -1, 1, 2))
    search = _mode(args[5] if len(args) > 5 else None, 1, (1, -1, 2, -2))
    if look.shape == (1, 1) and look.block.kind[0, 0] == ERR:
        return Val(look.block)          # the lookup value's error comes before the modes' checks
    if match is None or search is None or (match == 2 and search in (2, -2)):
        return Val(Block.errors((1, 1), E_VALUE))     # no wildcards in a binary search
    if arr.per_row or ret.per_row or (arr.shape[0] != 1 and arr.shape[1] != 1):
        if arr.per_row or ret.per_row:
            raise NotVectorisable("XLOOKUP over per-row arrays")
        return Val(Block.errors((1, 1), E_VALUE))
    if match == 0 and search == 1 and (look.per_row or look.shape == (1, 1)):
        return lookups.xlookup_exact(look, arr, ret, missing, ctx)
    if look.per_row:
        raise NotVectorisable("XLOOKUP with a search mode, per row")
    vertical = arr.shape[1] == 1
    length = arr.shape[0] if vertical else arr.shape[1]
    if (ret.shape[0] if vertical else ret.shape[1]) != length:
        return Val(Block.errors((1, 1), E_VALUE))
    lb = look.block
    if look.shape == (1, 1) and lb.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), lb.obj[0, 0]))
    found = [-1 if lb.kind[idx] == ERR else position(arr.block, int(lb.kind[idx]), float(lb.num[idx]), lb.obj[idx] if lb.kind[idx] in (STR, ERR) else None,
                      match, search) for idx in np.ndindex(lb.shape)]
    if look.shape == (1, 1):
        p = found[0]
        if p < 0:
            return missing if missing is not None else Val(Block.errors((1, 1), E_NA))
        return Val(ret.block.take(slice(p, p + 1)) if vertical else ret.block.take(slice(None), slice(p, p + 1)))
    flat_ret = ret.block.objects().reshape(-1) if (ret.shape[1] == 1 or ret.shape[0] == 1) else None
    if flat_ret is None:
        return Val(Block.errors((1, 1), E_VALUE))
    alt = missing.block.value() if missing is not None else E_NA
    out = np.empty(lb.shape, dtype=object)
    for idx, p in zip(np.ndindex(lb.shape), found):
        out[idx] = lb.obj[idx] if lb.kind[idx] == ERR else flat_ret[p] if p >= 0 else alt
    return Val(Block.from_objects(out))


def _omitted(v: Val) -> bool:
    return v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None


def last_not_above(keys: Block, kind: int, num: float, obj) -> int:
    """LOOKUP's approximate match, by Excel's binary search: the last value not larger than the
    lookup value when the values are sorted; values of other types are stepped over (the search
    compares with the next value of the lookup value's type to the right). On unsorted values,
    what that search finds, as Excel. -1 for none."""
    if kind == EMPTY:
        kind, num = NUM, 0.0
    want = _rank(kind, num, obj)
    k, n = keys.kind.ravel(), keys.num.ravel()
    o = keys.obj.ravel() if keys._obj is not None else np.empty(len(k), object)
    lo, hi, best = 0, len(k) - 1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        # a value of another type in the middle: the search looks right of it for one of the type
        j = next((i for i in range(mid, hi + 1) if (r := _rank(k[i], n[i], o[i])) and r[0] == want[0]), None)
        if j is not None and _rank(k[j], n[j], o[j])[1] == want[1]:
            return j                    # an exact hit ends the search
        if j is not None and _rank(k[j], n[j], o[j])[1] < want[1]:
            best, lo = j, j + 1
        else:
            hi = mid - 1
    return best


@builtin("LOOKUP")
def lookup_(args: list[Val], ctx: Ctx) -> Val:
    """LOOKUP(value, vector[, result]) and LOOKUP(value, array): the array form searches the first
    row of an array wider than tall, else the first column, and returns the last row/column. An
    array of lookup values gives an array of results."""
    if len(args) not in (2, 3):
        return Val(Block.errors((1, 1), E_VALUE))
    if any(a.per_row for a in args):
        raise NotVectorisable("LOOKUP per row")
    arr = args[1].block
    rows, cols = arr.shape
    wide = cols > rows          # an area searched by its first row, else by its first column
    keys = arr.take(slice(0, 1)) if wide else arr.take(slice(None), slice(0, 1))
    if len(args) == 2:
        result = arr.take(slice(rows - 1, rows)) if wide else arr.take(slice(None), slice(cols - 1, cols))
    elif 1 not in args[2].shape:
        return Val(Block.errors((1, 1), E_NA))      # a result vector must be one row or column
    else:
        result = args[2].block
    flat = result.objects().ravel()
    lb = args[0].block
    out = np.empty(lb.shape, dtype=object)
    for idx in np.ndindex(lb.shape):
        k = int(lb.kind[idx])
        if k == ERR:
            out[idx] = lb.obj[idx]
            continue
        p = last_not_above(keys, k, float(lb.num[idx]), lb.obj[idx] if k == STR else None)
        out[idx] = flat[p] if 0 <= p < len(flat) else E_NA
    return Val(Block.from_objects(out))
