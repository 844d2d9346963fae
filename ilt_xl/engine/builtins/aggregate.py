"""SUM, MIN, MAX, AVERAGE, PRODUCT, SUBTOTAL and AGGREGATE: an aggregate over references that leaves out hidden and filtered rows and the
results of other SUBTOTAL/AGGREGATE cells, as Excel does.

Codes 1-11 leave out rows a filter hides (every hidden row, while a filter of the sheet filters by
some column: see :func:`_filtered_rows`); codes 101-111 leave out every hidden row. Other SUBTOTAL or AGGREGATE cells inside the ranges are
never counted, so a total row can sum sub-totals without counting them twice.
"""
from __future__ import annotations

import re

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins.formulas_bridge import per_row_any
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_VALUE

_FUNCTIONS = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV", 8: "STDEVP",
              9: "SUM", 10: "VAR", 11: "VARP"}
_NESTED = re.compile(r"\b(?:_xlfn\.)?(?:SUBTOTAL|AGGREGATE)\s*\(", re.I)


def _nested_cells(ctx: Ctx, sheet) -> set[tuple[int, int]]:
    """(row, col) of the sheet's cells whose formula calls SUBTOTAL or AGGREGATE."""
    key = ("subtotal cells", sheet.index)
    if key not in ctx.book.facts:
        f = sheet.formulas
        ctx.book.facts[key] = {(int(r), int(c)) for r, c, t in zip(f.rows, f.cols, f.texts) if _NESTED.search(t)}
    return ctx.book.facts[key]


def _filtered_rows(sheet) -> np.ndarray:
    """The rows a filter hides: while a filter of the sheet (its autoFilter's or a table's) filters
    by some column, Excel counts every hidden row of the sheet as filtered out, inside the filter's
    range or not; otherwise none (rows hidden by hand count for codes 1-11)."""
    return sheet.hidden_rows if sheet.filter_mode else sheet.hidden_rows[:0]


def _visible(ctx: Ctx, v: Val, skip_hidden: bool) -> Val:
    """``v`` with the cells SUBTOTAL leaves out made empty."""
    sheet, r0, c0, r1, c1 = v.ref
    hidden = sheet.hidden_rows if skip_hidden else _filtered_rows(sheet)
    out = np.zeros(v.shape, bool)
    rows = hidden[(hidden >= r0) & (hidden <= r1)]
    out[rows - r0, :] = True
    for r, c in _nested_cells(ctx, sheet):
        if r0 <= r <= r1 and c0 <= c <= c1:
            out[r - r0, c - c0] = True
    return emptied(v, out)


def emptied(v: Val, out: np.ndarray) -> Val:
    """``v`` (a reference's value) with the cells ``out`` marks made empty: what an aggregate
    leaves out (SUBTOTAL's hidden rows, a database function's records that do not match)."""
    if not out.any():
        return v
    b = v.block
    kind = np.where(out, EMPTY, b.kind).astype(np.int8)
    return Val(Block(kind, np.where(out, 0.0, b.num), b._obj), False, v.ref)


