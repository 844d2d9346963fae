"""Conditional aggregates: SUMIFS/COUNTIFS/AVERAGEIFS/MINIFS/MAXIFS and the single-criterion forms
(SUMIF/COUNTIF/AVERAGEIF), with the criteria matcher (their memo is :mod:`ilt_xl.engine.memo`).

When the key varies by row (``[@SessionId]``) and the match is a plain equality, the whole run
is answered with one hash grouping (pandas) instead of one scan per row; any row whose key is an
operator criterion (``">=5"``) or holds wildcards is answered by the per-row scan, which is the
reference semantics. Both paths share :func:`criterion_mask` / :func:`equality_key`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.criterion_forms import CriterionForms, criterion_forms, has_wildcard
from ilt_xl.engine.distinct import map_unique, text_keys
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, read_area
from ilt_xl.engine.memo import memoised, memoised_per_row
from ilt_xl.engine.number_text import number_in_text
from ilt_xl.engine.ranked_counts import ranked_counts
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_VALUE, ERRORS

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


def wildcard_regex(pattern: str, whole: bool = True) -> re.Pattern:
    """Excel's wildcards as a case-insensitive regex: ? one character, * any run, ~ makes the
    next * ? ~ literal. ``whole``: the pattern must match the whole text (criteria, lookups);
    else it is searched for (SEARCH, where ~ makes any next character literal and a last ~ is
    dropped)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and (i + 1 < len(pattern) and (pattern[i + 1] in "*?~" or not whole) or i + 1 == len(pattern) and not whole):
            out.append(re.escape(pattern[i + 1:i + 2]))
            i += 2
            continue
        out.append((".*" if whole else ".*?") if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + (r"\Z" if whole else ""), re.S | re.I)


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
    except ValueError:      # after an operator, a date, a time or "1,000" as Excel reads text as a number
        target = number_in_text(rest) if op else None
    if target is not None:
        if op in (None, "="):
            return _numeric_equal(rng, target)
        if op == "<>":         # only a number equal to it is left out: the text "23" is not 23
            return ~((k == NUM) & (v == target))
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
        if op:                  # "<", "<=", ">", ">=" with nothing to compare with match no cell
            return np.zeros(k.shape, bool)
        return (k == EMPTY) | ((k == STR) & np.equal(rng.obj, ""))
    strs = k == STR
    low = text.lower()
    if op in ("<", "<=", ">", ">="):
        def test(u):
            if not isinstance(u, str):
                return False
            x = u.lower()
            return {"<": x < low, "<=": x <= low, ">": x > low, ">=": x >= low}[op]
    elif has_wildcard(text):
        rx = wildcard_regex(text)
        def test(u):
            return isinstance(u, str) and rx.match(u) is not None
    else:
        def test(u):
            return isinstance(u, str) and u.lower() == low
    out = strs & map_unique(np.where(strs, rng.obj, None), test, dtype=bool).reshape(k.shape)
    return ~out if op == "<>" else out


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
    agg = _Aggregator(kind, target, ctx)
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
    return memoised(ctx, ("criterion", kind, num, obj), (rng,), lambda: criterion_mask(rng.block, kind, num, obj))


class _Aggregator:
    def __init__(self, kind: str, target: Val | None, ctx: Ctx):
        self.kind = kind
        if target is None:
            self.values = None
            self.errors = None
        else:       # memoised: a report grid's SUMIFS cells and a column's several *IFS sum one range
            self.values, self.is_num, err = memoised(ctx, "aggregated", (target,), lambda: _aggregated(target.block))
            self.errors = (err, target.block.obj) if err is not None else None

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


