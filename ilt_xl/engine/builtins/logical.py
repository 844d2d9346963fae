"""Logical built-ins: IF, IFS, IFERROR, IFNA, CHOOSE (lazy: a scalar condition evaluates only the
branch it picks, so a branch that would fail, or read a cell on a circular path, is never
touched), AND, OR, NOT.

Over a run of rows (a calculated column) the condition varies by row: IF then evaluates each
branch once, for the rows that take it; IFS, IFERROR and CHOOSE evaluate their branches for the
whole run and pick from them row by row.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import Thunk, builtin
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.builtins.lifting import broadcast_shape, element
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, evaluate, pad_together, with_rows
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NA, E_VALUE

def _zero() -> Val:
    return Val(Block.numbers([[0.0]]))


def _false() -> Val:
    return Val(Block(np.full((1, 1), BOOL, np.int8), np.zeros((1, 1))))


def _arg(args: list[Thunk], i: int, missing, omitted=_zero, ctx: Ctx | None = None) -> Val:
    """Argument ``i``: ``missing()`` when not given, ``omitted()`` when given empty (``IF(A1,,2)``);
    with ``ctx``, evaluated there (other rows) rather than where the call was made."""
    if i >= len(args):
        return missing()
    if args[i].omitted:
        return omitted()
    return args[i]() if ctx is None else evaluate(args[i].node, ctx)


def select(cond: Block, yes: Val, no: Val, per_row: bool) -> Val:
    """Elementwise choice; the condition must be boolean-like (numbers: non-zero is TRUE,
    text is #VALUE!, errors pass through)."""
    k = cond.kind
    shape = np.broadcast_shapes(cond.shape, yes.shape, no.shape)

    def b(x):
        return np.broadcast_to(x, shape)
    t = b(cond.num != 0)
    kind = np.where(t, b(yes.block.kind), b(no.block.kind)).astype(np.int8)
    num = np.where(t, b(yes.block.num), b(no.block.num))
    yo = b(yes.block.obj) if yes.block._obj is not None else np.empty(shape, object)
    no_ = b(no.block.obj) if no.block._obj is not None else np.empty(shape, object)
    obj = np.where(t, yo, no_)
    cond_err, bad_text = b(k == ERR), b(k == STR)
    if cond_err.any() or bad_text.any():
        obj = obj.copy()
        obj[cond_err] = b(cond.obj)[cond_err]
        obj[bad_text] = E_VALUE
        kind[cond_err | bad_text] = ERR
    return Val(Block(kind, num, obj), per_row)


def _truth(v: Val) -> bool | Val:
    """A scalar condition as True/False, or the error value it gives."""
    k = v.block.kind[0, 0]
    if k == ERR:
        return Val(Block.errors((1, 1), v.block.obj[0, 0]))
    if k == STR:
        text = str(v.block.obj[0, 0]).upper()
        return text == "TRUE" if text in ("TRUE", "FALSE") else Val(Block.errors((1, 1), E_VALUE))
    return bool(v.block.num[0, 0] != 0)


def _scalar(v: Val) -> bool:
    return not v.per_row and v.shape == (1, 1)


@builtin("IF", lazy=True)
def if_(args: list[Thunk], ctx: Ctx) -> Val:
    if not args:
        return Val(Block.errors((1, 1), E_VALUE))
    cond = args[0]()
    if _scalar(cond):
        truth = _truth(cond)
        if isinstance(truth, Val):
            return truth
        return _arg(args, 1, _zero) if truth else _arg(args, 2, _false)
    if cond.per_row and cond.shape == (ctx.n, 1):
        return _if_per_row(cond.block, args, ctx)
    yes, no = _arg(args, 1, _zero), _arg(args, 2, _false)
    per_row = cond.per_row or yes.per_row or no.per_row
    for v in (cond, yes, no):
        if per_row and not v.per_row and v.shape != (1, 1):
            raise NotVectorisable("IF with an array branch")
    cond, yes, no = pad_together(cond, yes, no)
    return select(cond.block, yes, no, per_row)


def _if_per_row(cond: Block, args: list[Thunk], ctx: Ctx) -> Val:
    """IF over a run of rows whose condition varies by row: each branch is evaluated only for the
    rows that take it (none: not at all), as Excel evaluates one branch per cell, so an error or a
    slow lookup in the branch a row does not take costs it nothing and never reaches it. A
    condition that is text is #VALUE!, an error passes through (:func:`select`'s rule)."""
    k = cond.kind[:, 0]
    decided = (k != ERR) & (k != STR)
    true = decided & (cond.num[:, 0] != 0)
    false = decided & ~true
    branches = []
    for take, i, missing in ((true, 1, _zero), (false, 2, _false)):
        if not take.any():
            branches.append(None)
        elif take.all():        # every row: the run's own context (and what it memoised)
            branches.append(_arg(args, i, missing))
        else:
            branches.append(_arg(args, i, missing, ctx=with_rows(ctx, ctx.rows[take])))
    for v, take in zip(branches, (true, false)):
        if v is not None and not v.per_row and v.shape != (1, 1):
            raise NotVectorisable("IF with an array branch")
    if decided.all() and sum(v is not None for v in branches) == 1:
        v = next(v for v in branches if v is not None)
        if v.per_row:
            return Val(v.block, True)       # the values, not where they were read from
    n = ctx.n
    kind = np.full(n, ERR, np.int8)
    num = np.zeros(n)
    obj = np.full(n, E_VALUE, dtype=object)
    for v, take in zip(branches, (true, false)):
        if v is None:
            continue
        b = v.block
        kind[take], num[take] = b.kind[:, 0], b.num[:, 0]
        obj[take] = b.obj[:, 0] if b._obj is not None else None
    errors = k == ERR
    obj[errors] = cond.obj[:, 0][errors]
    return Val(Block(kind.reshape(-1, 1), num.reshape(-1, 1), obj.reshape(-1, 1)), True)


def _iferror(args: list[Thunk], only_na: bool) -> Val:
    if len(args) < 2:
        return Val(Block.errors((1, 1), E_VALUE))
    v = args[0]()
    is_err = v.block.kind == ERR
    if only_na and is_err.any():
        is_err = is_err & np.vectorize(lambda o: str(o) == "#N/A", otypes=[bool])(v.block.obj)
    if not v.per_row and not is_err.any():
        return v
    alt = _arg(args, 1, _zero)
    per_row = v.per_row or alt.per_row
    if per_row and ((not v.per_row and v.shape != (1, 1)) or (not alt.per_row and alt.shape != (1, 1))):
        raise NotVectorisable("IFERROR with arrays")
    cond = Block(np.full(is_err.shape, BOOL, np.int8), is_err.astype(float))
    return select(cond, alt, v, per_row)


@builtin("IFERROR", lazy=True)
def iferror(args: list[Thunk], ctx: Ctx) -> Val:
    return _iferror(args, only_na=False)


@builtin("IFNA", lazy=True)
def ifna(args: list[Thunk], ctx: Ctx) -> Val:
    return _iferror(args, only_na=True)


@builtin("IFS", lazy=True)
def ifs(args: list[Thunk], ctx: Ctx) -> Val:
    if len(args) % 2 or not args:
        return Val(Block.errors((1, 1), E_VALUE))
    for i in range(0, len(args), 2):
        cond = args[i]()
        if not _scalar(cond):
            break           # varies by row (or is an array): the pairs from here are picked per row
        truth = _truth(cond)
        if isinstance(truth, Val):
            return truth
        if truth:
            return _arg(args, i + 1, _zero)
    else:
        return Val(Block.errors((1, 1), E_NA))
    result = Val(Block.errors((1, 1), E_NA))
    for j in range(len(args) - 2, i - 1, -2):
        c = cond if j == i else args[j]()
        yes = _arg(args, j + 1, _zero)
        result = select(c.block, yes, result, c.per_row or yes.per_row or result.per_row)
    return result


@builtin("CHOOSE", lazy=True)
def choose(args: list[Thunk], ctx: Ctx) -> Val:
    if len(args) < 2:
        return Val(Block.errors((1, 1), E_VALUE))
    idx = args[0]()
    options = args[1:]
    num, m, e = co.to_numbers(idx.block)
    k = np.trunc(num)
    if _scalar(idx):
        if m is not None:
            return Val(Block.errors((1, 1), e[0, 0]))
        i = int(k[0, 0]) if np.isfinite(k[0, 0]) else 0
        return _arg(options, i - 1, _zero) if 1 <= i <= len(options) else Val(Block.errors((1, 1), E_VALUE))
    if not idx.per_row:
        return _choose_each(idx, num, m, e, [_zero() if t.omitted else t() for t in options])
    result = Val(Block.errors((1, 1), E_VALUE))
    for i, thunk in enumerate(options, start=1):
        opt = _zero() if thunk.omitted else thunk()
        if not opt.per_row and opt.shape != (1, 1):
            raise NotVectorisable("CHOOSE of arrays per row")
        cond = Block(np.full(k.shape, BOOL, np.int8), (k == i).astype(float))
        result = select(cond, opt, result, True)
    if m is not None:
        result.block.kind[m], result.block.obj[m] = ERR, e[m]
    return result


def _choose_each(idx: Val, num: np.ndarray, m, e, options: list[Val]) -> Val:
    """CHOOSE with an array of indexes: element (i, j) is element (i, j) of the option its index
    picks (a single row or column of an option repeats; past an option's size #N/A), over the
    shape of the indexes and the options together; an index out of range is #VALUE!."""
    shape = broadcast_shape([idx.shape] + [o.shape for o in options])
    out = np.empty(shape, dtype=object)
    for i, j in np.ndindex(shape):
        part = element(idx.block, i, j)
        if part is None:
            out[i, j] = E_NA
            continue
        ii, jj = min(i, idx.shape[0] - 1), min(j, idx.shape[1] - 1)
        if m is not None and m[ii, jj]:
            out[i, j] = e[ii, jj]
            continue
        k = int(np.trunc(num[ii, jj])) if np.isfinite(num[ii, jj]) else 0
        if not 1 <= k <= len(options):
            out[i, j] = E_VALUE
            continue
        picked = element(options[k - 1].block, i, j)
        out[i, j] = E_NA if picked is None else picked.value(0, 0)
    return Val(Block.from_objects(out))


def _and_or(vals: list[Val], ctx: Ctx, is_and: bool) -> Val:
    """AND/OR: numbers and booleans count; text and empty cells are ignored (a text argument
    "TRUE"/"FALSE" is read as the boolean); the first error wins; nothing to count is #VALUE!."""
    per_row = any(v.per_row for v in vals)
    n = ctx.n if per_row else 1
    acc = np.full((n, 1), is_and)
    seen = np.zeros((n, 1), bool)
    err = np.empty((n, 1), object)
    err_mask = np.zeros((n, 1), bool)
    for v in vals:
        k, num = v.block.kind, v.block.num
        if v.ref is None and v.shape == (1, 1) and k[0, 0] == STR:
            text = str(v.block.obj[0, 0]).upper()
            if text not in ("TRUE", "FALSE"):
                continue                    # AND(TRUE,"0") is TRUE: the text is left out
            k, num = np.full((1, 1), BOOL, np.int8), np.array([[1.0 if text == "TRUE" else 0.0]])
        if v.per_row:
            usable = (k == NUM) | (k == BOOL)
            e = k == ERR
            new = e & ~err_mask
            err[new] = v.block.obj[new]
            err_mask |= e
        else:
            usable = (k == NUM) | (k == BOOL)
            e = k == ERR
            if e.any():
                err[~err_mask] = v.block.obj[e][0]
                err_mask[:] = True
            if not usable.any():
                continue
            usable, num = np.array([[True]]), np.array([[float(np.all(num[usable] != 0) if is_and
                                                                else np.any(num[usable] != 0))]])
        truth = num != 0
        seen |= usable
        acc = (acc & (truth | ~usable)) if is_and else (acc | (truth & usable))
    kind = np.where(err_mask, ERR, np.where(seen, BOOL, ERR)).astype(np.int8)
    err[~seen & ~err_mask] = E_VALUE
    return Val(Block(kind, acc.astype(float), err), per_row)


@builtin("AND")
def and_(args: list[Val], ctx: Ctx) -> Val:
    return _and_or(args, ctx, True)


@builtin("OR")
def or_(args: list[Val], ctx: Ctx) -> Val:
    return _and_or(args, ctx, False)


@builtin("NOT")
def not_(args: list[Val], ctx: Ctx) -> Val:
    """NOT of a number or logical value; text is #VALUE! (even "1" in a cell), except TRUE or
    FALSE typed as text in the formula."""
    v = args[0]
    b = v.block
    num, m, e = co.to_numbers(b)
    texts = b.kind == STR
    if texts.any():
        typed = v.ref is None and v.cells is None and not v.per_row
        num = num.copy()
        m = np.zeros(b.shape, bool) if m is None else m.copy()
        e = np.empty(b.shape, object) if e is None else e.copy()
        for idx in zip(*np.nonzero(texts)):
            word = str(b.obj[idx]).strip().upper()
            if typed and word in ("TRUE", "FALSE"):
                num[idx], m[idx] = float(word == "TRUE"), False
            else:
                m[idx], e[idx] = True, E_VALUE
    out = Block(np.full(num.shape, BOOL, np.int8), (num == 0).astype(float), np.empty(num.shape, object))
    if m is not None and m.any():
        out.kind[m], out.obj[m] = ERR, e[m]
    return Val(out, v.per_row)


def _switch_equal(a: Block, b: Block) -> bool:
    """SWITCH's match: numbers by value, text ignoring case, logical values by value, never
    across types; an empty cell is the number 0 (SWITCH(FALSE, blank, ...) does not match)."""
    kinds = [NUM if k == EMPTY else k for k in (a.kind[0, 0], b.kind[0, 0])]
    if kinds[0] != kinds[1]:
        return False
    if kinds[0] == STR:
        return str(a.obj[0, 0]).lower() == str(b.obj[0, 0]).lower()
    return bool(a.num[0, 0] == b.num[0, 0])


@builtin("SWITCH", lazy=True)
def switch(args: list[Thunk], ctx: Ctx) -> Val:
    """SWITCH(expression, value1, result1, ..., [default]): the result of the first value equal
    to the expression, else the default, else #N/A; only the chosen result is evaluated."""
    if len(args) < 3:
        return Val(Block.errors((1, 1), E_VALUE))
    expr = _arg(args, 0, _zero)
    if expr.per_row:
        raise NotVectorisable("SWITCH per row")
    pairs = args[1:]
    default = pairs[-1] if len(pairs) % 2 else None
    if expr.shape != (1, 1):          # an array to switch on: element by element
        return call_formulas("SWITCH", [expr] + [_arg(pairs, i, _zero) for i in range(len(pairs))], ctx)
    if expr.block.kind[0, 0] == ERR:
        return expr
    for i in range(0, len(pairs) - (1 if default is not None else 0), 2):
        candidate = _arg(pairs, i, _zero)
        if candidate.per_row:
            raise NotVectorisable("SWITCH per row")
        b = candidate.block
        if b.shape != (1, 1):
            return call_formulas("SWITCH", [expr] + [_arg(pairs, k, _zero) for k in range(len(pairs))], ctx)
        if b.kind[0, 0] == ERR:
            return candidate
        if _switch_equal(expr.block, b):
            return _arg(pairs, i + 1, _zero)
    return _arg(pairs, len(pairs) - 1, _zero) if default is not None else Val(Block.errors((1, 1), E_NA))
