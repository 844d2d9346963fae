"""Information built-ins: what a value is (ISNUMBER, ISTEXT, ISBLANK, ISERROR ... N, NA), and about
the workbook itself (ISFORMULA, SHEET, SHEETS)."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.builtins import Thunk, builtin
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, pad_to
from ilt_xl.engine import coercion as co
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, E_NA, E_VALUE, STR, Block


def _formula_mask(ctx: Ctx, sheet, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
    """Which cells of an area hold a formula (array formula areas included)."""
    from ilt_xl.engine.workbook_model import parse_area
    out = np.zeros((r1 - r0 + 1, c1 - c0 + 1), bool)
    f = sheet.formulas
    for r, c, area in zip(f.rows.tolist(), f.cols.tolist(), f.array_refs):
        a = parse_area(area) if area else (r, c, r, c)
        rr0, cc0, rr1, cc1 = max(a[0], r0), max(a[1], c0), min(a[2], r1), min(a[3], c1)
        if rr0 <= rr1 and cc0 <= cc1:
            out[rr0 - r0:rr1 - r0 + 1, cc0 - c0:cc1 - c0 + 1] = True
    return out


def _booleans(mask: np.ndarray) -> Block:
    return Block(np.full(mask.shape, BOOL, np.int8), mask.astype(np.float64))


@builtin("ISFORMULA")
def isformula(args: list[Val], ctx: Ctx) -> Val:
    v = args[0]
    if v.per_row:
        raise NotVectorisable("ISFORMULA of a cell that moves with the row")
    if v.ref is None:
        return Val(Block.errors((1, 1), E_VALUE))
    return Val(_booleans(_formula_mask(ctx, *v.ref)), origin=v.ref)


def _sheet_number(ctx: Ctx, sheet) -> float:
    return float(ctx.book.model.sheets.index(sheet) + 1)


@builtin("SHEET")
def sheet(args: list[Val], ctx: Ctx) -> Val:
    if not args:
        return Val(Block.numbers([[_sheet_number(ctx, ctx.sheet)]]))
    v = args[0]
    if v.ref is not None:
        return Val(Block.numbers([[_sheet_number(ctx, v.ref[0])]]))
    if v.shape == (1, 1) and v.block.kind[0, 0] == STR:
        found = ctx.book.sheets.get(str(v.block.obj[0, 0]).lower())
        return Val(Block.numbers([[_sheet_number(ctx, found)]]) if found is not None else Block.errors((1, 1), E_NA))
    return Val(Block.errors((1, 1), E_VALUE))


@builtin("ISREF", lazy=True)
def isref(args: list[Thunk], ctx: Ctx) -> Val:
    """TRUE for a reference (a cell, an area, a name or function giving one), else FALSE."""
    if len(args) != 1 or args[0].omitted:
        return Val(Block.errors((1, 1), E_VALUE))
    node = args[0].node
    if node.kind == "ref":
        return Val(_booleans(np.ones((1, 1), bool)))
    if node.kind not in ("name", "fn", "op"):
        return Val(_booleans(np.zeros((1, 1), bool)))
    v = args[0]()
    return Val(_booleans(np.full((1, 1), v.ref is not None or v.cells is not None)))


@builtin("SHEETS")
def sheets(args: list[Val], ctx: Ctx) -> Val:
    if not args:
        return Val(Block.numbers([[float(len(ctx.book.model.sheets))]]))
    return Val(Block.numbers([[1.0]]) if args[0].ref is not None else Block.errors((1, 1), E_VALUE))


def _type_test(pred):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        v = args[0]
        if ctx.area is not None and not v.per_row:
            # in an array formula Excel tests each cell of the area: beyond a smaller array the
            # element is #N/A, so {=ISNA(A1:A2)} over three cells ends with TRUE, not #N/A
            v = pad_to(v, ctx.area)
        res = pred(v.block)
        return Val(Block(np.full(res.shape, BOOL, np.int8), res.astype(float)), v.per_row)
    return fn


def _is_na(b: Block) -> np.ndarray:
    out = np.zeros(b.shape, bool)
    for idx in zip(*np.nonzero(b.kind == ERR)):
        out[idx] = str(b.obj[idx]) == "#N/A"
    return out


for _name, _test in (("ISERROR", lambda b: b.kind == ERR), ("ISERR", lambda b: (b.kind == ERR) & ~_is_na(b)),
                     ("ISNA", _is_na), ("ISBLANK", lambda b: b.kind == EMPTY), ("ISNUMBER", lambda b: b.kind == NUM),
                     ("ISTEXT", lambda b: b.kind == STR), ("ISNONTEXT", lambda b: b.kind != STR),
                     ("ISLOGICAL", lambda b: b.kind == BOOL)):
    builtin(_name)(_type_test(_test))


@builtin("N")
def n(args: list[Val], ctx: Ctx) -> Val:
    b = args[0].block
    if args[0].ref is not None and b.shape != (1, 1):
        b = b.take(slice(0, 1), slice(0, 1))        # N of an area reads its first cell
    num = np.where((b.kind == NUM) | (b.kind == BOOL), b.num, 0.0)
    err = b.kind == ERR
    return Val(co.number_block(num, (err, b.obj) if err.any() else (None, None)), args[0].per_row)


@builtin("NA")
def na(args: list[Val], ctx: Ctx) -> Val:
    return Val(Block.errors((1, 1), E_NA))
