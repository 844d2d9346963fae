"""Worksheet functions: ILT_* from the registry, vectorised built-ins, and the `formulas` set.

Name spellings found in files are normalised first: ``_xlfn.``/``_xlws.`` prefixes, and for
custom functions ``_xludf.ILT_FX``, ``_xll.ILT_FX``, ``_xldudf_NS_ILT_FX`` and ``ILT.FX``.
"""
from __future__ import annotations

import functools
import re

import numpy as np

from ilt_xl.engine import builtins
from ilt_xl.engine import coercion as co
from ilt_xl.engine import lookups
from ilt_xl.engine.builtins.formulas_bridge import call_formulas, from_result, per_row_any
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val, evaluate, register_node
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NA, E_VALUE

_PREFIX = re.compile(r"^(?:_XLFN\.|_XLWS\.|_XLUDF\.|_XLL\.)+")
_XLDUDF = re.compile(r"^_XLDUDF_[A-Z0-9]+_(ILT_[A-Z0-9_]+)$")


def normalise_name(name: str) -> str:
    """``_xludf.ILT_FX`` / ``_xll.ILT_FX`` / ``_xldudf_NS_ILT_FX`` / ``ILT.FX`` / ``_xlfn.XLOOKUP`` -> bare name."""
    up = _PREFIX.sub("", name.upper())
    m = _XLDUDF.match(up)
    if m:
        return m.group(1)
    if up.startswith("ILT.") and up.count(".") == 1:
        return "ILT_" + up[4:]
    return up


def call_function(node: Node, ctx: Ctx) -> Val:
    name = normalise_name(node.value)
    fn, takes_thunks = builtins.find(name)
    if fn is not None and takes_thunks:
        return fn([builtins.Thunk(functools.partial(evaluate, a, ctx), _is_omitted(a), a) for a in node.args], ctx)
    args = [evaluate(a, ctx) for a in node.args]
    if ctx.book.model.date1904:
        from ilt_xl.engine.date_system import call_in_1904
        return call_in_1904(name, args, ctx, lambda moved: _call_evaluated(node, name, fn, moved, ctx))
    return _call_evaluated(node, name, fn, args, ctx)


def _call_evaluated(node: Node, name: str, fn, args: list[Val], ctx: Ctx) -> Val:
    """A function whose arguments are evaluated already: an ILT_* function, a built-in, or the
    `formulas` library's."""
    if name in ctx.book.registry:
        return _call_ilt(name, args, ctx)
    if fn is not None:
        return fn(args, ctx)
    vec = _VECTORISED.get(name)
    if vec is not None:
        return vec(args, ctx)
    lam = _lambda_named(node.value, ctx)
    if lam is not None:
        return lam(args, ctx)
    if name in ("CELL", "INFO"):
        raise EvalError(f"{name} is not supported by the headless engine (it describes Excel's own state)",
                        f"unsupported function {name}")
    return call_formulas(name, args, ctx)


def _lambda_named(name: str, ctx: Ctx):
    """The LAMBDA a LET name or a defined name (``MYLAMBDA(2,1)``) holds, else None."""
    if ctx.env is not None and name.upper() in ctx.env:
        return ctx.env[name.upper()].lam
    tree = ctx.book.name_tree(name, ctx.sheet) if "." not in name else None
    if tree is None or tree.kind != "fn" or normalise_name(tree.value) != "LAMBDA":
        return None
    return evaluate(tree, ctx).lam


# ---- helpers -----------------------------------------------------------------------------------------

def _is_omitted(node: Node) -> bool:
    return node.kind == "empty"


def _registry_values(b: Block) -> np.ndarray:
    """Block values as the registry expects them: Python objects, errors as Excel error strings."""
    out = b.objects()
    err = b.kind == ERR
    if err.any():
        out[err] = [str(e) for e in b.obj[err]]
    return out


def _call_ilt(name: str, args: list[Val], ctx: Ctx) -> Val:
    func, spec = ctx.book.registry[name]
    per_row = per_row_any(args)
    spills = bool(getattr(spec, "spills", False))
    if per_row and spills:
        raise NotVectorisable("a spilling function with per-row arguments")
    given = []
    for a in args:
        value = _registry_values(a.block)
        if a.per_row:
            given.append(value.reshape(-1))
        elif a.block.shape == (1, 1) and a.ref is None:
            given.append(value[0, 0])
        else:
            given.append(value)
    try:
        result = func(*given)
    except TypeError as exc:
        raise EvalError(f"{name}: {exc}") from exc
    if per_row:
        arr = np.asarray(result, dtype=object)
        if arr.ndim == 0:
            arr = np.full(ctx.n, arr[()], dtype=object)
        return Val(Block.from_objects(arr.reshape(ctx.n, 1)), True)
    return from_result(result, False, ctx.n)


# ---- vectorised built-ins -------------------------------------------------------------------------------

def _type_test(pred):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        v = args[0]
        res = pred(v.block)
        return Val(Block(np.full(res.shape, BOOL, np.int8), res.astype(float)), v.per_row)
    return fn


def _is_na(b: Block) -> np.ndarray:
    out = np.zeros(b.shape, bool)
    for idx in zip(*np.nonzero(b.kind == ERR)):
        out[idx] = str(b.obj[idx]) == "#N/A"
    return out


