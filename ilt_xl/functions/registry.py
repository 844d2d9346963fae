"""The registry of ILT_* worksheet functions: each one declared once.

A category module declares a function with :func:`worksheet_function` on top of a
*kernel*, a vectorised implementation that receives clean 1-D numpy arrays. The
decorator builds the public callable (Excel name, argument handling from
``ilt_xl.functions.arguments``, Excel-error results) and records a
:class:`FunctionSpec` from which the xlwings wrappers and the headless engine
are generated.

Kernel contract:

- element-wise functions (``spills=False``): the kernel gets one flat array per
  argument, all of the broadcast length, already typed (number/date: float64,
  dates as serials with NaN for an omitted optional date; text: object array of
  str; range: the whole range, an object array or ``None``). Elements whose
  input was bad are filled harmlessly and overridden by the input's error
  afterwards. The kernel returns ``values`` or ``(values, errors)``, where
  ``errors`` is an object array holding an Excel error string where the result
  is undefined and ``None`` elsewhere. A NaN number it leaves unexplained
  becomes ``#NUM!``.
- spilling functions (``spills=True``): scalar arguments are typed single values
  (a bad one makes the whole result that error); range arguments arrive whole.
  The kernel returns the complete result (a scalar or an array of its own shape).
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from ilt_xl.core import excel_errors as xe
from ilt_xl.functions import arguments as A

ArgKind = Literal["number", "date", "text", "range"]
ResultKind = Literal["number", "date", "text", "any"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

# Excel-facing names of arguments whose Python name is a VBA keyword (``End``, ``Date``): classic
# xlwings writes each function's parameters into a VBA module, which refuses keywords. ``start`` is
# renamed with ``end`` so the pair reads alike. The Python callables keep the short names.
EXCEL_ARG_NAMES = {"start": "start_date", "end": "end_date", "date": "rate_date"}
DESCRIPTION_LIMIT = 255
"""Excel's limit on a function's and an argument's description (``Application.MacroOptions``)."""


@dataclass(frozen=True)
class Arg:
    """One argument of a worksheet function.

    ``kind`` says how cells are read (see ``ilt_xl.functions.arguments``);
    ``default`` is used when the argument is omitted or an element is blank
    (``None`` for an optional date or range means "not given"). ``date_cells``, for a range,
    marks the cells that hold dates (given the range as a 2-D array), so that a call from a
    1904-system workbook moves them with the scalar dates (:mod:`ilt_xl.functions.date_system`).
    """

    name: str
    kind: ArgKind
    doc: str
    default: Any = REQUIRED
    date_cells: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED

    @property
    def is_range(self) -> bool:
        return self.kind == "range"

    @property
    def excel_name(self) -> str:
        """The name Excel shows (function wizard, VBA wrapper, README): never a VBA keyword."""
        return EXCEL_ARG_NAMES.get(self.name, self.name)

    @property
    def excel_doc(self) -> str:
        """The argument's description as Excel shows it."""
        return self.doc + (" (optional)" if self.optional else "")


@dataclass(frozen=True)
class FunctionSpec:
    """Everything known about one worksheet function.

    ``returns`` is the kind of each result element (``"date"`` results are
    serial numbers to be formatted as dates); ``spills`` is True when the result
    is an array whose shape is not the broadcast of the arguments; ``date_columns``
    are the columns of a spilled 2-D result that hold date serials.
    """

    name: str
    category: str
    description: str
    args: tuple[Arg, ...]
    returns: ResultKind
    spills: bool
    kernel: Callable[..., Any] = field(repr=False)
    func: Callable[..., Any] = field(repr=False)
    date_columns: tuple[int, ...] = ()

    @property
    def range_args(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if a.is_range)

    @property
    def returns_date(self) -> bool:
        return self.returns == "date"

    def signature_text(self) -> str:
        """``NAME(a, b, [c])`` with the Excel argument names, as in the documentation tables."""
        names = [f"[{a.excel_name}]" if a.optional else a.excel_name for a in self.args]
        return f"{self.name}({', '.join(names)})"


def every_cell(grid: np.ndarray) -> np.ndarray:
    """``date_cells`` of a range whose every cell is a date (Sessions[StartDate], say)."""
    return np.ones(grid.shape, dtype=bool)


SPECS: dict[str, FunctionSpec] = {}
REGISTRY: dict[str, Callable[..., Any]] = {}


