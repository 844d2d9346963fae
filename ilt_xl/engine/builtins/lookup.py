"""Lookup built-ins: XLOOKUP with every match mode (0 exact, -1 exact or next smaller, 1 exact or
next larger, 2 wildcard) and search mode (1 first to last, -1 last to first, 2/-2 binary search
over ascending/descending data).

The common case (exact match, first to last, a vector of keys) takes the memoised hash path of
the MATCH section below; the other modes scan the lookup vector for each key.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import _omitted
from ilt_xl.engine.builtins.conditional import wildcard_regex
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.builtins.lifting import apply_per_element, lifted
from ilt_xl.engine.criterion_forms import has_wildcard
from ilt_xl.engine.distinct import text_keys
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, computed_area_value
from ilt_xl.engine.memo import memoised
from ilt_xl.engine.values import BOOL, EMPTY, ERR, ERRORS, NUM, STR, Block, E_NA, E_REF, E_VALUE, XlError


def _mode(v: Val | None, default: int, allowed: tuple) -> int | None:
    """An integer mode argument (None when not one of ``allowed``)."""
    if v is None or (v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY):
        return default
    if v.per_row or v.shape != (1, 1) or v.block.kind[0, 0] not in (NUM, BOOL):
        return None
    m = int(np.floor(v.block.num[0, 0]))       # Excel takes INT of a mode: -1.1 is -2
    return m if m in allowed else None


def _rank(kind: int, num: float, obj):
    """(type class, comparable value): numbers < text < booleans < blanks, text case-insensitively;
    None for errors."""
    if kind == NUM:
        return 0, float(num)
    if kind == STR:
        return 1, str(obj).lower()
    if kind == BOOL:
        return 2, bool(num)
    if kind == EMPTY:
        return 3, 0.0
    return None


def position(keys: Block, kind: int, num: float, obj, match: int, search: int) -> int:
    """0-based position in the flattened ``keys`` that XLOOKUP returns, -1 for none.

    Values compare across types in Excel's order (numbers < text < booleans): the next smaller
    value of FALSE may be a text. Blank cells are neither smaller nor larger than a value; an
    empty lookup value matches the first blank cell (and, approximate, ranks above every value,
    as blanks sort after everything in Excel)."""
    blank = kind == EMPTY
    want = _rank(kind, num, obj)
    k, n = keys.kind.ravel(), keys.num.ravel()
    o = keys.obj.ravel() if keys._obj is not None else np.empty(len(k), object)
    if match == 2 and kind == STR:
        rx = wildcard_regex(str(obj))
        order = range(len(k)) if search == 1 else range(len(k) - 1, -1, -1)
        return next((i for i in order if k[i] == STR and rx.match(o[i])), -1)

    def rank(i):
        have = _rank(k[i], n[i], o[i])
        return have if have is not None and (blank or have[0] != 3) else None
    if search in (2, -2):
        return _binary(rank, len(k), want, match, descending=search == -2)
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
    """Excel's binary search (search_mode 2 / -2) over values taken as sorted ascending (2) or
    descending (-2). The halving goes on after an equal value, towards the first of equal values
    when ascending and the last when descending, and returns the last equal value it met; else the
    next smaller or larger value it met (the last of equal smaller values). Values without a rank
    (errors) are stepped over to the right; on unsorted values, what the halving finds."""
    lo, hi, smaller, larger, equal = 0, length - 1, -1, -1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        j = next((i for i in range(mid, hi + 1) if rank(i) is not None), None)
        if j is None:
            hi = mid - 1
            continue
        have = rank(j)
        if have == want:
            equal = j
        elif have < want:
            smaller = j
        else:
            larger = j
        if (have >= want) if descending else (have < want):
            lo = j + 1
        else:
            hi = mid - 1
    if equal >= 0:
        return equal
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
        return xlookup_exact(look, arr, ret, missing, ctx)
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


# ---- MATCH / INDEX / VLOOKUP, and XLOOKUP's exact match: hashed positions, memoised -----------------

def _exact_keys(b: Block) -> np.ndarray:
    """Keys for exact lookups: numbers match numbers only, text case-insensitively."""
    strs = b.kind.ravel() == STR
    out = _other_exact_keys(b, strs)
    if strs.any():
        codes, _, keys = _distinct_text_keys(b.obj.ravel()[strs])
        out[strs] = keys[codes]
    return out


def _distinct_text_keys(texts: np.ndarray) -> tuple[np.ndarray, list, np.ndarray]:
    """(code of each text, the distinct texts, their keys): the keys of texts are worked out once
    per distinct text, and a lookup asks for each distinct one once."""
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    return codes, distinct, text_keys(distinct)


def _other_exact_keys(b: Block, strs: np.ndarray) -> np.ndarray:
    """The keys of the elements of ``b`` that are not texts (``strs``), flattened; texts' are left None."""
    k = b.kind.ravel()
    out = np.empty(k.shape, dtype=object)
    nums = k == NUM
    out[nums] = b.num.ravel()[nums].tolist() if nums.any() else []
    obj = b.obj.ravel()
    for i in np.flatnonzero(~nums & ~strs):
        kk = k[i]
        out[i] = ("b:%d" % b.num.ravel()[i]) if kk == BOOL else ("e:" + str(obj[i])) if kk == ERR else None
    return out


