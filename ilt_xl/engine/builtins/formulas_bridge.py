"""The `formulas` library's worksheet functions, called on engine values: the functions the
engine has no built-in of its own for (statistics, finance, engineering, text).

Arguments are adapted to the library's conventions (``schedula.EMPTY`` for empty cells, its own
error objects for errors) and its results turned back into values (the engine's error objects,
empty for ``schedula.EMPTY``); per-row arguments call the function row by row. The library is
imported on the first call: a workbook none of whose functions needs it never loads it.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val
from ilt_xl.engine.values import ERRORS, Block, E_VALUE, XlError, error_code


def per_row_any(args: list[Val]) -> bool:
    return any(a.per_row for a in args)


def to_python(v: Val):
    """A Val as what plain Python functions expect: a scalar or a 2-D object array (None = empty)."""
    if v.block.shape == (1, 1) and v.ref is None:
        return v.block.value()
    return v.block.objects()


def from_result(result, per_row: bool, n: int) -> Val:
    """A function's Python/numpy result as a Val (error strings become errors)."""
    if isinstance(result, np.ndarray):
        arr = np.asarray(result, dtype=object)
        if arr.ndim == 0:
            return Val(Block.from_objects(np.array([[arr[()]]], dtype=object)))
        if per_row:
            return Val(Block.from_objects(arr.reshape(n, 1)), True)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        return Val(Block.from_objects(arr))
    return Val(Block.from_objects(np.array([[result]], dtype=object)))


def _formulas_arg(v):
    """Adapt one Python value to the conventions of the `formulas` functions."""
    import schedula as sh

    if isinstance(v, np.ndarray):
        out = v.copy()
        for idx in zip(*np.nonzero(np.equal(v, None))):
            out[idx] = sh.EMPTY
        flat = out.reshape(-1)      # a view of the copy
        for i, x in enumerate(flat):
            if isinstance(x, XlError):
                flat[i] = _theirs(x)
        return out
    if isinstance(v, XlError):
        return _theirs(v)
    return sh.EMPTY if v is None else v


def _theirs(error: XlError):
    """The `formulas` library's object for an engine error (its canonical one)."""
    from formulas.functions import Error
    from formulas.tokens.operand import XlError as TheirError

    return Error.errors.get(str(error)) or TheirError(str(error))


def _ours(value):
    """A `formulas` result element as an engine value: its errors become the engine's error
    objects, its empty marker None; anything else as it is."""
    import schedula as sh
    from formulas.tokens.operand import XlError as TheirError

    if isinstance(value, TheirError):
        code = str(value)
        return ERRORS.get(code) or XlError(code)
    if value is sh.EMPTY:
        return None
    return value


def _ours_all(result):
    """:func:`_ours` of a result, element by element when it is an array."""
    if isinstance(result, np.ndarray) and result.dtype == object:
        out = result.copy()
        flat = out.reshape(-1)
        for i, x in enumerate(flat):
            flat[i] = _ours(x)
        return out
    return _ours(result)


_FORMULAS_FUNCS: dict = {}
_FORMULAS_LOADED: set[str] = set()


def _formulas_function(name: str):
    """The `formulas` implementation of ``name``; its modules are imported one at a time, the
    statistics module (which pulls in scipy, seconds to import) last."""
    import formulas.functions as ff
    keys = (name, f"_XLFN.{name}", f"_XLFN._XLWS.{name}")
    modules = sorted(ff.SUBMODULES, key=lambda m: m.endswith("stat"))
    for mod in [None] + modules:
        if any(key in _FORMULAS_FUNCS for key in keys):
            break
        if mod is None or mod in _FORMULAS_LOADED:
            continue
        import importlib
        _FORMULAS_FUNCS.update(importlib.import_module(mod, ff.__name__).FUNCTIONS)
        _FORMULAS_LOADED.add(mod)
    _FORMULAS_FUNCS.update(ff.FUNCTIONS)
    found = next((_FORMULAS_FUNCS[k] for k in keys if k in _FORMULAS_FUNCS), None)
    if isinstance(found, dict):          # compile-time description; its 'function' is the callable
        found = found.get("function") if "extra_inputs" not in found else None
    return found


def formulas_knows(name: str) -> bool:
    """Whether the `formulas` library has a function ``name``."""
    return _formulas_function(name) is not None


def call_formulas(name: str, args: list[Val], ctx: Ctx) -> Val:
    func = _formulas_function(name)
    if func is None:    # the cell keeps Excel's value rather than a made-up #NAME?
        raise EvalError(f"unknown function {name}", f"unknown function {name}")
    per_row = per_row_any(args)

    import schedula as sh

    def one(values):
        try:
            res = func(*[_formulas_arg(v) for v in values])
        except Exception as exc:  # formulas raises its own types for bad arguments
            code = error_code(_ours(getattr(exc, "args", [None])[0])) if getattr(exc, "args", None) else None
            return code or E_VALUE
        if isinstance(res, np.ndarray) and res.size == 1:
            res = res.ravel()[0]
        if res is sh.EMPTY:
            return 0.0
        return _ours_all(res)

    if not per_row:
        return from_result(one([to_python(a) for a in args]), False, ctx.n)
    cols = [a.block.objects().reshape(-1) if a.per_row else None for a in args]
    fixed = [None if a.per_row else to_python(a) for a in args]
    out = np.empty(ctx.n, dtype=object)
    for i in range(ctx.n):
        r = one([cols[j][i] if cols[j] is not None else fixed[j] for j in range(len(args))])
        if isinstance(r, np.ndarray):
            raise NotVectorisable(f"{name} returned an array for one row")
        out[i] = r
    return Val(Block.from_objects(out.reshape(-1, 1)), True)
