"""Calling worksheet functions by name: ILT_* from the registry, Excel's built-ins from the one
table of :mod:`ilt_xl.engine.builtins`, LAMBDAs held in names, and the `formulas` set for the rest.

Name spellings found in files are normalised first: ``_xlfn.``/``_xlws.`` prefixes, and for
custom functions ``_xludf.ILT_FX``, ``_xll.ILT_FX``, ``_xldudf_NS_ILT_FX`` and ``ILT.FX``.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ilt_xl.engine import builtins
from ilt_xl.engine.builtins.formulas_bridge import call_formulas, formulas_knows, from_result, per_row_any
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val, as_reference, evaluate, register_node
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.function_args import normalise_name, reference_like, reference_positions
from ilt_xl.engine.reference_unions import read_unions
from ilt_xl.engine.undefined_functions import undefined_function
from ilt_xl.engine.values import ERR, Block, E_NAME

def call_function(node: Node, ctx: Ctx) -> Val:
    name = normalise_name(node.value)
    fn, takes_thunks = builtins.find(name)
    # the function receives ``ctx`` (whether its result is wanted as a reference only); its
    # arguments are values, but for those it takes as references only (function_args)
    values = dataclasses.replace(ctx, ref_only=False) if ctx.ref_only else ctx
    if fn is not None and takes_thunks:
        return fn([builtins.Thunk(functools.partial(evaluate, a, values), _is_omitted(a), a) for a in node.args], values)
    positions = reference_positions(name, node.args)
    if positions:
        where = as_reference(values)
        args = [evaluate(a, where if i in positions and reference_like(a) else values) for i, a in enumerate(node.args)]
    else:
        args = [evaluate(a, values) for a in node.args]
    args = read_unions(name, args)
    if isinstance(args, Val):
        return args
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
    lam = _lambda_named(node.value, ctx)
    if lam is not None:
        return lam(args, ctx)
    if name == "INFO":
        raise EvalError(f"{name} is not supported by the headless engine (it describes Excel's own state)",
                        f"unsupported function {name}")
    if not formulas_knows(name) and _undefined(node.value, name, ctx):
        ctx.book.undefined_called = name        # recalc keeps a cell whose file holds another value
        return Val(Block.errors((1, 1), E_NAME))
    return call_formulas(name, args, ctx)


def _undefined(spelling: str, name: str, ctx: Ctx) -> bool:
    """Whether nothing defines the function ``spelling`` in this workbook (Excel's #NAME?)."""
    def defines(upper: str) -> bool:
        return (ctx.env is not None and upper in ctx.env) or ctx.book.name_definition(ctx.sheet.index, upper) is not None
    return undefined_function(spelling, name, ctx.book.model.has_macros, defines)


def _lambda_named(name: str, ctx: Ctx):
    """The LAMBDA a LET name or a defined name (``MYLAMBDA(2,1)``) holds, else None."""
    if ctx.env is not None and name.upper() in ctx.env:
        return ctx.env[name.upper()].lam
    tree = ctx.book.name_tree(name, ctx.sheet, ctx.anchor, ctx.col) if "." not in name else None
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
    in_1904 = ctx.book.model.date1904 and spec is not None
    if in_1904:
        from ilt_xl.functions.date_system import arguments_in_1900
        given = arguments_in_1900(spec, given)
    try:
        result = func(*given)
    except TypeError as exc:
        raise EvalError(f"{name}: {exc}") from exc
    if in_1904:
        from ilt_xl.functions.date_system import result_in_1904
        result = result_in_1904(spec, result)
    if per_row:
        arr = np.asarray(result, dtype=object)
        if arr.ndim == 0:
            arr = np.full(ctx.n, arr[()], dtype=object)
        return Val(Block.from_objects(arr.reshape(ctx.n, 1)), True)
    return from_result(result, False, ctx.n)


def call_with_values(name: str, args: list[Val], ctx: Ctx) -> Val:
    """Call the worksheet function ``name`` on values already evaluated (SUBTOTAL's functions)."""
    fn, takes_thunks = builtins.find(name)
    return fn(args, ctx) if fn is not None and not takes_thunks else call_formulas(name, args, ctx)


# built-ins and the evaluator reach the dispatcher through these hooks, not by importing it
builtins.set_dispatcher(call_with_values)
register_node("fn", call_function)