def _first_positions(ctx: Ctx, rng: Val, look: Val) -> tuple[np.ndarray, np.ndarray]:
    """0-based position of the first exact match of each element of ``look`` in ``rng`` (-1 if none),
    and a mask of the elements that must be answered by wildcard search. Memoised: calculated
    columns repeat the same lookup (``MATCH([@CourseId], Courses[CourseId], 0)``) many times."""
    def index():
        keys = _exact_keys(rng.block)
        s = pd.Series(np.arange(len(keys)), index=pd.Index(keys, dtype=object))
        s = s[~s.index.isna()]
        return s[~s.index.duplicated(keep="first")]

    def positions():
        found = memoised(ctx, "exact", (rng,), index)
        b = look.block
        strs = b.kind.ravel() == STR
        pos = np.full(len(strs), -1)
        if not strs.all():
            pos[~strs] = _positions_of(found, _other_exact_keys(b, strs)[~strs])
        wild = np.zeros(len(pos), bool)
        if strs.any():      # each distinct text looked up once; its wildcards read from the same pass
            codes, distinct, keys = _distinct_text_keys(b.obj.ravel()[strs])
            pos[strs] = _positions_of(found, keys)[codes]
            wild[strs] = np.array([isinstance(t, str) and has_wildcard(t) for t in distinct], bool)[codes]
        return pos, wild
    return memoised(ctx, "positions", (rng, look), positions)


def _positions_of(found: pd.Series, keys: np.ndarray) -> np.ndarray:
    """The first position of each key among the range's keys (``found``: key -> position), -1 if none."""
    if not len(found):
        return np.full(len(keys), -1)
    at = found.index.get_indexer(pd.Index(keys, dtype=object))
    return np.where(at >= 0, found.to_numpy()[np.maximum(at, 0)], -1)


def _wild_position(rng: Block, pattern: str) -> int:
    rx = wildcard_regex(pattern)
    k, obj = rng.kind.ravel(), rng.obj.ravel() if rng.obj is not None else None
    for i in np.flatnonzero(k == STR):
        if rx.match(obj[i]):
            return int(i)
    return -1


def _vector_of(rng: Val) -> Val | None:
    if rng.per_row or (rng.shape[0] != 1 and rng.shape[1] != 1):
        return None
    return rng


