"""The ILT_* worksheet functions: thin vectorised adapters over ``ilt_xl.core``.

``REGISTRY`` maps each Excel name (``ILT_FX``) to its Python callable and
``SPECS`` to its :class:`~ilt_xl.functions.registry.FunctionSpec` (arguments,
category, result kind), from which the xlwings wrappers and the headless engine
are generated.

Every other module of this package is a category of functions and is imported
here, so that its ``@worksheet_function`` declarations register themselves: a
new category is a new module, with no list to edit.
"""
from __future__ import annotations

import importlib
import pkgutil

from ilt_xl.functions.registry import REGISTRY, SPECS, Arg, FunctionSpec, worksheet_function

_INFRASTRUCTURE = {"registry", "arguments", "docs", "date_system"}

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in _INFRASTRUCTURE and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "SPECS", "Arg", "FunctionSpec", "worksheet_function"]