def _aggregate(kind: str):
    """SUM/MIN/MAX/AVERAGE/PRODUCT: references and arrays count numbers only; typed values are coerced."""
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
                x = np.where(ok, b.num, 0.0)
                s, c, lo, hi, p = x, ok, np.where(ok, b.num, np.inf), np.where(ok, b.num, -np.inf), np.where(ok, b.num, 1.0)
                errs.append((b.kind == ERR, b.obj))
            elif a.ref is not None or b.shape != (1, 1):
                ok = b.kind == NUM
                v = b.num[ok]
                s, c = v.sum(), float(len(v))
                lo, hi, p = (v.min() if len(v) else np.inf), (v.max() if len(v) else -np.inf), v.prod()
                e = b.kind == ERR
                if e.any():
                    errs.append((np.ones((n, 1), bool), np.full((n, 1), b.obj[e][0], dtype=object)))
            else:
                num, m, e = co.to_numbers(b)
                x = float(num[0, 0])
                s, c, lo, hi, p = x, 1.0, x, x, x
                if m is not None:
                    errs.append((np.broadcast_to(m, (n, 1)), np.broadcast_to(e, (n, 1))))
            total, count = total + s, count + c
            low, high, prod = np.minimum(low, lo), np.maximum(high, hi), prod * p
        extra = []
        if kind == "SUM":
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


def _unary_numeric(f):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        v = args[0]
        num, m, e = co.to_numbers(v.block)
        with np.errstate(all="ignore"):
            out = f(num)
        return Val(co.number_block(out, (m, e)), v.per_row)
    return fn


def _binary_numeric(f, default_second=0.0):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        a = args[0]
        b = args[1] if len(args) > 1 else Val(Block.numbers([[default_second]]))
        if b.block.shape == (1, 1) and b.block.kind[0, 0] == EMPTY:
            b = Val(Block.numbers([[default_second]]))
        from ilt_xl.engine.evaluator import broadcast_pair
        per_row = broadcast_pair(a, b)
        na, ma, ea = co.to_numbers(a.block)
        nb, mb, eb = co.to_numbers(b.block)
        with np.errstate(all="ignore"):
            out = f(na, nb)
        return Val(co.number_block(out, (ma, ea), (mb, eb)), per_row)
    return fn


def _mod(a, b):
    return np.where(b == 0, np.nan, a - b * np.floor(a / np.where(b == 0, 1, b)))


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
        if a.ref is None and a.shape == (1, 1) and a.block.kind[0, 0] == ERR:
            return a                    # ROWS(A1:B1 C1:D1): the empty intersection's #NULL!
        return Val(Block.numbers([[float(a.shape[0] + a.tail if which == "ROWS" else a.shape[1])]]))
    return fn


def _fn_n(args: list[Val], ctx: Ctx) -> Val:
    b = args[0].block
    if args[0].ref is not None and b.shape != (1, 1):
        b = b.take(slice(0, 1), slice(0, 1))        # N of an area reads its first cell
    num = np.where((b.kind == NUM) | (b.kind == BOOL), b.num, 0.0)
    err = b.kind == ERR
    return Val(co.number_block(num, (err, b.obj) if err.any() else (None, None)), args[0].per_row)


def _fn_trim(args: list[Val], ctx: Ctx) -> Val:
    texts, m, e = co.to_texts(args[0].block)
    out = np.empty(texts.shape, dtype=object)
    for idx in np.ndindex(texts.shape):
        out[idx] = " ".join(part for part in texts[idx].split(" ") if part)
    blk = Block(np.full(texts.shape, STR, np.int8), np.zeros(texts.shape), out)
    if m is not None:
        blk.kind[m], blk.obj[m] = ERR, e[m]
    return Val(blk, args[0].per_row)


def call_with_values(name: str, args: list[Val], ctx: Ctx) -> Val:
    """Call the worksheet function ``name`` on values already evaluated (SUBTOTAL's functions)."""
    fn, takes_thunks = builtins.find(name)
    if fn is not None and not takes_thunks:
        return fn(args, ctx)
    vec = _VECTORISED.get(name)
    return vec(args, ctx) if vec is not None else call_formulas(name, args, ctx)


# built-ins and the evaluator reach the dispatcher through these hooks, not by importing it
builtins.set_dispatcher(call_with_values)
register_node("fn", call_function)


_VECTORISED = {
    "TRIM": _fn_trim,
    "N": _fn_n,
    "T": lambda args, ctx: Val(Block(np.where(args[0].block.kind == ERR, ERR, STR).astype(np.int8),
                                     np.zeros(args[0].shape),
                                     np.where(np.isin(args[0].block.kind, (STR, ERR)), args[0].block.obj, "")),
                               args[0].per_row),
    "NA": lambda args, ctx: Val(Block.errors((1, 1), E_NA)),
    "ISERROR": _type_test(lambda b: b.kind == ERR),
    "ISERR": _type_test(lambda b: (b.kind == ERR) & ~_is_na(b)),
    "ISNA": _type_test(_is_na),
    "ISBLANK": _type_test(lambda b: b.kind == EMPTY),
    "ISNUMBER": _type_test(lambda b: b.kind == NUM),
    "ISTEXT": _type_test(lambda b: b.kind == STR),
    "ISNONTEXT": _type_test(lambda b: b.kind != STR),
    "ISLOGICAL": _type_test(lambda b: b.kind == BOOL),
    "SUM": _aggregate("SUM"),
    "MIN": _aggregate("MIN"),
    "MAX": _aggregate("MAX"),
    "AVERAGE": _aggregate("AVERAGE"),
    "PRODUCT": _aggregate("PRODUCT"),
    "INT": _unary_numeric(np.floor),
    "ABS": _unary_numeric(np.abs),
    "MOD": _binary_numeric(_mod),
    "TODAY": lambda args, ctx: Val(Block.numbers([[ctx.book.today]])),
    "NOW": lambda args, ctx: Val(Block.numbers([[ctx.book.now]])),
    "ROW": _fn_row_col("ROW"),
    "COLUMN": _fn_row_col("COLUMN"),
    "ROWS": _fn_rows_cols("ROWS"),
    "COLUMNS": _fn_rows_cols("COLUMNS"),
    **lookups.VECTORISED,
}