def _sorted_keys(rng: Block) -> tuple[int, np.ndarray] | None:
    """(kind, ascending keys) of a vector of numbers only or texts only (lower-cased), sorted ascending;
    None otherwise (mixed, blank or unsorted: left to the `formulas` implementation)."""
    k = rng.kind.ravel()
    if len(k) == 0 or not ((k == NUM).all() or (k == STR).all()):
        return None
    kind = int(k[0])
    keys = rng.num.ravel() if kind == NUM else pd.Series(rng.obj.ravel(), dtype=object).str.lower().to_numpy(object)
    if len(keys) > 1 and not (keys[:-1] <= keys[1:]).all():
        return None
    return kind, keys


def _approximate_positions(ctx: Ctx, vec: Val, look: Val) -> np.ndarray | None:
    """MATCH(look, vec, 1) on a sorted vector, 0-based (-1: #N/A): the last element not above the lookup
    value, of the same kind (Excel's binary search on sorted data lands on the last of equal elements)."""
    sorted_keys = memoised(ctx, "sorted", (vec,), lambda: _sorted_keys(vec.block))
    qk = look.block.kind.ravel()
    if sorted_keys is None or not np.isin(qk, (NUM, STR, EMPTY, ERR)).all():
        return None
    kind, keys = sorted_keys
    pos = np.full(len(qk), -1, dtype=np.intp)
    same = qk == kind
    if same.any():
        q = look.block.num.ravel()[same] if kind == NUM else \
            pd.Series(look.block.obj.ravel()[same], dtype=object).str.lower().to_numpy(object)
        pos[same] = np.searchsorted(keys, q, side="right") - 1
    return pos


@builtin("MATCH")
def match(args: list[Val], ctx: Ctx) -> Val:
    look, rng = args[0], args[1]
    mtype = args[2] if len(args) > 2 else None
    if mtype is not None and (mtype.per_row or mtype.shape != (1, 1)):
        raise NotVectorisable("per-row match type")
    t = 1.0 if mtype is None or mtype.block.kind[0, 0] == EMPTY else float(mtype.block.num[0, 0])
    vec = _vector_of(rng)
    if vec is None or (not look.per_row and look.shape != (1, 1)):
        return call_formulas("MATCH", args, ctx)
    blank = look.block.kind == EMPTY
    if t != 0 and blank.any():      # an approximate match looks a blank up as 0; an exact one finds nothing
        b = look.block
        look = Val(Block(np.where(blank, NUM, b.kind).astype(np.int8), np.where(blank, 0.0, b.num), b.obj), look.per_row)
    flat = look.block.obj.ravel()
    if t == 0:
        pos, wild = _first_positions(ctx, vec, look)
        pos = pos.copy()
        for i in np.flatnonzero(wild):
            pos[i] = _wild_position(vec.block, flat[i])
    else:
        pos = _approximate_positions(ctx, vec, look) if t > 0 else None
        if pos is None:
            return call_formulas("MATCH", args, ctx)
    k = look.block.kind.ravel()
    kind = np.where(pos >= 0, NUM, ERR).astype(np.int8)
    obj = np.empty(len(pos), dtype=object)
    obj[pos < 0] = E_NA
    errs = k == ERR
    if errs.any():      # the lookup value's own error, in its canonical object
        obj[errs] = [ERRORS.get(str(e), e) for e in flat[errs]]
        kind[errs] = ERR
    obj[k == EMPTY], kind[k == EMPTY] = E_NA, ERR
    num = np.where(kind == NUM, pos + 1.0, 0.0)
    return Val(Block(kind.reshape(-1, 1), num.reshape(-1, 1), obj.reshape(-1, 1)), look.per_row)


