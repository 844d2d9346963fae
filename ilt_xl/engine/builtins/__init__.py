"""Excel's built-in worksheet functions, one module per category, each registered once.

    @builtin("TRUNC")
    def trunc(args: list[Val], ctx: Ctx) -> Val: ...        # receives evaluated arguments

    @builtin("IF", lazy=True)
    def if_(args: list[Thunk], ctx: Ctx) -> Val: ...        # receives thunks: evaluates what it needs

:func:`find` answers the dispatcher (:mod:`ilt_xl.engine.functions_dispatch`); the category
modules are imported on first use. Built-ins receive values, never the tree.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

CATEGORIES = ("aggregate", "complex_numbers", "conditional", "database", "dates", "dynamic", "engineering", "ets",
              "financial", "info", "lambdas", "logical", "lookup", "math", "pivot", "reference", "regression",
              "statistics", "text", "trigonometry", "workdays")

_EAGER: dict[str, Callable] = {}
_dispatch: Callable | None = None
_LAZY: dict[str, Callable] = {}
_loaded = False


def builtin(*names: str, lazy: bool = False):
    """Register the decorated function under each of ``names`` (upper case, without ``_xlfn.``)."""
    table = _LAZY if lazy else _EAGER

    def register(fn: Callable) -> Callable:
        for name in names:
            if name in _EAGER or name in _LAZY:
                raise ValueError(f"built-in {name} is registered twice")
            table[name] = fn
        return fn
    return register


@dataclass(frozen=True)
class Thunk:
    """An argument not evaluated yet: call it for its value. ``omitted`` for an empty argument
    (``IF(A1,,2)``); ``node`` is its tree (LET and LAMBDA evaluate it in a scope of their own)."""

    evaluate: Callable
    omitted: bool = False
    node: object = None

    def __call__(self):
        return self.evaluate()


def find(name: str) -> tuple[Callable | None, bool]:
    """(the built-in called ``name``, whether it takes thunks), or (None, False)."""
    global _loaded
    if not _loaded:
        for category in CATEGORIES:
            importlib.import_module(f"{__name__}.{category}")
        _loaded = True
    fn = _LAZY.get(name)
    if fn is not None:
        return fn, True
    return _EAGER.get(name), False


def set_dispatcher(call: Callable) -> None:
    """The dispatcher (:mod:`ilt_xl.engine.functions_dispatch`) registers how to call any function
    by name; built-ins that call others (SUBTOTAL, eta lambdas) go through it."""
    global _dispatch
    _dispatch = call


def call_by_name(name: str, args: list, ctx):
    """The worksheet function ``name`` called on evaluated arguments."""
    return _dispatch(name, args, ctx)


def names() -> set[str]:
    find("")
    return set(_EAGER) | set(_LAZY)
