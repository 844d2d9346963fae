"""Dynamic-array built-ins: SEQUENCE, FILTER, SORT, SORTBY, UNIQUE, and spill references
(``A1#``, stored in files as ``_xlfn.ANCHORARRAY(A1)``).

Excel saves a spilling formula as an array formula over the area it spilled into, so the
engine's array-formula store fills that area; ``A1#`` reads the area of the array formula whose
first cell is A1.
"""
from __future__ import annotations

import functools

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, computed_area_value
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_REF, E_VALUE


def _error(e=E_VALUE) -> Val:
    return Val(Block.errors((1, 1), e))


def _given(args: list[Val], i: int) -> Val | None:
    if i >= len(args):
        return None
    v = args[i]
    return None if v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None else v


def _int_arg(v: Val | None, default: float):
    """A scalar number argument (not truncated), the default when omitted, or an error Val."""
    if v is None:
        return default
    if v.per_row:
        raise NotVectorisable("a dynamic-array function with per-row arguments")
    if v.shape != (1, 1):
        return _error()
    num, m, e = co.to_numbers(v.block)
    return _error(e[0, 0]) if m is not None else float(num[0, 0])


def _fixed(args: list[Val]) -> None:
    if any(a.per_row for a in args):
        raise NotVectorisable("a dynamic-array function with per-row arguments")


@builtin("SEQUENCE")
def sequence(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    parts = [_int_arg(_given(args, 0), 1), _int_arg(_given(args, 1), 1),
             _int_arg(_given(args, 2), 1), _int_arg(_given(args, 3), 1)]
    for p in parts:
        if isinstance(p, Val):
            return p
    rows, cols, start, step = int(np.trunc(parts[0])), int(np.trunc(parts[1])), parts[2], parts[3]
    if rows < 1 or cols < 1 or rows * cols > 1048576 * 16384:
        return _error()
    return Val(Block.numbers(start + step * np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)))


_ERROR_ORDER = {"#NULL!": 1, "#DIV/0!": 2, "#VALUE!": 3, "#REF!": 4, "#NAME?": 5, "#NUM!": 6, "#N/A": 7}


def sort_key(kind: int, num: float, obj):
    """Excel's ascending order: numbers, text (case-insensitive), booleans, errors (by their
    codes' order: #NULL!, #DIV/0!, #VALUE!, #REF!, #NAME?, #NUM!, #N/A), then blanks."""
    if kind == NUM:
        return (0, num, "")
    if kind == STR:
        return (1, 0.0, str(obj).lower())
    if kind == BOOL:
        return (2, num, "")
    if kind == ERR:
        return (3, float(_ERROR_ORDER.get(str(obj), 8)), "")
    return (4, 0.0, "")


def _keys(b: Block) -> list:
    o = b.obj.ravel()
    return [sort_key(int(k), float(n), o[i]) for i, (k, n) in enumerate(zip(b.kind.ravel(), b.num.ravel()))]


def _ordered(keys: list[list], orders: list[int]) -> list[int]:
    """Positions 0..n-1 stably sorted by several key columns, each ascending (1) or descending (-1);
    blanks stay last either way."""
    def compare(i: int, j: int) -> int:
        for column, order in zip(keys, orders):
            a, b = column[i], column[j]
            if a == b:
                continue
            if a[0] == 4 or b[0] == 4:          # blanks last
                return 1 if a[0] == 4 else -1
            return (1 if a > b else -1) * order
        return 0
    return sorted(range(len(keys[0])), key=functools.cmp_to_key(compare))


def _lines(v: Val, by_col: bool) -> list[Block]:
    b = v.block
    return [b.take(slice(None), slice(j, j + 1)) for j in range(b.shape[1])] if by_col else \
        [b.take(slice(i, i + 1)) for i in range(b.shape[0])]


def _join(parts: list[Block], by_col: bool) -> Block:
    cat = np.concatenate
    axis = 1 if by_col else 0
    return Block(cat([p.kind for p in parts], axis=axis), cat([p.num for p in parts], axis=axis),
                 cat([p.obj for p in parts], axis=axis))