@builtin("INDEX")
def index(args: list[Val], ctx: Ctx) -> Val:
    rng = args[0]
    if rng.per_row:
        raise NotVectorisable("INDEX over a per-row range")
    if len(args) > 3 and args[3].shape == (1, 1) and args[3].block.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), args[3].block.obj[0, 0]))     # area_num's error
    if len(args) > 3 and not args[3].per_row and args[3].shape != (1, 1):
        # INDEX(ref, {1;2}, 1, {2;1}): each area_num, with the row and column in the same place
        return apply_per_element(index, args, [i for i in (1, 2, 3) if i < len(args) and args[i].shape != (1, 1)], ctx)
    if len(args) > 3 or rng.areas is not None:
        rng = _area_numbered(rng, args[3] if len(args) > 3 else None)
        if rng.ref is None and rng.areas is None and rng.block.kind[0, 0] == ERR and rng.shape == (1, 1):
            return rng
        args = [rng, *args[1:3]]
    row = args[1] if len(args) > 1 else None
    col = args[2] if len(args) > 2 else None
    nr, nc = rng.shape
    for v in (row, col):        # a negative position is #VALUE!, whatever else is wrong
        if v is not None and not v.per_row and v.shape == (1, 1) and v.block.kind[0, 0] == NUM and v.block.num[0, 0] <= -1:
            return Val(Block.errors((1, 1), E_VALUE))
    if nr > 1 and nc > 1 and col is None and row is not None:
        if rng.ref is not None:         # a reference of rows and columns needs both positions
            return Val(Block.errors((1, 1), E_REF))
        if not row.per_row and (row.shape != (1, 1) or row.constant_array):
            # INDEX(array, {1;2}) is INDEX(array, 1) and INDEX(array, 2), each showing its first element
            # (INDEX(array, {1}) too: an array of one position is still an array)
            return apply_per_element(index, args, [1], ctx)
    per_row = (row is not None and row.per_row) or (col is not None and col.per_row)

    def idx_of(v: Val | None, limit: int, default_one: bool):
        if v is None or (v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and not v.per_row):
            return np.zeros(1), None, None
        num, m, e = co.to_numbers(v.block)
        return np.trunc(num.ravel()), (m.ravel() if m is not None else None), (e.ravel() if e is not None else None)

    r, rm, re_ = idx_of(row, nr, False)
    c, cm, ce = idx_of(col, nc, False)
    if nr == 1 and col is None and row is not None:
        r, c = np.zeros_like(r), r          # INDEX(row_vector, n) picks the n-th column
    valid = np.ones(np.broadcast_shapes(r.shape, c.shape), bool)
    for m in (rm, cm):
        if m is not None:
            valid &= ~np.broadcast_to(m, valid.shape)
    rz, cz = np.broadcast_to(r == 0, valid.shape), np.broadcast_to(c == 0, valid.shape)
    if (rz & valid).any() and nr > 1 or (cz & valid).any() and nc > 1:
        if per_row:
            raise NotVectorisable("INDEX returning a whole row/column per row")
        rr = slice(None) if r[0] == 0 else slice(int(r[0]) - 1, int(r[0]))
        cc = slice(None) if c[0] == 0 else slice(int(c[0]) - 1, int(c[0]))
        if r[0] < 0 or c[0] < 0:            # a negative position is #VALUE!, one past the end #REF!
            return Val(Block.errors((1, 1), E_VALUE))
        if (r[0] > nr) or (c[0] > nc):
            return Val(Block.errors((1, 1), E_REF))
        sub = rng.block.take(rr, cc)
        ref = None
        if rng.ref is not None:
            sheet, r0, c0, r1, c1 = rng.ref
            ref = (sheet, r0 + (rr.start or 0), c0 + (cc.start or 0), r0 + (rr.stop or nr) - 1, c0 + (cc.stop or nc) - 1)
        return _read_picked(Val(sub, False, ref), ref, ctx)
    r = np.where(r == 0, 1, r)
    c = np.where(c == 0, 1, c)
    r, c = np.broadcast_arrays(r, c)
    bad = (r < 1) | (r > nr) | (c < 1) | (c > nc)
    ri, ci = np.clip(r, 1, nr).astype(int) - 1, np.clip(c, 1, nc).astype(int) - 1
    b = rng.block
    # indexing by position arrays copies already; a range without objects (numbers) has none to pick
    kind = b.kind[ri, ci]
    num = b.num[ri, ci]
    obj = b._obj[ri, ci] if b._obj is not None else np.empty(len(ri), object)
    kind[bad], obj[bad] = ERR, E_REF
    negative = (r < 0) | (c < 0)
    obj[negative] = E_VALUE
    for m, e in ((cm, ce), (rm, re_)):
        if m is not None:
            m = np.broadcast_to(m, kind.shape)
            kind[m], obj[m] = ERR, np.broadcast_to(e, kind.shape)[m]
    out = Block(kind.reshape(-1, 1), num.reshape(-1, 1), obj.reshape(-1, 1))
    picked = None
    if (not per_row or ctx.n == 1) and rng.ref is not None and not bad.ravel()[0]:
        sheet, r0, c0, _, _ = rng.ref
        picked = (sheet, r0 + int(ri.ravel()[0]), c0 + int(ci.ravel()[0]), r0 + int(ri.ravel()[0]), c0 + int(ci.ravel()[0]))
    return _read_picked(Val(out, per_row, None if per_row else picked), picked, ctx)


