"""Information built-ins: what a value is (ISNUMBER, ISTEXT, ISBLANK, ISERROR ... N, NA), and about
the workbook itself (ISFORMULA, SHEET, SHEETS, CELL)."""
from __future__ import annotations

import re

import numpy as np

from ilt_xl.engine.builtins import Thunk, builtin
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val, as_reference, evaluate, pad_to
from ilt_xl.engine import coercion as co
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, E_NA, E_VALUE, STR, Block
from ilt_xl.xlsx import column_letter


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


_FUTURE_PREFIX = re.compile(r"_xl(?:fn|ws|pm|udf)\.", re.I)


def _formula_texts(ctx: Ctx, sheet) -> dict[tuple[int, int], str]:
    """(row, col) -> the formula of each formula cell of a sheet as Excel shows it: with its "=",
    without the file's prefixes of newer functions (_xlfn., _xlws., _xlpm.); every cell of an
    array formula's area shows the area's formula. Built once per sheet and run."""
    key = ("formula texts", sheet.name)
    found = ctx.book.facts.get(key)
    if found is None:
        from ilt_xl.engine.workbook_model import parse_area
        found = {}
        f = sheet.formulas
        for r, c, text, area in zip(f.rows.tolist(), f.cols.tolist(), f.texts, f.array_refs):
            if not text:
                continue
            shown = "=" + _FUTURE_PREFIX.sub("", text)
            r0, c0, r1, c1 = parse_area(area) if area else (r, c, r, c)
            for rr in range(r0, r1 + 1):
                for cc in range(c0, c1 + 1):
                    found[(rr, cc)] = shown
        ctx.book.facts[key] = found
    return found


@builtin("FORMULATEXT")
def formulatext(args: list[Val], ctx: Ctx) -> Val:
    """FORMULATEXT(reference): the formula of the reference's first cell as text; #N/A when that
    cell holds no formula, #VALUE! when the argument is no reference."""
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    v = args[0]
    if v.per_row:
        raise NotVectorisable("FORMULATEXT of a cell that moves with the row")
    if v.ref is None:
        return Val(Block.errors((1, 1), E_NA if v.block.kind[0, 0] == ERR else E_VALUE))
    sheet, r0, c0 = v.ref[:3]
    text = _formula_texts(ctx, sheet).get((r0, c0))
    return Val(Block.scalar(text) if text is not None else Block.errors((1, 1), E_NA))


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
    if v.shape == (1, 1) and v.block.kind[0, 0] == ERR:     # SHEET(1/0), SHEET(an undefined name)
        return v
    return Val(Block.errors((1, 1), E_NA))                  # SHEET(1): no sheet is called 1


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
    # as a reference only: ISREF(OFFSET(A1,6,5)) in F7 reads no cell, so it is no circular reference
    v = evaluate(node, as_reference(ctx))
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


_TYPE_OF_KIND = {NUM: 1.0, EMPTY: 1.0, STR: 2.0, BOOL: 4.0, ERR: 16.0}


@builtin("TYPE")
def type_(args: list[Val], ctx: Ctx) -> Val:
    """TYPE(value): 1 number (or blank), 2 text, 4 logical, 16 error, 64 array (or an area of
    several cells), 128 a LAMBDA."""
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    v = args[0]
    if v.lam is not None:
        return Val(Block.numbers([[128.0]]))
    if not v.per_row and v.shape != (1, 1):
        return Val(Block.numbers([[64.0]]))
    codes = np.vectorize(_TYPE_OF_KIND.get, otypes=[float])(v.block.kind)
    return Val(Block.numbers(codes), v.per_row)


@builtin("NA")
def na(args: list[Val], ctx: Ctx) -> Val:
    return Val(Block.errors((1, 1), E_NA))


# CELL's info types that describe the cell itself; the others (format, width, color, protect,
# prefix, parentheses, filename) describe Excel's state and keep the cached value
_CELL_TYPES = ("address", "col", "row", "contents", "type")


@builtin("CELL")
def cell(args: list[Val], ctx: Ctx) -> Val:
    """CELL(info_type, reference) for address, col, row, contents and type, of the reference's
    first cell. Without a reference Excel reads the cell last changed, which a file does not say."""
    if not args or len(args) > 2:
        return Val(Block.errors((1, 1), E_VALUE))
    info = args[0].block
    if info.shape != (1, 1) or info.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), info.obj[0, 0] if info.kind[0, 0] == ERR else E_VALUE))
    kind = str(info.obj[0, 0]).strip().lower() if info.kind[0, 0] == STR else None
    if kind is None:
        return Val(Block.errors((1, 1), E_VALUE))
    if kind not in _CELL_TYPES or len(args) < 2:
        raise EvalError(f"CELL({kind!r}) is not supported: it describes Excel's own state, not the workbook",
                        "unsupported function CELL")
    target = args[1]
    if target.per_row:
        raise NotVectorisable("CELL of a cell that moves with the row")
    if target.ref is None:
        return Val(Block.errors((1, 1), E_VALUE))
    sheet, r0, c0, _, _ = target.ref
    first = target.block.take(slice(0, 1), slice(0, 1))
    if kind == "address":
        if sheet is not ctx.sheet:     # Excel adds the workbook's file name: not in the file
            raise EvalError("CELL('address') of another sheet is not supported: it names the workbook file",
                            "unsupported function CELL")
        return Val(Block.scalar(f"${column_letter(c0)}${r0}"))
    if kind in ("col", "row"):
        return Val(Block.numbers([[float(c0 if kind == "col" else r0)]]))
    if kind == "type":
        k = first.kind[0, 0]
        return Val(Block.scalar("b" if k == EMPTY else "l" if k == STR else "v"))
    if first.kind[0, 0] == EMPTY:       # cached (IronCalc INFORMATION_CELL.xlsx): a blank cell's contents are 0
        return Val(Block.numbers([[0.0]]))
    return Val(first)