def _aggregated(b: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What *IFS aggregates of a target range: its numbers (0 elsewhere), where the numbers are,
    and where its errors are (None without any)."""
    err = b.kind == ERR
    return np.where(b.kind == NUM, b.num, 0.0), b.kind == NUM, err if err.any() else None


def _ifs_per_row(ctx: Ctx, agg: _Aggregator, base: np.ndarray, varying: list[tuple[Val, Val]]) -> Val:
    n = ctx.n
    crit_blocks = [c.block for _, c in varying]
    # read once per call: a criterion built per row ("<="&[@StartDate]) has no identity to memoise on
    forms = [memoised_per_row(ctx, "criterion forms", c, lambda: criterion_forms(c.block),
                              lambda f, at: CriterionForms(*(part[at] for part in f))) for _, c in varying]
    plain = np.full(n, agg.kind not in ("MINIFS", "MAXIFS"))     # the hash path sums and counts
    for form in forms:
        plain &= form.plain
    out = np.empty(n, dtype=object)
    if plain.any():
        out[plain] = _hash_answer(ctx, agg, base, varying, np.flatnonzero(plain))
    rest = np.flatnonzero(~plain)
    if len(rest) and agg.kind.startswith("COUNT"):
        ranked, counts = _ranked_answer(ctx, base, varying, forms, rest)
        out[rest[ranked]] = counts.astype(float).tolist()
        rest = rest[~ranked]
    # the reference scan, once per distinct combination of criteria (rows repeat them)
    if len(rest):
        firsts, which = _distinct_rows(crit_blocks, rest)
        answers = np.empty(len(firsts), dtype=object)
        for j, i in enumerate(rest[firsts].tolist()):
            m = base.copy()
            for (r, _), b in zip(varying, crit_blocks):
                m &= criterion_mask(r.block, *_criterion_of(b, i))
            answers[j] = agg.one(m)
        out[rest] = answers[which]
    return Val(Block.from_objects(out.reshape(-1, 1)), True)


def _distinct_rows(blocks: list[Block], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows (of ``rows``) with distinct criteria in ``blocks``, as what :func:`_criterion_of`
    reads: (position of each distinct combination's first row, combination of each row)."""
    columns = []
    for b in blocks:
        k = b.kind[rows, 0]
        texts = np.isin(k, (STR, ERR))
        objs = pd.factorize(np.where(texts, b.obj[rows, 0], None), use_na_sentinel=True)[0]
        nums = np.where(np.isin(k, (NUM, BOOL)), b.num[rows, 0], 0.0).view(np.int64)
        columns += [k.astype(np.int64), objs, nums]
    _, firsts, which = np.unique(np.stack(columns, axis=1), axis=0, return_index=True, return_inverse=True)
    return firsts, which.reshape(-1)


def _criterion_of(b: Block, i: int) -> tuple:
    """(kind, number, object) of row ``i``'s criterion: what :func:`criterion_mask` reads of it."""
    kind = int(b.kind[i, 0])
    return kind, float(b.num[i, 0]) if kind in (NUM, BOOL) else 0.0, b.obj[i, 0] if kind in (STR, ERR) else None


def _ranked_answer(ctx: Ctx, base: np.ndarray, varying: list[tuple[Val, Val]], forms: list[CriterionForms],
                   rows_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COUNTIFS of the rows whose per-row criteria are plain equalities but one, a comparison with
    a number (``Rates[ValidFrom], "<="&[@StartDate]``): the cells grouped by the equalities' keys,
    then counted by binary search (:func:`ranked_counts`). (which of ``rows_idx`` were answered,
    their counts); the others are left to the scan."""
    answered = np.zeros(len(rows_idx), bool)
    for j, form in enumerate(forms):
        ops, bounds = form.ops, form.bounds
        if (ops[rows_idx] < 0).all():
            continue
        answered = ops[rows_idx] >= 0
        for k, other in enumerate(forms):
            if k != j:
                answered &= other.plain[rows_idx]
        break
    if not answered.any():
        return answered, np.zeros(0)
    rows = rows_idx[answered]
    equalities = varying[:j] + varying[j + 1:]
    if equalities:
        cells, codes, query, _ = _groups(ctx, base, equalities, rows)
    else:
        cells = np.flatnonzero(base.ravel())
        codes, query = np.zeros(len(cells), np.int64), np.zeros(len(rows), np.int64)
    compared = varying[j][0].block
    numeric = compared.kind.ravel()[cells] == NUM        # a comparison with a number meets numbers only
    counts = ranked_counts(codes[numeric], compared.num.ravel()[cells][numeric], query, ops[rows], bounds[rows])
    return answered, counts


def _criterion_keys(b: Block) -> np.ndarray:
    """Equality keys of a per-row criterion block: an empty cell asks for 0 (:func:`criterion_mask`)."""
    keys = _keys_of(b)
    keys[b.kind.ravel() == EMPTY] = 0.0
    return keys


_NUMBER_START = re.compile(r"[-+.\dIi]")


def _keys_of(b: Block) -> np.ndarray:
    """Equality keys of all cells of a block, flattened (vectorised for numbers)."""
    k = b.kind.ravel()
    out = np.empty(k.shape, dtype=object)
    nums = k == NUM
    out[nums] = b.num.ravel()[nums].tolist() if nums.any() else []
    strs = k == STR
    if strs.any():      # texts repeat (ids in a fact table): work on each distinct text once
        codes, distinct = pd.factorize(b.obj.ravel()[strs], use_na_sentinel=False)
        keys = text_keys(distinct)
        stripped = [str(t).strip() for t in distinct]
        # to_numeric is slow on text that fails to parse; text whose first character is none of
        # these (sign, point, digit, inf) never parses, so it is not tried
        tried = np.array([i for i, t in enumerate(stripped) if _NUMBER_START.match(t)], np.int64)
        as_num = pd.to_numeric(pd.Series([stripped[i] for i in tried], dtype=object).astype(str),
                               errors="coerce").to_numpy(dtype=float)
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
    ranges = [r for r, _ in varying]
    if base.all():      # the cells' side depends on the ranges only: other columns ask them too
        cells, codes, steps, n_groups = memoised(ctx, "cell groups", tuple(ranges),
                                                 lambda: _cell_groups(ctx, base, ranges))
    else:
        cells, codes, steps, n_groups = _cell_groups(ctx, base, ranges)
    query = np.zeros(len(rows_idx), np.int64)
    for (uniques, size, combined), (_, c) in zip(steps, varying):
        # each distinct key asked once: rows repeat their criteria ([@Year], [@Currency])
        asked, distinct = memoised_per_row(ctx, "criterion key codes", c,
                                           lambda: pd.factorize(_criterion_keys(c.block), use_na_sentinel=False),
                                           lambda whole, at: (whole[0][at], whole[1]))
        col_query = uniques.get_indexer(pd.Index(distinct, dtype=object))[asked[rows_idx]]
        looked_up = combined.get_indexer(query * size + col_query)
        query = np.where((query < 0) | (col_query < 0), -1, looked_up)
    return cells, codes, query, n_groups


def _cell_groups(ctx: Ctx, base: np.ndarray, ranges: list[Val]) -> tuple:
    """The cells' side of :func:`_groups`: (cells, codes, steps, number of groups), where each step
    (one per range: its distinct keys, their number, the combinations so far) is what a query
    replays to find its group."""
    cells = np.flatnonzero(base.ravel())
    columns = []
    for r in ranges:
        col_codes, uniques = pd.factorize(memoised(ctx, "keys", (r,), lambda: _keys_of(r.block))[cells])
        columns.append((col_codes, pd.Index(uniques, dtype=object), len(uniques)))
    valid = np.logical_and.reduce([col_codes >= 0 for col_codes, _, _ in columns])
    cells = cells[valid]
    codes = np.zeros(len(cells), np.int64)
    steps = []
    for col_codes, uniques, size in columns:
        # factorizing each combination keeps the codes below len(cells): no overflow
        codes, combined = pd.factorize(codes * size + col_codes[valid])
        steps.append((uniques, size, pd.Index(combined)))
    return cells, codes, steps, int(codes.max()) + 1 if len(codes) else 0


def _hash_answer(ctx, agg: _Aggregator, base, varying, rows_idx) -> np.ndarray:
    """The aggregate for each queried row (plain equality criteria) by grouping the cells once."""
    if base.all():      # the grouping depends on the ranges and criteria only: memoise it
        cells, codes, query, n_groups = memoised(ctx, "groups", tuple(v for pair in varying for v in pair),
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


# registered once each, like every built-in (see ilt_xl.engine.builtins)
for _name, _has_target in (("SUMIFS", True), ("AVERAGEIFS", True), ("COUNTIFS", False), ("SUMIF", False),
                           ("AVERAGEIF", False), ("COUNTIF", False), ("MINIFS", True), ("MAXIFS", True)):
    builtin(_name)(_ifs(_name, _has_target))
