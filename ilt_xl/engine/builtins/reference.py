"""References computed by formulas (OFFSET and INDIRECT), and where references are (ROW, COLUMN,
ROWS, COLUMNS).

The dependency graph cannot know which cells they read, so the area is computed first and the
formulas writing into it are evaluated on demand (``book.ensure_computed``) before it is read;
as an argument taken as a reference only (ROWS(OFFSET(..))) it is not read at all.
Both are volatile in Excel; the engine recomputes every formula on every run anyway.
"""
from __future__ import annotations

import re

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val, computed_area_value
from ilt_xl.engine.formula_tree import MAX_ROW, parse_formula
from ilt_xl.engine.legacy_intersection import intersect
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NULL, E_REF, E_VALUE
from ilt_xl.xlsx import column_letter
from ilt_xl.xlsx.cells import MAX_COLUMNS



def _whole_number(v: Val | None, default: int | None):
    """An integer argument (truncated), the default when omitted, or an error Val."""
    if v is None or (v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None):
        return default
    if v.per_row:
        raise NotVectorisable("OFFSET with per-row sizes")
    if v.shape != (1, 1):
        return Val(Block.errors((1, 1), E_VALUE))
    num, m, e = co.to_numbers(v.block)
    if m is not None:
        return Val(Block.errors((1, 1), e[0, 0]))
    return int(np.trunc(num[0, 0]))


@builtin("OFFSET")
def offset(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 3:
        return Val(Block.errors((1, 1), E_VALUE))
    base = args[0]
    if base.per_row:
        raise NotVectorisable("OFFSET of a per-row reference")
    if base.ref is None:
        return Val(Block.errors((1, 1), E_VALUE))
    sheet, r0, c0, r1, c1 = base.ref
    parts = [_whole_number(args[1], 0), _whole_number(args[2], 0),
             _whole_number(args[3] if len(args) > 3 else None, r1 - r0 + 1),
             _whole_number(args[4] if len(args) > 4 else None, c1 - c0 + 1)]
    for p in parts:
        if isinstance(p, Val):
            return p
    rows, cols, height, width = parts
    if height == 0 or width == 0:
        return Val(Block.errors((1, 1), E_REF))
    top, left = r0 + rows, c0 + cols
    # a negative height or width extends up or left from the moved corner
    nr0, nr1 = (top, top + height - 1) if height > 0 else (top + height + 1, top)
    nc0, nc1 = (left, left + width - 1) if width > 0 else (left + width + 1, left)
    return computed_area_value(ctx, sheet, nr0, nc0, nr1, nc1)


_R1C1 = re.compile(r"^R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?(?::R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?)?$", re.I)


def _r1c1_to_a1(text: str, row: int, col: int) -> str | None:
    """``R2C3``/``R[-1]C``/``R1C1:R2C2`` (relative to the formula's cell) as A1, None if not R1C1."""
    sheet, _, ref = text.rpartition("!")
    m = _R1C1.match(ref.strip())
    if not m:
        return None
    out = []
    for rs, cs in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
        if rs is None and cs is None and out:
            break
        r = row if rs is None else (row + int(rs[1:-1]) if rs.startswith("[") else int(rs))
        c = col if cs is None else (col + int(cs[1:-1]) if cs.startswith("[") else int(cs))
        if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COLUMNS):
            return "#REF!"
        out.append(f"${column_letter(c)}${r}")
    return (sheet + "!" if sheet else "") + ":".join(out)


@builtin("INDIRECT")
def indirect(args: list[Val], ctx: Ctx) -> Val:
    if not args:
        return Val(Block.errors((1, 1), E_VALUE))
    v = args[0]
    if v.per_row or v.shape != (1, 1):
        if v.per_row:
            raise NotVectorisable("INDIRECT per row")
        return Val(Block.errors((1, 1), E_VALUE))
    k = v.block.kind[0, 0]
    if k == ERR:
        return Val(Block.errors((1, 1), v.block.obj[0, 0]))
    if k not in (STR, NUM, BOOL):
        return Val(Block.errors((1, 1), E_REF))
    text = str(v.block.value(0, 0)).strip()
    a1 = True
    if len(args) > 1 and args[1].shape == (1, 1) and args[1].block.kind[0, 0] in (NUM, BOOL):
        a1 = bool(args[1].block.num[0, 0])
    if not a1:
        text = _r1c1_to_a1(text, int(ctx.rows[0]), ctx.col) or "#REF!"
    return _reference(ctx, text)


