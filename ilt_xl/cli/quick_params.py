"""Parameter values typer would pass through unchanged, taken without building pydantic validators.

typer (0.2x) coerces every parameter's value, its default included, through a pydantic
``TypeAdapter`` built for the parameter on first use: importing pydantic and building the
adapters of a command's parameters is ~0.25 s CPU of every ``ilt-xl`` run, more than the rest of
the command line's own work for a small workbook. For the values where the adapter provably
returns its input (or what typer's own helper computes without pydantic), :class:`QuickParam`
returns the same without it:

* ``str`` values of ``str`` parameters (the adapter returns ``str(value)``);
* ``int``/``float`` values of exactly that type within ``min``/``max`` (defaults; no clamp);
* members of an ``Enum`` parameter (typer's ``coerce_cli_choice`` returns a member as it is),
  and texts it maps to a member (the same helper, called directly);
* ``Path`` parameters given a text that ``Path`` keeps as written (``str(Path(v)) == v``):
  typer's ``coerce_cli_path`` with ``Path(v)``, which is what pydantic's ``Path`` gives.

Anything else, and anything that raises, goes to typer's own coercion, built then as before, so
messages and exit codes stay typer's (``tests/test_cli_quick_params.py`` compares both on every
parameter of every command). With a typer that has no such coercion layer, nothing changes.
"""
from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

try:                                    # typer's runtime coercion layer (typer 0.2x)
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:                     # an older typer coerces through click: nothing to do
    RuntimeParam = None


def _quick_value(descriptor, value: Any, param, ctx) -> Any:
    """The value typer's adapter would return for ``value``; raises LookupError where not sure."""
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if info.parser is not None or descriptor.file_annotation is not None:
        raise LookupError
    if annotation is str and type(value) is str:
        return value
    if annotation in (int, float) and type(value) is annotation and not info.clamp:
        if (info.min is None or info.min <= value) and (info.max is None or value <= info.max):
            return value
        raise LookupError
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
    if annotation is Path and type(value) is str and str(Path(value)) == value and info.path_type is None:
        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    raise LookupError


if RuntimeParam is not None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class QuickParam(RuntimeParam):
        """typer's coercion of one parameter, pydantic's part skipped where it returns the input."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param, ctx) -> Any:
            try:
                return _quick_value(self.descriptor, value, param, ctx)
            except Exception:           # typer's own coercion decides, and words any refusal
                pass
            full = self.__dict__.get("full")
            if full is None:
                full = build_runtime_param(self.descriptor)
                object.__setattr__(self, "full", full)     # built once, as typer would
            return full._coerce_value(value, param=param, ctx=ctx)


def install(params) -> None:
    """Give each typer parameter of ``params`` a :class:`QuickParam` (before typer builds its own)."""
    if RuntimeParam is None:
        return
    for param in params:
        if isinstance(param, _TyperParameter) and getattr(param, "_runtime_param", True) is None:
            d = param.type_descriptor
            param._runtime_param = QuickParam(parameter_info=d.parameter_info, annotation=d.annotation, descriptor=d)
