"""One Excel function per registry entry, generated: no hand-written wrapper per function.

:func:`expose` walks :data:`ilt_xl.functions.SPECS` and, for each spec, puts
into a module's namespace a function of the same Excel name (``ILT_FX``) and
the arguments' Excel names (:attr:`ilt_xl.functions.registry.Arg.excel_name`: the
Python name unless it is a VBA keyword, which classic xlwings cannot import), decorated with the runtime's xlwings decorators (classic
``xw.func``/``xw.arg``/``xw.ret`` or Lite's ``func``/``arg``/``ret``). Adding a
function to the registry makes it appear in Excel with no code here.

What a wrapper does, and nothing more:

- arguments: every range-capable argument is declared ``ndim=2`` so a row stays
  a row and a column a column; Excel error values that arrive as COM error codes
  become Excel's error strings; everything else goes to the registry as is (the
  registry reads scalars, lists, lists of lists, blanks as None, dates or serials);
- results: numpy arrays become lists of rows (a 1-D result is a column), numpy
  scalars plain Python values, and results of date functions ``datetime``
  objects. Errors are Excel's error strings: xlwings Lite turns them into real
  error values; classic xlwings cannot return error values (xlwings issue #776),
  so there they stay text (see udfs/README.md);
- the date system: a classic wrapper takes xlwings' reserved ``caller`` argument
  (the calling cell, which Excel never sees) and, when its workbook counts dates from
  1904 (``Workbook.Date1904``), has the date serials it receives moved to the 1900
  system and those it returns moved back (:mod:`ilt_xl.functions.date_system`);
  dates that arrive as ``datetime`` (cells formatted as dates) are days already.
  xlwings Lite gives a custom function no way to learn its workbook's date system
  (its ``Caller`` is an address only), so Lite computes in the 1900 system.

This module imports neither xlwings nor openpyxl: the decorators are passed in.
"""
from __future__ import annotations

import datetime as dt
import inspect
from typing import Any, Callable

import numpy as np

from ilt_xl.core import excel_errors as xe
from ilt_xl.functions import SPECS, FunctionSpec
from ilt_xl.functions.date_system import arguments_in_1900, result_in_1904

CATEGORY = "ILT planner"
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
CALLER = "caller"   # xlwings classic passes the calling Range to the parameter of this name (hidden from Excel)
# pywin32 hands classic UDFs an error cell as this int (HRESULT of the error), when not read as text.
COM_ERRORS = {
    -2146826281: xe.DIV0, -2146826246: xe.NA, -2146826259: xe.NAME, -2146826288: xe.NULL,
    -2146826252: xe.NUM, -2146826265: xe.REF, -2146826273: xe.VALUE,
}


def _from_excel(value: Any) -> Any:
    """An argument as Excel passed it, with COM error codes turned into error strings."""
    if isinstance(value, (list, tuple)):
        return [_from_excel(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value in COM_ERRORS:
        return COM_ERRORS[value]
    return value


def _plain(value: Any, as_date: bool, epoch: dt.datetime = _EPOCH) -> Any:
    """One result element as a plain Python value Excel can show (a date serial counted from ``epoch``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and np.isnan(value):
        return xe.NUM
    if as_date and isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch + dt.timedelta(days=float(value))
    return value


def to_excel(result: Any, returns_date: bool = False, date1904: bool = False) -> Any:
    """A registry result as xlwings writes it: a scalar, or a list of rows (a 1-D array is a column);
    date serials of a 1904 workbook when ``date1904``."""
    epoch = _EPOCH_1904 if date1904 else _EPOCH
    if isinstance(result, np.ndarray):
        if result.ndim == 0:
            return _plain(result[()], returns_date, epoch)
        grid = result.reshape(-1, 1) if result.ndim == 1 else result
        return [[_plain(v, returns_date, epoch) for v in row] for row in grid.tolist()]
    if isinstance(result, (list, tuple)):
        return to_excel(np.asarray(result, dtype=object), returns_date, date1904)
    return _plain(result, returns_date, epoch)


def counts_from_1904(caller: Any) -> bool:
    """Whether the workbook of classic xlwings' calling Range uses the 1904 date system (False without a caller)."""
    return caller is not None and bool(caller.sheet.book.api.Date1904)


def _takes_ranges(spec: FunctionSpec, arg) -> bool:
    """Ranges make sense for a range argument, and for any argument of an element-wise function."""
    return arg.is_range or not spec.spills


def excel_function(spec: FunctionSpec, *, caller: bool = False) -> Callable[..., Any]:
    """The undecorated Excel wrapper of ``spec``: same name, same arguments, Excel shapes in and out;
    with ``caller`` (classic xlwings), a last :data:`CALLER` parameter that tells the workbook's date system."""
    func = spec.func
    n_args = len(spec.args)

    def wrapper(*args: Any) -> Any:
        given = [_from_excel(a) for a in args[:n_args]]
        date1904 = counts_from_1904(args[n_args] if len(args) > n_args else None)
        if not date1904:
            return to_excel(func(*given), spec.returns_date)
        result = func(*arguments_in_1900(spec, given))
        return to_excel(result_in_1904(spec, result), spec.returns_date, date1904=True)

    parameters = [
        inspect.Parameter(a.excel_name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=None if a.optional else inspect.Parameter.empty)
        for a in spec.args
    ]
    if caller:
        parameters.append(inspect.Parameter(CALLER, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__name__ = wrapper.__qualname__ = spec.name
    wrapper.__doc__ = spec.description
    wrapper.__module__ = __name__
    return wrapper


def decorate(spec: FunctionSpec, wrapper: Callable[..., Any], func: Callable, arg: Callable, ret: Callable,
             *, lite: bool = False) -> Callable[..., Any]:
    """``wrapper`` with the runtime's decorators: argument docs, ``ndim=2`` where ranges make sense."""
    for a in reversed(spec.args):
        options: dict[str, Any] = {"doc": a.excel_doc}
        if _takes_ranges(spec, a):
            options["ndim"] = 2
        options["err_to_str"] = True  # an error cell arrives as its text (else blank) and propagates
        wrapper = arg(a.excel_name, **options)(wrapper)
    if spec.returns_date and lite:
        wrapper = ret(date_format="yyyy-mm-dd")(wrapper)
    return func(category=CATEGORY)(wrapper) if not lite else func(wrapper)


def expose(namespace: dict[str, Any], func: Callable, arg: Callable, ret: Callable, *, lite: bool = False) -> list[str]:
    """Put one decorated wrapper per registry function into ``namespace``; returns their names."""
    for name, spec in SPECS.items():
        namespace[name] = decorate(spec, excel_function(spec, caller=not lite), func, arg, ret, lite=lite)
    return list(SPECS)
