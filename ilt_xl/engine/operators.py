"""Excel operators over :class:`~ilt_xl.engine.evaluator.Val` blocks: arithmetic, comparison,
concatenation, unary signs, percent, and the range operator between references."""
from __future__ import annotations

import dataclasses

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.evaluator import (Ctx, EvalError, NotVectorisable, Val, area_value, as_reference, broadcast_pair,
                                     computed_area_value, evaluate, lined_up_area, pad_together,
                                     register_node)
from ilt_xl.engine.function_args import reference_like
from ilt_xl.engine.legacy_intersection import intersect
from ilt_xl.engine.memo import memoised
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.values import BOOL, ERR, STR, Block, E_DIV0, E_NULL, E_NUM, E_VALUE

_ARITH = {"+", "-", "*", "/", "^"}
_COMPARE = {"=": lambda s: s == 0, "<>": lambda s: s != 0, "<": lambda s: s < 0,
            "<=": lambda s: s <= 0, ">": lambda s: s > 0, ">=": lambda s: s >= 0}


def apply_operator(node: Node, ctx: Ctx) -> Val:
    op = node.value
    if op == ":":
        return _range_op(node, ctx)
    if op == " ":
        return _intersection(node, ctx)
    if op == ",":
        return _union(node, ctx)
    if ctx.ref_only:        # an operator giving a value reads its operands' values
        ctx = dataclasses.replace(ctx, ref_only=False)
    args = [evaluate(a, ctx) for a in node.args]
    if op in ("u-", "u--", "u+", "%"):
        a = args[0]
        if op == "u+":          # unary plus changes nothing, not even text
            return a
        num, m, e = co.to_numbers(a.block)
        out = -num if op == "u-" else num / 100.0 if op == "%" else num
        return Val(co.number_block(out, (m, e)), a.per_row, origin=a.ref if a.ref is not None else a.origin)
    if op == "@":
        return intersect(args[0], ctx)
    a, b = pad_together(*args)
    per_row = broadcast_pair(a, b)
    if op in _ARITH:
        na, ma, ea = co.to_numbers(a.block)
        nb, mb, eb = co.to_numbers(b.block)
        with np.errstate(all="ignore"):
            if op == "+":
                out = na + nb
            elif op == "-":
                out = na - nb
            elif op == "*":
                out = na * nb
            elif op == "/":
                out = na / np.where(nb == 0, 1.0, nb)
                zero = np.broadcast_to(nb == 0, out.shape)
                return Val(co.number_block(out, (ma, ea), (mb, eb), (zero, _fill(out.shape, E_DIV0))), per_row, origin=lined_up_area(out.shape, a, b))
            else:
                out = np.power(na, nb)
                bad = ~np.isfinite(out)
                zero = np.broadcast_to((na == 0) & (nb < 0), out.shape)
                return Val(co.number_block(np.where(bad, 0.0, out), (ma, ea), (mb, eb),
                                           (zero, _fill(out.shape, E_DIV0)), (bad, _fill(out.shape, E_NUM))), per_row, origin=lined_up_area(out.shape, a, b))
        return Val(co.number_block(out, (ma, ea), (mb, eb)), per_row, origin=lined_up_area(out.shape, a, b))
    if op in _COMPARE:
        sign, shape = _signs(ctx, a, b)
        res = _COMPARE[op](sign)
        out = Block(np.full(shape, BOOL, np.int8), res.astype(np.float64), np.empty(shape, object))
        merged = co.first_errors(co.error_parts(a.block), co.error_parts(b.block))
        if merged is not None:
            m, e = merged
            m, e = np.broadcast_to(m, shape), np.broadcast_to(e, shape)
            out.kind[m], out.obj[m] = ERR, e[m]
        return Val(out, per_row, origin=lined_up_area(out.shape, a, b))
    if op == "&":
        ta, ma, ea = co.to_texts(a.block)
        tb, mb, eb = co.to_texts(b.block)
        ta, tb = np.broadcast_arrays(ta, tb)
        out_obj = np.add(ta, tb, dtype=object)       # str + str for each element, looped in C
        out = Block(np.full(ta.shape, STR, np.int8), np.zeros(ta.shape), out_obj)
        merged = co.first_errors((ma, ea), (mb, eb))
        if merged is not None:
            m, e = merged
            m, e = np.broadcast_to(m, ta.shape), np.broadcast_to(e, ta.shape)
            out.kind[m], out.obj[m] = ERR, e[m]
        return Val(out, per_row, origin=lined_up_area(out.shape, a, b))
    raise EvalError(f"operator {op!r} is not supported")


