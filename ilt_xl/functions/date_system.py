"""ILT_* calls from a workbook in the 1904 date system (``<workbookPr date1904="1">``, Mac Excel's old default).

Its serial numbers count days from 1904-01-01 = 0, 1,462 fewer than the 1900 system's for the same day, and
the functions compute in the 1900 system. So a call from such a workbook has every date serial it passes
moved up by 1,462 days, and the dates it returns moved back down:

- the numbers of date arguments (a date that arrives as a date object, as classic xlwings reads a cell
  formatted as a date, is a day already and is left alone);
- the cells of range arguments that hold dates (:attr:`~ilt_xl.functions.registry.Arg.date_cells`: Sessions'
  starts and ends, the Date column of ILT_FX's rates), so that they still compare with the scalar dates;
- the result of a date function, and the date columns of a spilled result (ILT_CONFLICTS' common days).

The headless engine (:mod:`ilt_xl.engine.functions_dispatch`) and classic xlwings' wrappers (which ask the
calling workbook for its ``Date1904``) both call through here.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ilt_xl.core.serial_dates import DATE1904_OFFSET
from ilt_xl.functions.arguments import as_2d, as_array
from ilt_xl.functions.registry import FunctionSpec


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


_numbers = np.frompyfunc(_is_number, 1, 1)   # element-wise over an object array, without a Python loop


def _shifted(value: Any, by: float, where: np.ndarray | None = None) -> Any:
    """``value`` (a scalar, list, list of lists or array) with its numbers moved by ``by`` days, only in the
    cells ``where`` marks (a mask of its 2-D shape) when given; its shape and other cells unchanged."""
    if value is None or isinstance(value, str):
        return value
    if _is_number(value):
        return value + by if where is None or where.reshape(-1)[0] else value
    arr = as_array(value)
    if arr.dtype.kind not in "iufO":
        return value        # datetimes (days already), booleans
    out = arr.astype("float64") if arr.dtype.kind != "O" else arr.copy()
    moved = np.ones(out.shape, dtype=bool) if where is None else where.reshape(out.shape).copy()
    if out.dtype == object and out.size:
        moved &= _numbers(out).astype(bool)
    out[moved] = out[moved].astype("float64") + by
    return out


def arguments_in_1900(spec: FunctionSpec, given: list[Any]) -> list[Any]:
    """The arguments of a call from a 1904 workbook with their date serials in the 1900 system."""
    out = []
    for arg, value in zip(spec.args, given):
        if arg.kind == "date":
            value = _shifted(value, DATE1904_OFFSET)
        elif arg.is_range and arg.date_cells is not None and value is not None:
            value = _shifted(value, DATE1904_OFFSET, arg.date_cells(as_2d(as_array(value))))
        out.append(value)
    return out


def result_in_1904(spec: FunctionSpec, result: Any) -> Any:
    """A result computed in the 1900 system with its dates as serials of a 1904 workbook."""
    if spec.returns_date:
        return _shifted(result, -DATE1904_OFFSET)
    if spec.date_columns and isinstance(result, np.ndarray) and result.ndim == 2:
        where = np.zeros(result.shape, dtype=bool)
        where[:, list(spec.date_columns)] = True
        return _shifted(result, -DATE1904_OFFSET, where)
    return result