def _read_picked(val: Val, picked: tuple | None, ctx: Ctx) -> Val:
    """INDEX's value, read again from the cells it picked while cells are computed on demand (a
    circle's group): INDEX took its area as a reference only (function_args), so the cell it
    picks is computed first, and a circle is only what it really reads."""
    if picked is None or ctx.ref_only or ctx.book.on_read is None:
        return val
    got = computed_area_value(ctx, *picked)
    return Val(got.block, False, got.ref) if val.ref is not None else Val(got.block, val.per_row)


def _area_numbered(rng: Val, area_num: Val | None) -> Val:
    """INDEX's reference form: area ``area_num`` (1 when omitted) of a union, or of a single area
    (where only 1 is valid): #REF! past the last area, #VALUE! for a number below 1 or an array."""
    areas = rng.areas if rng.areas is not None else (rng,)
    if area_num is None or (area_num.shape == (1, 1) and area_num.block.kind[0, 0] == EMPTY and not area_num.per_row):
        k = 1
    else:
        if area_num.per_row:
            raise NotVectorisable("INDEX with an area_num per row")
        num, m, e = co.to_numbers(area_num.block)
        if m is not None and m[0, 0]:
            return Val(Block.errors((1, 1), e[0, 0]))
        k = int(np.trunc(num[0, 0]))
    if k < 1:
        return Val(Block.errors((1, 1), E_VALUE))
    if k > len(areas):
        return Val(Block.errors((1, 1), E_REF))
    return areas[k - 1]


