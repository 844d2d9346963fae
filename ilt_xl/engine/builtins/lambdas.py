"""LET, LAMBDA and the functions that call lambdas: MAP, BYROW, BYCOL, SCAN, REDUCE, MAKEARRAY.

A LAMBDA is a value (:attr:`Val.lam`) holding its parameters, body and the names in scope where
it was written; calling it evaluates the body with the parameters bound. LET binds its names in
order, each value seeing the names before it. ``_xleta.SUM`` (an eta lambda, Excel's shorthand
for ``LAMBDA(x, SUM(x))``) calls the built-in with the lambda's arguments.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ilt_xl.engine.builtins import Thunk, builtin, call_by_name
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.builtins._values import _omitted
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, evaluate
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.values import BOOL, ERR, NUM, STR, Block, E_VALUE


def _value_error() -> Val:
    return Val(Block.errors((1, 1), E_VALUE))


# an optional parameter (``[b]`` in Excel's formula bar) is stored ``_xlop.b`` where it is
# declared and read ``_xlpm.b`` in the body
_OPTIONAL, _PARAMETER = "_XLOP.", "_XLPM."


class Lambda:
    """A LAMBDA's parameters (upper case), body and the LET/LAMBDA names it was written among.
    A call may leave out its optional parameters (the last ones): they are then omitted
    arguments, as ``f(1,)`` leaves one out, which ISOMITTED tells."""

    def __init__(self, params: list[str], body, env: dict | None):
        self.required = sum(not p.startswith(_OPTIONAL) for p in params)
        self.params = [_PARAMETER + p[len(_OPTIONAL):] if p.startswith(_OPTIONAL) else p for p in params]
        self.body, self.env = body, env

    def __call__(self, args: list[Val], ctx: Ctx) -> Val:
        if not self.required <= len(args) <= len(self.params):
            return _value_error()
        env = dict(self.env or {})
        env.update(zip(self.params, args))
        env.update((p, evaluate(Node("empty"), ctx)) for p in self.params[len(args):])
        return evaluate(self.body, dataclasses.replace(ctx, env=env))


class Eta:
    """``_xleta.NAME``: the built-in NAME as a lambda."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, args: list[Val], ctx: Ctx) -> Val:
        return call_by_name(self.name, args, ctx)


def _as_lambda(lam) -> Val:
    return Val(Block.errors((1, 1), E_VALUE), lam=lam)


@builtin("ETA")
def eta(args: list[Val], ctx: Ctx) -> Val:
    """``_xleta.SUM`` (read as ``ETA("SUM")``): the built-in as a lambda."""
    if len(args) != 1 or args[0].block.kind[0, 0] != STR:
        return _value_error()
    return _as_lambda(Eta(str(args[0].block.obj[0, 0]).upper()))


@builtin("LAMBDA", lazy=True)
def lambda_(args: list[Thunk], ctx: Ctx) -> Val:
    if not args or any(a.node.kind != "name" for a in args[:-1]):
        return _value_error()
    return _as_lambda(Lambda([a.node.value.upper() for a in args[:-1]], args[-1].node, ctx.env))


@builtin("ISOMITTED")
def isomitted(args: list[Val], ctx: Ctx) -> Val:
    """ISOMITTED(argument): whether a LAMBDA's parameter was left out of the call."""
    if len(args) != 1:
        return _value_error()
    return Val(Block(np.full((1, 1), BOOL, np.int8), np.full((1, 1), float(_omitted(args[0])))))


@builtin("LAMBDACALL")
def lambda_call(args: list[Val], ctx: Ctx) -> Val:
    """``LAMBDA(x, x+1)(2)``: the lambda called in place."""
    if not args or args[0].lam is None:
        return _value_error()
    return args[0].lam(args[1:], ctx)


@builtin("LET", lazy=True)
def let(args: list[Thunk], ctx: Ctx) -> Val:
    if len(args) < 3 or len(args) % 2 == 0 or any(a.node.kind != "name" for a in args[:-1:2]):
        return _value_error()
    env = dict(ctx.env or {})
    scoped = dataclasses.replace(ctx, env=env)
    for name, value in zip(args[:-1:2], args[1:-1:2]):
        env[name.node.value.upper()] = evaluate(value.node, scoped)
    return evaluate(args[-1].node, scoped)