def _signs(ctx: Ctx, a: Val, b: Val) -> tuple[np.ndarray, tuple]:
    """:func:`~ilt_xl.engine.coercion.compare_blocks` of ``a`` and ``b``. A column compared with one
    text is memoised on the column's cells: every calculated column of a table may start with
    ``IF([@Id]="", "", ...)``, and several ask ``[@Status]="Cancelled"`` of the same rows."""
    if b.per_row or b.shape != (1, 1) or b.block.kind[0, 0] != STR or a.identity is None:
        return co.compare_blocks(a.block, b.block)
    text = b.block.obj[0, 0].lower()        # the comparison reads the text in lower case only
    return memoised(ctx, ("compared with a text", text), (a,), lambda: co.compare_blocks(a.block, b.block))


def _fill(shape, err) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out[...] = err
    return out


def _two_refs(node: Node, ctx: Ctx):
    """The areas of a range operator's operands (references only: their cells are not read), or
    the error Val to return."""
    where = as_reference(ctx)
    a, b = (evaluate(x, where if reference_like(x) else ctx) for x in node.args)
    if a.per_row or b.per_row:
        raise NotVectorisable("a reference operator over a run")
    for v in (a, b):
        if v.ref is None:
            k = v.block.kind
            return Val(Block.errors((1, 1), v.block.obj[0, 0] if k.shape == (1, 1) and k[0, 0] == ERR else E_VALUE))
    if a.ref[0] is not b.ref[0]:
        return Val(Block.errors((1, 1), E_VALUE))
    return a.ref, b.ref


def _range_op(node: Node, ctx: Ctx) -> Val:
    """``A1:B2`` between references: the smallest area holding both (``A1:INDEX(A:A,n)`` is
    built when the formula runs: what it reads is computed first)."""
    refs = _two_refs(node, ctx)
    if isinstance(refs, Val):
        return refs
    (sheet, *a), (_, *b) = refs
    r0, c0 = min(a[0], b[0]), min(a[1], b[1])
    r1, c1 = max(a[2], b[2]), max(a[3], b[3])
    return computed_area_value(ctx, sheet, r0, c0, r1, c1)


def _union(node: Node, ctx: Ctx) -> Val:
    """``(A1:A2,C1:C2)``: a reference of several areas. Its value in a cell is #VALUE!; the functions
    that take references (SUM, COUNT, INDEX, LARGE ...) read its areas (see reference_unions)."""
    parts: list[Val] = []
    for x in node.args:
        v = evaluate(x, ctx)
        if v.per_row:
            raise NotVectorisable("a reference union over a run")
        if v.areas is not None:
            parts += v.areas
        elif v.ref is not None:
            parts.append(v)
        else:       # a union of something that is not a reference: that value's error, else #VALUE!
            k = v.block.kind
            return Val(Block.errors((1, 1), v.block.obj[0, 0] if k.shape == (1, 1) and k[0, 0] == ERR else E_VALUE))
    return Val(Block.errors((1, 1), E_VALUE), areas=tuple(parts))


def _intersection(node: Node, ctx: Ctx) -> Val:
    """``B2:E5 C3:D4`` (a space): the cells both areas hold; #NULL! when none. A union on either
    side intersects area by area (``E3:G4 (B2:E5,G2:H5)`` is ``(E3:E4,G3:G4)``)."""
    a, b = (evaluate(x, ctx) for x in node.args)
    if a.per_row or b.per_row:
        raise NotVectorisable("a reference operator over a run")
    sides = []
    for v in (a, b):
        if v.areas is None and v.ref is None:
            k = v.block.kind
            return Val(Block.errors((1, 1), v.block.obj[0, 0] if k.shape == (1, 1) and k[0, 0] == ERR else E_VALUE))
        sides.append([x.ref for x in v.areas] if v.areas is not None else [v.ref])
    parts = []
    for sa, *p in sides[0]:
        for sb, *q in sides[1]:
            if sa is not sb:
                return Val(Block.errors((1, 1), E_VALUE))
            r0, c0, r1, c1 = max(p[0], q[0]), max(p[1], q[1]), min(p[2], q[2]), min(p[3], q[3])
            if r0 <= r1 and c0 <= c1:
                parts.append(area_value(ctx, sa, r0, c0, r1, c1))
    if not parts:
        return Val(Block.errors((1, 1), E_NULL))
    return parts[0] if len(parts) == 1 else Val(Block.errors((1, 1), E_VALUE), areas=tuple(parts))


register_node("op", apply_operator)        # the evaluator reaches operators through this hook