def xlookup_exact(look: Val, arr: Val, ret: Val, missing: Val | None, ctx: Ctx) -> Val:
    """XLOOKUP's exact match, first to last, of one key or a key per row (hash positions, memoised)."""
    vec = arr
    if not look.per_row and look.block.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), look.block.obj[0, 0]))
    pos, wild = _first_positions(ctx, vec, look)
    pos = np.where(wild, -1, pos)   # XLOOKUP without match_mode 2 takes * and ? literally
    blank = look.block.kind.ravel() == EMPTY
    if blank.any():                 # an empty lookup value finds the first blank cell
        blanks = np.flatnonzero(vec.block.kind.ravel() == EMPTY)
        pos[blank] = blanks[0] if len(blanks) else -1
    q = look.block.objects().ravel()
    for i in np.flatnonzero(wild):
        low = str(q[i]).lower()
        hits = [j for j, o in enumerate(vec.block.objects().ravel()) if isinstance(o, str) and o.lower() == low]
        pos[i] = hits[0] if hits else -1
    vertical = vec.shape[1] == 1
    n_ret = ret.shape[1] if vertical else ret.shape[0]
    if (ret.shape[0] if vertical else ret.shape[1]) != len(vec.block.kind.ravel()):
        return Val(Block.errors((1, 1), E_VALUE))
    if not look.per_row and pos[0] < 0:     # not found: if_not_found as it is (a range spills whole)
        return missing if missing is not None else Val(Block.errors((1, 1), E_NA))
    if n_ret != 1:
        if look.per_row:
            raise NotVectorisable("XLOOKUP returning a row per row")
        p = int(pos[0])
        if p < 0:
            return missing if missing is not None else Val(Block.errors((1, 1), E_NA))
        return Val(ret.block.take(slice(p, p + 1)) if vertical else ret.block.take(slice(None), slice(p, p + 1)))
    flat_ret = Block(ret.block.kind.reshape(-1), ret.block.num.reshape(-1),
                     ret.block.obj.reshape(-1) if ret.block.obj is not None else np.empty(ret.block.kind.size, object))
    p = np.maximum(pos, 0)
    kind = flat_ret.kind[p].copy()
    num = flat_ret.num[p].copy()
    obj = flat_ret.obj[p].copy()
    nf = pos < 0
    if nf.any():
        if missing is None:
            kind[nf], obj[nf] = ERR, E_NA
        else:
            mb = missing.block
            mk, mn = np.broadcast_to(mb.kind.reshape(-1), kind.shape), np.broadcast_to(mb.num.reshape(-1), kind.shape)
            mo = np.broadcast_to(mb.obj.reshape(-1) if mb.obj is not None else np.empty(mb.kind.size, object), kind.shape)
            kind[nf], num[nf], obj[nf] = mk[nf], mn[nf], mo[nf]
    lk = look.block.kind.ravel()
    e = lk == ERR
    kind[e], obj[e] = ERR, look.block.obj.ravel()[e]
    return Val(Block(kind.reshape(-1, 1), num.reshape(-1, 1), obj.reshape(-1, 1)), look.per_row or (missing is not None and missing.per_row))


def _column_outside(col: Val, table: Val) -> XlError | None:
    """The error of a single column number outside the table (#VALUE! below 1, #REF! past its
    last column), else None."""
    if col.per_row or col.shape != (1, 1) or col.block.kind[0, 0] not in (NUM, BOOL):
        return None
    ci = np.trunc(col.block.num[0, 0])
    return E_VALUE if ci < 1 else E_REF if ci > table.shape[1] else None


@builtin("VLOOKUP")
def vlookup(args: list[Val], ctx: Ctx) -> Val:
    look, table, col = args[0], args[1], args[2]
    if table.ref is None and table.shape == (1, 1) and table.block.kind[0, 0] == ERR:
        return table        # a table that is an error (#REF! of deleted cells) is that error
    outside = _column_outside(col, table)
    if outside is not None and not look.per_row:
        # Excel looks the value up before it checks the column: a value not found is #N/A whatever
        # the column (cached in EPPlus's FormulaTest: VLOOKUP(8,I10:I28,0,FALSE) is #N/A)
        found = vlookup([look, table, Val(Block.numbers([[1.0]])), *args[3:]], ctx)
        return found if found.block.kind[0, 0] == ERR else Val(Block.errors((1, 1), outside))
    approx = args[3] if len(args) > 3 else None
    exact = approx is not None and not approx.per_row and approx.shape == (1, 1) and \
        approx.block.kind[0, 0] in (NUM, BOOL) and approx.block.num[0, 0] == 0
    if not exact or table.per_row or col.per_row or col.shape != (1, 1):
        return call_formulas("VLOOKUP", args, ctx)
    ci = int(col.block.num[0, 0])
    if ci < 1:
        return Val(Block.errors((1, 1), E_VALUE))
    if ci > table.shape[1]:
        return Val(Block.errors((1, 1), E_REF))
    first = Val(table.block.take(slice(None), slice(0, 1)), False, None if table.ref is None else
                (table.ref[0], table.ref[1], table.ref[2], table.ref[3], table.ref[2]))
    idx = match([look, first, Val(Block.numbers([[0.0]]))], ctx)
    return index([Val(table.block.take(slice(None), slice(ci - 1, ci))), idx], ctx)