# ---- functions taking lambdas ----------------------------------------------------------------------------

def _lambda_arg(v: Val):
    return v.lam


def _element(b: Block, i: int, j: int) -> Val:
    return Val(b.take(slice(i, i + 1), slice(j, j + 1)))


def _scalar_result(v: Val):
    """A lambda's result as one element (an array result is #VALUE!: Excel's #CALC!)."""
    if v.lam is not None or v.shape != (1, 1):
        return E_VALUE
    return v.block.value(0, 0)


def _fixed(args: list[Val]) -> None:
    if any(a.per_row for a in args):
        raise NotVectorisable("a lambda helper over per-row values")


@builtin("MAP")
def map_(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if len(args) < 2 or args[-1].lam is None:
        return _value_error()
    arrays, lam = args[:-1], args[-1].lam
    shape = np.broadcast_shapes(*[a.shape for a in arrays]) if len({a.shape for a in arrays}) <= 1 else None
    if shape is None:
        return _value_error()
    out = np.empty(shape, dtype=object)
    for i, j in np.ndindex(shape):
        out[i, j] = _scalar_result(lam([_element(a.block, i, j) for a in arrays], ctx))
    return Val(Block.from_objects(out))


def _by(args: list[Val], ctx: Ctx, rows: bool) -> Val:
    _fixed(args)
    if len(args) != 2 or args[1].lam is None:
        return _value_error()
    a, lam = args[0], args[1].lam
    n = a.shape[0] if rows else a.shape[1]
    out = np.empty((n, 1) if rows else (1, n), dtype=object)
    for k in range(n):
        part = a.block.take(slice(k, k + 1)) if rows else a.block.take(slice(None), slice(k, k + 1))
        out[(k, 0) if rows else (0, k)] = _scalar_result(lam([Val(part)], ctx))
    return Val(Block.from_objects(out))


@builtin("BYROW")
def byrow(args: list[Val], ctx: Ctx) -> Val:
    return _by(args, ctx, rows=True)


@builtin("BYCOL")
def bycol(args: list[Val], ctx: Ctx) -> Val:
    return _by(args, ctx, rows=False)


def _fold(args: list[Val], ctx: Ctx, keep: bool) -> Val:
    _fixed(args)
    if len(args) != 3 or args[2].lam is None:
        return _value_error()
    acc, a, lam = args[0], args[1], args[2].lam
    out = np.empty(a.shape, dtype=object)
    for i, j in np.ndindex(a.shape):       # row by row, as Excel walks the array
        acc = lam([acc, _element(a.block, i, j)], ctx)
        if acc.lam is not None or (keep and acc.shape != (1, 1)):
            acc = _value_error()            # SCAN keeps one value per step; REDUCE may carry an array
        if keep:
            out[i, j] = acc.block.value(0, 0)
    return Val(Block.from_objects(out)) if keep else Val(acc.block)


@builtin("REDUCE")
def reduce_(args: list[Val], ctx: Ctx) -> Val:
    return _fold(args, ctx, keep=False)


@builtin("SCAN")
def scan(args: list[Val], ctx: Ctx) -> Val:
    return _fold(args, ctx, keep=True)


@builtin("MAKEARRAY")
@lifted(0, 1)           # arrays of sizes: one MAKEARRAY per element (each shows its first value)
def makearray(args: list[Val], ctx: Ctx) -> Val:
    _fixed(args)
    if len(args) != 3 or args[2].lam is None or args[0].shape != (1, 1) or args[1].shape != (1, 1):
        return _value_error()
    size = []
    for v in args[:2]:
        if v.block.kind[0, 0] == ERR:
            return Val(Block.errors((1, 1), v.block.obj[0, 0]))
        n = float(v.block.num[0, 0])        # TRUE counts as 1; 2.3 is no size (#VALUE!)
        if v.block.kind[0, 0] not in (NUM, BOOL) or not 1 <= n < 1048577 or n != int(n):
            return _value_error()
        size.append(int(n))
    lam = args[2].lam
    out = np.empty(tuple(size), dtype=object)
    for i, j in np.ndindex(out.shape):
        out[i, j] = _scalar_result(lam([Val(Block.numbers([[i + 1.0]])), Val(Block.numbers([[j + 1.0]]))], ctx))
    return Val(Block.from_objects(out))