@builtin("SORT")
def sort(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if not args:
        return _error()
    arr = args[0]
    parts = [_int_arg(_given(args, 1), 1), _int_arg(_given(args, 2), 1), _int_arg(_given(args, 3), 0)]
    for p in parts:
        if isinstance(p, Val):
            return p
    index, order, by_col = int(np.trunc(parts[0])), int(np.trunc(parts[1])), bool(parts[2])
    lines = _lines(arr, by_col)
    width = arr.shape[0] if by_col else arr.shape[1]
    if order not in (1, -1) or not 1 <= index <= width:
        return _error()
    column = arr.block.take(slice(index - 1, index)) if by_col else arr.block.take(slice(None), slice(index - 1, index))
    ranked = _ordered([_keys(column)], [order])
    return Val(_join([lines[i] for i in ranked], by_col))


@builtin("SORTBY")
def sortby(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if len(args) < 2:
        return _error()
    arr = args[0]
    keys, orders, use_cols = [], [], None
    for i in range(1, len(args), 2):
        by = args[i]
        order = _int_arg(_given(args, i + 1), 1)
        if isinstance(order, Val):
            return order
        if by.shape[1] == 1 and by.shape[0] == arr.shape[0]:
            by_col = False
        elif by.shape[0] == 1 and by.shape[1] == arr.shape[1]:
            by_col = True
        else:
            return _error()
        if int(order) not in (1, -1) or (use_cols is not None and by_col != use_cols):
            return _error()
        use_cols = by_col
        keys.append(_keys(by.block))
        orders.append(int(order))
    lines = _lines(arr, use_cols)
    return Val(_join([lines[i] for i in _ordered(keys, orders)], use_cols))


def _line_key(b: Block) -> tuple:
    """A row (or column) as a hashable key: text case-insensitive, as UNIQUE compares."""
    out = []
    for k, n, o in zip(b.kind.ravel(), b.num.ravel(), b.obj.ravel()):
        out.append((int(k), float(n) if k in (NUM, BOOL) else 0.0,
                    str(o).lower() if k == STR else str(o) if k == ERR else ""))
    return tuple(out)


@builtin("UNIQUE")
def unique(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if not args:
        return _error()
    if any(a.shape != (1, 1) for a in args[1:]):
        # by_col/exactly_once given as arrays: Excel lifts UNIQUE over them, as the `formulas`
        # library reproduces (checked against the conformance workbooks' values)
        return call_formulas("UNIQUE", args, ctx)
    parts = [_int_arg(_given(args, 1), 0), _int_arg(_given(args, 2), 0)]
    for p in parts:
        if isinstance(p, Val):
            return p
    by_col, once = bool(parts[0]), bool(parts[1])
    lines = _lines(args[0], by_col)
    keys = [_line_key(line) for line in lines]
    counts: dict = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    seen: set = set()
    keep = []
    for i, k in enumerate(keys):
        if k in seen or (once and counts[k] > 1):
            continue
        seen.add(k)
        keep.append(i)
    if not keep:
        return _error()         # Excel's #CALC!: nothing left
    return Val(_join([lines[i] for i in keep], by_col))


@builtin("FILTER")
def filter_(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if len(args) < 2:
        return _error()
    arr, include = args[0], args[1]
    if include.shape[1] == 1 and include.shape[0] == arr.shape[0]:
        by_col = False
    elif include.shape[0] == 1 and include.shape[1] == arr.shape[1]:
        by_col = True
    else:
        return _error()
    inc = include.block
    errors = inc.kind == ERR
    if errors.any():
        return _error(inc.obj[errors][0])
    num, m, e = co.to_numbers(inc)
    if m is not None:
        return _error(e[m][0])
    chosen = np.flatnonzero(num.ravel() != 0)
    if len(chosen) == 0:
        empty = _given(args, 2)
        return empty if empty is not None else _error()     # Excel's #CALC! (empty array)
    lines = _lines(arr, by_col)
    return Val(_join([lines[i] for i in chosen], by_col))


@builtin("ANCHORARRAY")
def anchorarray(args: list[Val], ctx: Ctx) -> Val:
    """``A1#``: the area the array formula anchored at A1 spills into."""
    if not args or args[0].per_row:
        if args and args[0].per_row:
            raise NotVectorisable("a spill reference that moves with the row")
        return _error(E_REF)
    ref = args[0].ref
    if ref is None:
        return _error(E_REF)
    sheet, r0, c0, _, _ = ref
    area = _spill_areas(ctx, sheet).get((r0, c0))
    if area is None:
        return _error(E_REF)
    return computed_area_value(ctx, sheet, *area)


def _spill_areas(ctx: Ctx, sheet) -> dict:
    """(row, col) of each array formula's first cell -> its area, per sheet (memoised)."""
    from ilt_xl.engine.workbook_model import parse_area
    key = ("array areas", sheet.index)
    if key not in ctx.book.facts:
        f = sheet.formulas
        ctx.book.facts[key] = {(a[0], a[1]): a for a in (parse_area(r) for r in f.array_refs if r)}
    return ctx.book.facts[key]
