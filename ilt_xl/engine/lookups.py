"""Conditional aggregates and lookups: SUMIFS/COUNTIFS/AVERAGEIFS (and the single-criterion forms),
MATCH, INDEX, XLOOKUP and VLOOKUP.

When the key varies by row (``[@SessionId]``) and the match is a plain equality, the whole run
is answered with one hash grouping (pandas) instead of one scan per row; any row whose key is an
operator criterion (``">=5"``) or holds wildcards is answered by the per-row scan, which is the
reference semantics. Both paths share :func:`criterion_mask` / :func:`equality_key`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.distinct import map_unique
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, read_area
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NA, E_REF, E_VALUE, ERRORS

_OPS = ("<=", ">=", "<>", "=", "<", ">")


def equality_key(kind: int, num: float, obj) -> object:
    """The key under which a cell matches a plain equality criterion.

    Numbers (and text that reads as a number) compare as floats, other text case-insensitively,
    booleans as booleans; empty cells and errors get keys no criterion value produces.
    """
    if kind == NUM:
        return float(num)
    if kind == STR:
        try:
            return float(obj)
        except (ValueError, TypeError):
            return "s:" + obj.lower()
    if kind == BOOL:
        return "b:TRUE" if num else "b:FALSE"
    if kind == ERR:
        return "e:" + str(obj)
    return None


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text or "~" in text


def _wildcard_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern) and pattern[i + 1] in "*?~":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S | re.I)


def criterion_mask(rng: Block, kind: int, num: float, obj) -> np.ndarray:
    """Boolean mask of the cells of ``rng`` that meet one criterion (Excel's *IFS rules)."""
    k, v = rng.kind, rng.num
    if kind == ERR:
        out = np.zeros(k.shape, bool)
        for idx in zip(*np.nonzero(k == ERR)):
            out[idx] = str(rng.obj[idx]) == str(obj)
        return out
    if kind == EMPTY:
        # Excel: "a reference to an empty cell is treated as the value 0"
        return _numeric_equal(rng, 0.0)
    if kind in (NUM, BOOL):
        if kind == BOOL:
            return (k == BOOL) & (v == num)
        return _numeric_equal(rng, float(num))
    s = str(obj)
    op = next((o for o in _OPS if s.startswith(o)), None)
    rest = s[len(op):] if op else s
    try:
        target = float(rest)
    except ValueError:
        target = None
    if target is not None:
        if op in (None, "="):
            return _numeric_equal(rng, target)
        if op == "<>":
            return ~_numeric_equal(rng, target)
        cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
        return (k == NUM) & cmp(v, target)
    up = rest.upper()
    if up in ("TRUE", "FALSE"):
        m = (k == BOOL) & (v == (1.0 if up == "TRUE" else 0.0))
        return ~m if op == "<>" else m
    if rest in ERRORS:
        m = criterion_mask(rng, ERR, 0.0, rest)
        return ~m if op == "<>" else m
    return _text_criterion(rng, rest, op or "", blank_only=(op == "="))


def _numeric_equal(rng: Block, target: float) -> np.ndarray:
    m = (rng.kind == NUM) & (rng.num == target)
    s = rng.kind == STR
    if s.any():
        for idx in zip(*np.nonzero(s)):
            try:
                m[idx] = float(rng.obj[idx]) == target
            except ValueError:
                pass
    return m


def _text_criterion(rng: Block, text: str, op: str, blank_only: bool) -> np.ndarray:
    k = rng.kind
    if text == "":
        if op == "<>":
            return k != EMPTY
        if blank_only:
            return k == EMPTY
        return (k == EMPTY) | ((k == STR) & np.equal(rng.obj, ""))
    strs = k == STR
    low = text.lower()
    if op in ("<", "<=", ">", ">="):
        def test(u):
            if not isinstance(u, str):
                return False
            x = u.lower()
            return {"<": x < low, "<=": x <= low, ">": x > low, ">=": x >= low}[op]
    elif _has_wildcard(text):
        rx = _wildcard_regex(text)
        def test(u):
            return isinstance(u, str) and rx.match(u) is not None
    else:
        def test(u):
            return isinstance(u, str) and u.lower() == low
    out = strs & map_unique(np.where(strs, rng.obj, None), test, dtype=bool).reshape(k.shape)
    return ~out if op == "<>" else out


def _cached(ctx: Ctx, what: str | tuple, vals: tuple[Val, ...], build):
    """Per-workbook memo of work on values read straight from cells (keys, indexes, lookup
    positions), keyed on what they were read from (:attr:`Val.identity`). Cells are final once read,
    since the runs writing them were evaluated first; cycles switch the memo off
    (``book.lookup_cache = None``) as their cells change while they are evaluated. Memoised arrays
    are made read-only, so that a caller changing one in place fails instead of corrupting it."""
    ids = tuple(v.identity for v in vals)
    if ctx.book.lookup_cache is None or None in ids:
        return build()
    key = (what, ids)
    hit = ctx.book.lookup_cache.get(key)
    if hit is None:
        hit = ctx.book.lookup_cache[key] = build()
        for part in hit if isinstance(hit, tuple) else (hit,):
            if isinstance(part, np.ndarray):
                part.setflags(write=False)
    return hit


# ---- *IFS --------------------------------------------------------------------------------------------

def _ifs(kind: str, has_target: bool):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        if has_target:
            target, pairs = args[0], args[1:]
        else:
            target, pairs = None, args
        if kind in ("SUMIF", "AVERAGEIF", "COUNTIF"):
            # single-criterion forms: (range, criterion[, sum_range]); a sum range of another size
            # is read from its first cell over the criterion range's size, as Excel does
            rng, crit = args[0], args[1]
            target = args[2] if len(args) > 2 else (rng if kind != "COUNTIF" else None)
            if target is not None and target.shape != rng.shape and target.ref is not None:
                sheet, r0, c0, _, _ = target.ref
                target = Val(read_area(sheet, r0, c0, r0 + rng.shape[0] - 1, c0 + rng.shape[1] - 1), tail=rng.tail)
            pairs = [rng, crit]
        if len(pairs) % 2 or not pairs:
            return Val(Block.errors((1, 1), E_VALUE))
        ranges, crits = list(pairs[0::2]), list(pairs[1::2])
        for r in ranges + ([target] if target is not None else []):
            if r.per_row:
                raise NotVectorisable("a per-row range in a *IFS function")
        aligned = _aligned(ranges + ([target] if target is not None else []))
        if aligned is None:
            return Val(Block.errors((1, 1), E_VALUE))
        ranges, target = aligned[:len(ranges)], (aligned[-1] if target is not None else None)
        arrays = [i for i, c in enumerate(crits) if not c.per_row and c.shape != (1, 1)]
        if arrays:
            return _array_criteria(kind, ctx, ranges, crits, target, arrays)
        return _ifs_masks(kind, ctx, ranges, crits, target)
    return fn


def _aligned(vals: list[Val]) -> list[Val] | None:
    """The ranges of a *IFS call padded to one height: a whole column is read down to its sheet's
    used rows only, so ranges on different sheets differ until padded with empty cells (their
    ``tail`` still counts the rest). None when the ranges are not the same size."""
    height = max(v.shape[0] for v in vals)
    total = {v.shape[0] + v.tail for v in vals}
    if len(total) != 1 or len({v.shape[1] for v in vals}) != 1:
        return None
    out = []
    for v in vals:
        extra = height - v.shape[0]
        if extra:
            b = v.block
            pad = ((0, extra), (0, 0))
            obj = np.pad(b.obj, pad, constant_values=None)
            v = Val(Block(np.pad(b.kind, pad), np.pad(b.num, pad), obj), False, None, tail=v.tail - extra)
        out.append(v)
    return out


def _ifs_masks(kind: str, ctx: Ctx, ranges: list[Val], crits: list[Val], target: Val | None) -> Val:
    base = np.ones(ranges[0].shape, bool)
    varying = []
    for r, c in zip(ranges, crits):
        if c.per_row:
            varying.append((r, c))
        else:
            base &= _fixed_criterion_mask(ctx, r, c.block)
    agg = _Aggregator(kind, target)
    tail = ranges[0].tail
    if not varying:
        blank = bool(tail) and agg.kind.startswith("COUNT") and all(_matches_blank(c.block) for c in crits)
        return Val(agg.block_for_masks([base], extra=tail if blank else 0), False)
    if tail and agg.kind.startswith("COUNT"):
        raise NotVectorisable("whole columns counted with per-row criteria")
    return _ifs_per_row(ctx, agg, base, varying)


def _matches_blank(crit: Block) -> bool:
    """Whether a criterion matches an empty cell (the cells below a whole column's used rows)."""
    empty = Block(np.zeros((1, 1), np.int8), np.zeros((1, 1)), np.empty((1, 1), object))
    obj = crit.obj[0, 0] if crit.kind[0, 0] in (STR, ERR) else None
    return bool(criterion_mask(empty, int(crit.kind[0, 0]), float(crit.num[0, 0]), obj)[0, 0])


def _array_criteria(kind: str, ctx: Ctx, ranges, crits, target, arrays: list[int]) -> Val:
    """A criterion given as an array (``COUNTIF(A:A, {"x","y"})``): one result per element."""
    if any(c.per_row for c in crits):
        raise NotVectorisable("an array criterion with per-row criteria")
    shape = np.broadcast_shapes(*[crits[i].shape for i in arrays])
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        one = [Val(c.block.take(*[slice(min(i, s - 1), min(i, s - 1) + 1) for i, s in zip(idx, c.shape)]))
               if j in arrays else c for j, c in enumerate(crits)]
        out[idx] = _ifs_masks(kind, ctx, ranges, one, target).block.value()
    return Val(Block.from_objects(out))


def _fixed_criterion_mask(ctx: Ctx, rng: Val, crit: Block) -> np.ndarray:
    """:func:`criterion_mask` of one criterion value, memoised: report grids ask the same ranges
    the same questions (``Sessions[Status], "Delivered"``) from many cells."""
    kind, num = int(crit.kind[0, 0]), float(crit.num[0, 0])
    obj = crit.obj[0, 0] if kind in (STR, ERR) else None
    return _cached(ctx, ("criterion", kind, num, obj), (rng,), lambda: criterion_mask(rng.block, kind, num, obj))


class _Aggregator:
    def __init__(self, kind: str, target: Val | None):
        self.kind = kind
        if target is None:
            self.values = None
            self.errors = None
        else:
            b = target.block
            self.values = np.where(b.kind == NUM, b.num, 0.0)
            self.is_num = b.kind == NUM
            err = b.kind == ERR
            self.errors = (err, b.obj) if err.any() else None

    def one(self, mask: np.ndarray, extra: int = 0):
        if self.errors is not None and (mask & self.errors[0]).any():
            return self.errors[1][mask & self.errors[0]][0]
        if self.kind.startswith("COUNT"):
            return float(mask.sum() + extra)
        if self.kind in ("MINIFS", "MAXIFS"):       # numbers only; none is 0
            nums = self.values[mask & self.is_num]
            return float(nums.min() if self.kind == "MINIFS" else nums.max()) if len(nums) else 0.0
        s = float(self.values[mask].sum())
        if self.kind.startswith("AVERAGE"):
            c = float((mask & self.is_num).sum())
            return E_DIV0 if c == 0 else s / c
        return s

    def block_for_masks(self, masks: list[np.ndarray], extra: int = 0) -> Block:
        return Block.from_objects(np.array([[self.one(m, extra)] for m in masks], dtype=object))


def _ifs_per_row(ctx: Ctx, agg: _Aggregator, base: np.ndarray, varying: list[tuple[Val, Val]]) -> Val:
    n = ctx.n
    crit_blocks = [c.block for _, c in varying]
    plain = np.full(n, agg.kind not in ("MINIFS", "MAXIFS"))     # the hash path sums and counts
    for _, c in varying:
        plain &= _cached(ctx, "plain", (c,), lambda: _plain_criteria(c.block))
    out = np.empty(n, dtype=object)
    if plain.any():
        out[plain] = _hash_answer(ctx, agg, base, varying, np.flatnonzero(plain))
    for i in np.flatnonzero(~plain):
        m = base.copy()
        for (r, _), b in zip(varying, crit_blocks):
            m &= criterion_mask(r.block, int(b.kind[i, 0]), float(b.num[i, 0]), b.obj[i, 0] if b.obj is not None else None)
        out[i] = agg.one(m)
    return Val(Block.from_objects(out.reshape(-1, 1)), True)


def _plain_criteria(b: Block) -> np.ndarray:
    """Which criteria of a per-row block are plain equalities (no operator, no wildcard)."""
    def plain_text(u) -> bool:
        return isinstance(u, str) and u != "" and u[0] not in "<>=" and not _has_wildcard(u)
    k = b.kind[:, 0]
    texts = map_unique(np.where(k == STR, b.obj[:, 0], None), plain_text, dtype=bool)
    return (k == NUM) | (k == BOOL) | ((k == STR) & texts)


def _keys_of(b: Block) -> np.ndarray:
    """Equality keys of all cells of a block, flattened (vectorised for numbers)."""
    k = b.kind.ravel()
    out = np.empty(k.shape, dtype=object)
    nums = k == NUM
    out[nums] = b.num.ravel()[nums].tolist() if nums.any() else []
    strs = k == STR
    if strs.any():      # texts repeat (ids in a fact table): work on each distinct text once
        codes, distinct = pd.factorize(b.obj.ravel()[strs], use_na_sentinel=False)
        texts = pd.Series(distinct, dtype=object).astype(str)
        keys = ("s:" + texts.str.lower()).to_numpy(dtype=object)
        stripped = texts.str.strip()
        # to_numeric is slow on text that fails to parse; text whose first character is none of
        # these (sign, point, digit, inf) never parses, so it is not tried
        tried = np.flatnonzero(stripped.str.match(r"[-+.\dIi]").to_numpy(dtype=bool))
        as_num = pd.to_numeric(stripped.iloc[tried], errors="coerce").to_numpy(dtype=float)
        numeric = tried[~np.isnan(as_num)]
        keys[numeric] = as_num[~np.isnan(as_num)].tolist()
        out[strs] = keys[codes]
    other = np.flatnonzero(~nums & ~strs)
    if len(other):
        num, obj = b.num.ravel(), b.obj.ravel()
        for i in other:
            out[i] = equality_key(int(k[i]), num[i], obj[i])
    return out


def _groups(ctx: Ctx, base: np.ndarray, varying: list[tuple[Val, Val]], rows_idx: np.ndarray):
    """The cells of ``base`` whose keys are all non-empty, their group (0-based code of their
    distinct combination of keys), and the group each queried row asks for (-1 for none):
    (cells, codes, query, number of groups)."""
    cells = np.flatnonzero(base.ravel())
    columns = []
    for r, c in varying:
        col_codes, uniques = pd.factorize(_cached(ctx, "keys", (r,), lambda: _keys_of(r.block))[cells])
        wanted = _cached(ctx, "keys", (c,), lambda: _keys_of(c.block))[rows_idx]
        columns.append((col_codes, pd.Index(uniques, dtype=object).get_indexer(wanted), len(uniques)))
    valid = np.logical_and.reduce([col_codes >= 0 for col_codes, _, _ in columns])
    cells = cells[valid]
    codes = np.zeros(len(cells), np.int64)
    query = np.zeros(len(rows_idx), np.int64)
    for col_codes, col_query, size in columns:
        # factorizing each combination keeps the codes below len(cells): no overflow
        codes, combined = pd.factorize(codes * size + col_codes[valid])
        looked_up = pd.Index(combined).get_indexer(query * size + col_query)
        query = np.where((query < 0) | (col_query < 0), -1, looked_up)
    return cells, codes, query, int(codes.max()) + 1 if len(codes) else 0


def _hash_answer(ctx, agg: _Aggregator, base, varying, rows_idx) -> np.ndarray:
    """The aggregate for each queried row (plain equality criteria) by grouping the cells once."""
    if base.all():      # the grouping depends on the ranges and criteria only: memoise it
        cells, codes, query, n_groups = _cached(ctx, "groups", tuple(v for pair in varying for v in pair),
                                                lambda: _groups(ctx, base, varying, rows_idx))
    else:
        cells, codes, query, n_groups = _groups(ctx, base, varying, rows_idx)
    if agg.errors is not None and agg.errors[0].ravel()[cells].any():
        raise NotVectorisable("errors in the aggregated range")
    pos = np.where(query >= 0, query, n_groups)      # one more group: the rows that found none
    out = np.empty(len(rows_idx), dtype=object)
    if agg.kind.startswith("COUNT"):
        out[:] = np.bincount(codes, minlength=n_groups + 1)[pos].astype(float).tolist()
        return out
    # pandas sums each group with compensated summation, as the engine always has
    sums = np.append(pd.Series(agg.values.ravel()[cells]).groupby(codes).sum().to_numpy(), 0.0)[pos]
    if agg.kind.startswith("AVERAGE"):
        counts = np.bincount(codes, weights=agg.is_num.ravel()[cells], minlength=n_groups + 1)[pos]
        with np.errstate(all="ignore"):
            avg = sums / np.where(counts > 0, counts, 1.0)
        out[:] = [E_DIV0 if c == 0 else float(a) for a, c in zip(avg, counts)]
    else:
        out[:] = sums.tolist()
    return out


# ---- MATCH / INDEX / XLOOKUP / VLOOKUP -------------------------------------------------------------------

def _exact_keys(b: Block) -> np.ndarray:
    """Keys for exact lookups: numbers match numbers only, text case-insensitively."""
    k = b.kind.ravel()
    out = np.empty(k.shape, dtype=object)
    nums = k == NUM
    out[nums] = b.num.ravel()[nums].tolist() if nums.any() else []
    obj = b.obj.ravel()
    strs = k == STR
    if strs.any():
        codes, distinct = pd.factorize(obj[strs], use_na_sentinel=False)
        out[strs] = ("s:" + pd.Series(distinct, dtype=object).astype(str).str.lower()).to_numpy(dtype=object)[codes]
    for i in np.flatnonzero(~nums & ~strs):
        kk = k[i]
        out[i] = ("s:" + obj[i].lower()) if kk == STR else ("b:%d" % b.num.ravel()[i]) if kk == BOOL else \
            ("e:" + str(obj[i])) if kk == ERR else None
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
        found = _cached(ctx, "exact", (rng,), index)
        q = _exact_keys(look.block)
        pos = found.index.get_indexer(pd.Index(q, dtype=object))
        pos = np.where(pos >= 0, found.to_numpy()[np.maximum(pos, 0)], -1) if len(found) else np.full(len(q), -1)
        qk = look.block.kind.ravel()
        wild = (qk == STR) & map_unique(np.where(qk == STR, look.block.obj.ravel(), None),
                                        lambda u: isinstance(u, str) and _has_wildcard(u), dtype=bool)
        return pos, wild
    return _cached(ctx, "positions", (rng, look), positions)


def _wild_position(rng: Block, pattern: str) -> int:
    rx = _wildcard_regex(pattern)
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
    sorted_keys = _cached(ctx, "sorted", (vec,), lambda: _sorted_keys(vec.block))
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


def _fn_match(args: list[Val], ctx: Ctx) -> Val:
    look, rng = args[0], args[1]
    mtype = args[2] if len(args) > 2 else None
    if mtype is not None and (mtype.per_row or mtype.shape != (1, 1)):
        raise NotVectorisable("per-row match type")
    t = 1.0 if mtype is None or mtype.block.kind[0, 0] == EMPTY else float(mtype.block.num[0, 0])
    vec = _vector_of(rng)
    if vec is None or (not look.per_row and look.shape != (1, 1)):
        return call_formulas("MATCH", args, ctx)
    if t == 0:
        pos, wild = _first_positions(ctx, vec, look)
        pos = pos.copy()
        flat = look.block.obj.ravel()
        for i in np.flatnonzero(wild):
            pos[i] = _wild_position(vec.block, flat[i])
    else:
        pos = _approximate_positions(ctx, vec, look) if t > 0 else None
        if pos is None:
            return call_formulas("MATCH", args, ctx)
    flat = look.block.obj.ravel()
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


def _fn_index(args: list[Val], ctx: Ctx) -> Val:
    rng = args[0]
    if rng.per_row:
        raise NotVectorisable("INDEX over a per-row range")
    row = args[1] if len(args) > 1 else None
    col = args[2] if len(args) > 2 else None
    nr, nc = rng.shape
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
        if (r[0] > nr) or (c[0] > nc) or r[0] < 0 or c[0] < 0:
            return Val(Block.errors((1, 1), E_REF))
        sub = rng.block.take(rr, cc)
        ref = None
        if rng.ref is not None:
            sheet, r0, c0, r1, c1 = rng.ref
            ref = (sheet, r0 + (rr.start or 0), c0 + (cc.start or 0), r0 + (rr.stop or nr) - 1, c0 + (cc.stop or nc) - 1)
        return Val(sub, False, ref)
    r = np.where(r == 0, 1, r)
    c = np.where(c == 0, 1, c)
    r, c = np.broadcast_arrays(r, c)
    bad = (r < 1) | (r > nr) | (c < 1) | (c > nc)
    ri, ci = np.clip(r, 1, nr).astype(int) - 1, np.clip(c, 1, nc).astype(int) - 1
    b = rng.block
    kind = b.kind[ri, ci].copy()
    num = b.num[ri, ci].copy()
    obj = (b.obj[ri, ci] if b.obj is not None else np.empty(len(ri), object)).copy()
    kind[bad], obj[bad] = ERR, E_REF
    for m, e in ((cm, ce), (rm, re_)):
        if m is not None:
            m = np.broadcast_to(m, kind.shape)
            kind[m], obj[m] = ERR, np.broadcast_to(e, kind.shape)[m]
    out = Block(kind.reshape(-1, 1), num.reshape(-1, 1), obj.reshape(-1, 1))
    ref = None
    if not per_row and rng.ref is not None and not bad[0]:
        sheet, r0, c0, _, _ = rng.ref
        ref = (sheet, r0 + int(ri[0]), c0 + int(ci[0]), r0 + int(ri[0]), c0 + int(ci[0]))
    return Val(out, per_row, ref)


def xlookup_exact(look: Val, arr: Val, ret: Val, missing: Val | None, ctx: Ctx) -> Val:
    """XLOOKUP's exact match, first to last, of one key or a key per row (hash positions, memoised)."""
    vec = arr
    if not look.per_row and look.block.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), look.block.obj[0, 0]))
    pos, wild = _first_positions(ctx, vec, look)
    pos = np.where(wild, -1, pos)   # XLOOKUP without match_mode 2 takes * and ? literally
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


def _fn_vlookup(args: list[Val], ctx: Ctx) -> Val:
    look, table, col = args[0], args[1], args[2]
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
    idx = _fn_match([look, first, Val(Block.numbers([[0.0]]))], ctx)
    return _fn_index([Val(table.block.take(slice(None), slice(ci - 1, ci))), idx], ctx)


VECTORISED = {
    "SUMIFS": _ifs("SUMIFS", True),
    "AVERAGEIFS": _ifs("AVERAGEIFS", True),
    "COUNTIFS": _ifs("COUNTIFS", False),
    "SUMIF": _ifs("SUMIF", False),
    "AVERAGEIF": _ifs("AVERAGEIF", False),
    "COUNTIF": _ifs("COUNTIF", False),
    "MINIFS": _ifs("MINIFS", True),
    "MAXIFS": _ifs("MAXIFS", True),
    "MATCH": _fn_match,
    "INDEX": _fn_index,
    "VLOOKUP": _fn_vlookup,
}