def _reference(ctx: Ctx, text: str) -> Val:
    """The area ``text`` names: an A1 reference (sheet-qualified or not), a defined name or a table
    reference; #REF! for anything else."""
    from ilt_xl.engine.structured_refs import StructuredRefError, rewrite
    if not text or text.startswith("=") or text.upper() == "#REF!":
        return Val(Block.errors((1, 1), E_REF))
    try:
        tree = parse_formula(rewrite(text, ctx.book.model.tables, ctx.sheet.name, int(ctx.rows[0]), ctx.col))
    except (StructuredRefError, Exception):        # anything unparsable is no reference
        return Val(Block.errors((1, 1), E_REF))
    if tree.kind == "name":
        tree = ctx.book.name_tree(tree.value, ctx.sheet, ctx.anchor, ctx.col)
    if tree is None or tree.kind != "ref":
        return Val(Block.errors((1, 1), E_REF))
    ref = tree.value
    try:
        sheet = ctx.book.sheet(ref.sheet, ctx.sheet)
    except EvalError:
        return Val(Block.errors((1, 1), E_REF))
    r1 = max(sheet.n_rows, 1) if ref.whole_cols else ref.r1
    return computed_area_value(ctx, sheet, ref.r0, ref.c0, r1, ref.c1)


# ---- ROW, COLUMN, ROWS, COLUMNS ----------------------------------------------------------------------

def _fn_row_col(which: str):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        if not args:
            if which == "ROW":
                if ctx.n == 1:
                    return Val(Block.numbers([[float(ctx.rows[0])]]))
                return Val(Block.numbers(ctx.rows.astype(float).reshape(-1, 1)), True)
            return Val(Block.numbers([[float(ctx.col)]]))
        a = args[0]
        if a.per_row:
            raise NotVectorisable("ROW/COLUMN of a per-row reference")
        if a.ref is None:       # an error (#NULL! of an empty intersection) passes through
            err = a.shape == (1, 1) and a.block.kind[0, 0] == ERR
            return Val(Block.errors((1, 1), a.block.obj[0, 0] if err else E_VALUE))
        _, r0, c0, r1, c1 = a.ref
        if which == "ROW":
            return Val(Block.numbers(np.arange(r0, r1 + 1, dtype=float).reshape(-1, 1)))
        return Val(Block.numbers(np.arange(c0, c1 + 1, dtype=float).reshape(1, -1)))
    return fn


def _fn_rows_cols(which: str):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        a = args[0]
        if a.per_row:
            return Val(Block.numbers([[1.0]]))
        if a.areas is not None:         # ROWS((A1:A2,C1:C2)): a union has no one size
            return Val(Block.errors((1, 1), E_REF))
        if a.ref is None and a.shape == (1, 1) and a.block.kind[0, 0] == ERR:
            return a                    # ROWS(A1:B1 C1:D1): the empty intersection's #NULL!
        return Val(Block.numbers([[float(a.shape[0] + a.tail if which == "ROWS" else a.shape[1])]]))
    return fn


for _which in ("ROW", "COLUMN"):
    builtin(_which)(_fn_row_col(_which))
for _which in ("ROWS", "COLUMNS"):
    builtin(_which)(_fn_rows_cols(_which))


# ---- AREAS -----------------------------------------------------------------------------------------------

def _areas(node, ctx: Ctx) -> list | Val:
    """The areas a reference expression stands for: a union (``(A1,B2:C3)``) lists its parts, an
    intersection (``A1:C3 B2:D4``) the non-empty overlaps of its sides' areas (#NULL! for none);
    anything else is evaluated and must be a reference (#VALUE! otherwise)."""
    from ilt_xl.engine.evaluator import evaluate
    if node.kind == "op" and node.value == ",":
        out: list = []
        for part in node.args:
            got = _areas(part, ctx)
            if isinstance(got, Val):
                return got
            out += got
        return out
    if node.kind == "op" and node.value == " ":
        left, right = (_areas(a, ctx) for a in node.args)
        for side in (left, right):
            if isinstance(side, Val):
                return side
        out = []
        for sa, *a in left:
            for sb, *b in right:
                r0, c0, r1, c1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
                if sa is sb and r0 <= r1 and c0 <= c1:
                    out.append((sa, r0, c0, r1, c1))
        return out or Val(Block.errors((1, 1), E_NULL))
    if node.kind == "name" and not (ctx.env and node.value.upper() in ctx.env):
        tree = ctx.book.name_tree(node.value, ctx.sheet, ctx.anchor, ctx.col)
        if tree is not None:
            return _areas(tree, ctx)
    v = evaluate(node, ctx)
    if v.per_row:
        raise NotVectorisable("AREAS over a run")
    if v.ref is not None:
        return [v.ref]
    k = v.block.kind
    return Val(Block.errors((1, 1), v.block.obj[0, 0] if k.shape == (1, 1) and k[0, 0] == ERR else E_VALUE))


@builtin("AREAS", lazy=True)
def areas(args: list, ctx: Ctx) -> Val:
    """AREAS(reference): how many areas the reference has."""
    if len(args) != 1 or args[0].omitted:
        return Val(Block.errors((1, 1), E_VALUE))
    got = _areas(args[0].node, ctx)
    return got if isinstance(got, Val) else Val(Block.numbers([[float(len(got))]]))


@builtin("SINGLE")
def single(args: list[Val], ctx: Ctx) -> Val:
    """``_xlfn.SINGLE(x)``: how a file stores Excel 365's ``@x`` (implicit intersection: the cell
    of a range on the formula's row or column, #VALUE! off it; an array's first element)."""
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    return intersect(args[0], ctx)