def _coerce(arg: Arg, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    default = None if not arg.optional else arg.default
    if arg.kind == "number":
        return A.coerce_number(raw, default)
    if arg.kind == "date":
        return A.coerce_date(raw, optional=arg.optional)
    return A.coerce_text(raw, default)


def _first_error(errors: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    merged = np.full(shape, A.NO_ERROR, dtype=object)
    for err in reversed(errors):  # the leftmost argument's error wins
        has = err != A.NO_ERROR
        merged[has] = err[has]
    return merged


def _call_elementwise(spec: FunctionSpec, given: list[Any]) -> Any:
    raws = [None if a.is_range else A.as_array(v) for a, v in zip(spec.args, given)]
    shape = A.broadcast_shape([r for r in raws if r is not None])
    size = int(np.prod(shape)) if shape else 1
    kernel_args: list[Any] = []
    input_errors: list[np.ndarray] = []
    beyond = np.zeros(size, dtype=bool)  # cells past a smaller array: #N/A whatever else is wrong
    for arg, value, raw in zip(spec.args, given, raws):
        if arg.is_range:
            kernel_args.append(None if value is None else A.as_array(value))
            continue
        stretched, outside = A.stretch(raw, shape)
        values, errors = _coerce(arg, stretched)
        beyond |= outside.reshape(size)
        kernel_args.append(values.reshape(size))
        input_errors.append(errors.reshape(size))
    result = spec.kernel(*kernel_args)
    values, errors = result if isinstance(result, tuple) else (result, None)
    values = np.asarray(values).reshape(size)
    kernel_errors = (
        np.full(size, A.NO_ERROR, dtype=object) if errors is None else np.asarray(errors, dtype=object).reshape(size)
    )
    if spec.returns in ("number", "date") and values.dtype.kind == "f":
        unexplained = np.isnan(values) & (kernel_errors == A.NO_ERROR)
        kernel_errors = np.where(unexplained, xe.NUM, kernel_errors)
    beyond_errors = np.where(beyond, xe.NA, A.NO_ERROR)
    merged = _first_error([beyond_errors] + input_errors + [kernel_errors], (size,))
    return A.to_result(values, merged, shape)


def _call_spilling(spec: FunctionSpec, given: list[Any]) -> Any:
    kernel_args: list[Any] = []
    for arg, value in zip(spec.args, given):
        if arg.is_range:
            kernel_args.append(None if value is None else A.as_array(value))
            continue
        raw = A.as_array(value)
        if raw.size != 1:
            return xe.VALUE
        values, errors = _coerce(arg, raw.reshape(()))
        if errors[()] is not A.NO_ERROR:
            return errors[()]
        kernel_args.append(values[()])
    result = spec.kernel(*kernel_args)
    if isinstance(result, np.ndarray) and result.ndim == 0:
        return result[()]
    return result


def _public_callable(spec_holder: dict[str, FunctionSpec], name: str, args: tuple[Arg, ...], kernel: Callable) -> Callable:
    params = [
        inspect.Parameter(
            a.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if not a.optional else None,
        )
        for a in args
    ]
    signature = inspect.Signature(params)

    @functools.wraps(kernel)
    def call(*positional: Any, **named: Any) -> Any:
        bound = signature.bind(*positional, **named)
        bound.apply_defaults()
        spec = spec_holder[name]
        given = [bound.arguments[a.name] for a in spec.args]
        if spec.spills:
            return _call_spilling(spec, given)
        return _call_elementwise(spec, given)

    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__name__ = name
    call.__qualname__ = name
    return call


def worksheet_function(
    name: str,
    *,
    category: str,
    description: str,
    args: list[Arg] | tuple[Arg, ...],
    returns: ResultKind,
    spills: bool = False,
    date_columns: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the worksheet function ``name`` on top of the decorated kernel.

    Returns the public callable (registered in ``REGISTRY`` and ``SPECS``), whose
    parameters are the argument names; omitted optional arguments are ``None``.
    Raises ``ValueError`` when the name is taken or not a valid Excel UDF name, or
    when a description is longer than Excel shows.
    """
    if not name.replace("_", "").isalnum() or not name.isupper() or "." in name:
        raise ValueError(f"worksheet function name must be upper-case letters, digits and _: {name!r}")
    if name in SPECS:
        raise ValueError(f"worksheet function {name} is already registered")
    args = tuple(args)
    too_long = [text for text in (description, *(a.excel_doc for a in args)) if len(text) > DESCRIPTION_LIMIT]
    if too_long:
        raise ValueError(f"{name}: Excel cuts descriptions at {DESCRIPTION_LIMIT} characters: {too_long[0]!r}")

    def decorate(kernel: Callable[..., Any]) -> Callable[..., Any]:
        func = _public_callable(SPECS, name, args, kernel)
        lines = [f"{name}: {description}", "", "Arguments:"]
        lines += [f"  {a.name}{' (optional)' if a.optional else ''}: {a.doc}" for a in args]
        func.__doc__ = "\n".join(lines)
        spec = FunctionSpec(name, category, description, args, returns, spills, kernel, func, tuple(date_columns))
        SPECS[name] = spec
        REGISTRY[name] = func
        return func

    return decorate