@builtin("SUBTOTAL")
def subtotal(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 2:
        return Val(Block.errors((1, 1), E_VALUE))
    code = args[0]
    if code.per_row or any(a.per_row for a in args[1:]):
        raise NotVectorisable("SUBTOTAL per row")
    if code.shape != (1, 1) or code.block.kind[0, 0] not in (NUM, BOOL):
        return Val(Block.errors((1, 1), E_VALUE))
    n = int(np.trunc(code.block.num[0, 0]))
    name = _FUNCTIONS.get(n - 100 if n > 100 else n)
    if name is None:
        return Val(Block.errors((1, 1), E_VALUE))
    for a in args[1:]:
        if a.ref is None:       # a reference that is an error (#REF! of a deleted row) is that error
            error = a.block.obj[0, 0] if a.shape == (1, 1) and a.block.kind[0, 0] == ERR else E_VALUE
            return Val(Block.errors((1, 1), error))
    return call_by_name(name, [_visible(ctx, a, n > 100) for a in args[1:]], ctx)


def _typed_number(a: Val, ctx: Ctx):
    """(numbers, error mask, errors) of a value typed as an argument: text is read as arithmetic
    reads it, so a date or time text counts as its serial (SUM(1,"2024-01-31"))."""
    return co.to_numbers(a.block)


def _aggregate(kind: str):
    """SUM/MIN/MAX/AVERAGE/PRODUCT/SUMSQ: references and arrays count numbers only (text,
    logicals and empty cells are left out); typed values are coerced. SUMSQ sums the squares."""
    square = kind == "SUMSQ"
    def fn(args: list[Val], ctx: Ctx) -> Val:
        with np.errstate(all="ignore"):   # overflow gives inf, which becomes #NUM! as in Excel
            return aggregate(args, ctx)

    def aggregate(args: list[Val], ctx: Ctx) -> Val:
        per_row = per_row_any(args)
        n = ctx.n if per_row else 1
        total, count = np.zeros((n, 1)), np.zeros((n, 1))
        low, high, prod = np.full((n, 1), np.inf), np.full((n, 1), -np.inf), np.ones((n, 1))
        errs = []
        for a in args:
            b = a.block
            if a.per_row:
                ok = b.kind == NUM
                x = np.where(ok, b.num * b.num if square else b.num, 0.0)
                s, c, lo, hi, p = x, ok, np.where(ok, b.num, np.inf), np.where(ok, b.num, -np.inf), np.where(ok, b.num, 1.0)
                errs.append((b.kind == ERR, b.obj))
            elif a.ref is not None or b.shape != (1, 1):
                ok = b.kind == NUM
                v = b.num[ok]
                s, c = (v * v if square else v).sum(), float(len(v))
                lo, hi, p = (v.min() if len(v) else np.inf), (v.max() if len(v) else -np.inf), v.prod()
                e = b.kind == ERR
                if e.any():
                    errs.append((np.ones((n, 1), bool), np.full((n, 1), b.obj[e][0], dtype=object)))
            else:
                num, m, e = _typed_number(a, ctx)
                x = float(num[0, 0])
                s, c, lo, hi, p = x * x if square else x, 1.0, x, x, x
                if m is not None:
                    errs.append((np.broadcast_to(m, (n, 1)), np.broadcast_to(e, (n, 1))))
            total, count = total + s, count + c
            low, high, prod = np.minimum(low, lo), np.maximum(high, hi), prod * p
        extra = []
        if kind in ("SUM", "SUMSQ"):
            out = total
        elif kind == "PRODUCT":
            out = np.where(count > 0, prod, 0.0)
        elif kind == "MIN":
            out = np.where(count > 0, low, 0.0)
        elif kind == "MAX":
            out = np.where(count > 0, high, 0.0)
        else:
            out = total / np.where(count > 0, count, 1.0)
            extra.append((count == 0, np.full((n, 1), E_DIV0, dtype=object)))
        return Val(co.number_block(out, *errs, *extra), per_row)
    return fn


for _kind in ("SUM", "MIN", "MAX", "AVERAGE", "PRODUCT", "SUMSQ"):
    builtin(_kind)(_aggregate(_kind))


def _counter(every: bool):
    """COUNT (``every`` False): the numbers of references and arrays (not logicals, text that
    reads as a number, errors); a value typed as an argument counts when it is a number, a
    logical or text VALUE reads ("26/08" too); errors never count (nor stop the count).
    COUNTA: every value that is not empty, errors and empty text ("") included."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        per_row = per_row_any(args)
        total = np.zeros((ctx.n if per_row else 1, 1))
        for a in args:
            k = a.block.kind
            if a.per_row:
                total = total + ((k != EMPTY) if every else (k == NUM))
            elif a.ref is not None or k.shape != (1, 1) or a.constant_array:
                total = total + float(np.count_nonzero((k != EMPTY) if every else (k == NUM)))
            elif every or k[0, 0] in (NUM, BOOL) or k[0, 0] == STR and call_by_name("VALUE", [a], ctx).block.kind[0, 0] == NUM:
                total = total + float(k[0, 0] != EMPTY)
        return Val(Block.numbers(total), per_row)
    return fn


builtin("COUNT")(_counter(every=False))
builtin("COUNTA")(_counter(every=True))


# ---- AGGREGATE -----------------------------------------------------------------------------------------

_AGGREGATE_FUNCTIONS = {**_FUNCTIONS, 12: "MEDIAN", 13: "MODE", 14: "LARGE", 15: "SMALL", 16: "PERCENTILE",
                        17: "QUARTILE", 18: "PERCENTILE.EXC", 19: "QUARTILE.EXC"}
# option -> (leave out hidden rows, leave out error values, leave out nested SUBTOTAL/AGGREGATE cells)
_OPTIONS = {0: (False, False, True), 1: (True, False, True), 2: (False, True, True), 3: (True, True, True),
            4: (False, False, False), 5: (True, False, False), 6: (False, True, False), 7: (True, True, False)}


def _left_out(ctx: Ctx, v: Val, hidden: bool, errors: bool, nested: bool) -> Val:
    """``v`` with the cells AGGREGATE's option leaves out made empty: hidden rows (filtered ones
    included), error values, other SUBTOTAL/AGGREGATE cells."""
    b = v.block
    out = (b.kind == ERR) if errors else np.zeros(v.shape, bool)
    if v.ref is not None:
        sheet, r0, c0, r1, c1 = v.ref
        if hidden:
            rows = sheet.hidden_rows[(sheet.hidden_rows >= r0) & (sheet.hidden_rows <= r1)]
            out[rows - r0, :] = True
        if nested:
            for r, c in _nested_cells(ctx, sheet):
                if r0 <= r <= r1 and c0 <= c <= c1:
                    out[r - r0, c - c0] = True
    return emptied(v, out)


@builtin("AGGREGATE")
def aggregate_(args: list[Val], ctx: Ctx) -> Val:
    """AGGREGATE(function_num, options, ref1, [ref2 | k]): one of 19 functions (1-13 over
    references, 14-19 over an array with k) leaving out what the option says (0-7: hidden rows,
    error values, nested SUBTOTAL/AGGREGATE cells; 0 leaves out nested cells only)."""
    if len(args) < 3 or any(a.per_row for a in args):
        if len(args) >= 3:
            raise NotVectorisable("AGGREGATE per row")
        return Val(Block.errors((1, 1), E_VALUE))
    codes = []
    for a in args[:2]:
        if a.shape != (1, 1) or a.block.kind[0, 0] not in (NUM, BOOL, EMPTY):
            return Val(Block.errors((1, 1), E_VALUE))
        codes.append(int(np.trunc(a.block.num[0, 0])))
    n, option = codes
    name, flags = _AGGREGATE_FUNCTIONS.get(n), _OPTIONS.get(option)
    if name is None or flags is None:
        return Val(Block.errors((1, 1), E_VALUE))
    if n >= 14:
        if len(args) != 4:
            return Val(Block.errors((1, 1), E_VALUE))
        return call_by_name(name, [_left_out(ctx, args[2], *flags), args[3]], ctx)
    return call_by_name(name, [_left_out(ctx, a, *flags) for a in args[2:]], ctx)
