"""Argument handling shared by every ILT_* worksheet function.

Excel hands a worksheet function scalars, 1-D lists (xlwings flattens a one-row
or one-column range), lists of lists (2-D ranges, blanks as ``None``), numpy
arrays or pandas Series. This module turns them into typed numpy arrays, finds
the bad elements, and broadcasts the way Excel does, so the functions themselves
only see clean vectors and never raise for bad data.

Rules (the same for all functions):

- **number**: ints, floats, bools (TRUE = 1) and numeric text are numbers; a
  blank is 0 as in Excel arithmetic, or the argument's default when it has one;
  other text is ``#VALUE!``; an Excel error string stays that error.
- **date**: serial numbers (1900 system), dates, datetimes, ``datetime64``,
  Timestamps and ISO text; the value passed on is a float serial. A blank is the
  default of an optional argument (NaN: "not given") and ``#VALUE!`` otherwise.
- **text**: stripped strings; a blank is ``""`` (or the default); numbers become
  their text; an Excel error string stays that error.
- **range**: passed on whole (a numpy object array of 0, 1 or 2 dimensions, or
  ``None`` when omitted), not broadcast.

Broadcasting: a 1-D input is a column. Sizes 1 stretch; otherwise the result
has the largest size in each dimension and the cells beyond a smaller input's
size are ``#N/A``, as Excel does for arrays of different sizes. The result is 1-D
when every array input is 1-D, 2-D otherwise, a scalar when all inputs are.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from ilt_xl.core import excel_errors as xe
from ilt_xl.core.serial_dates import datetime64_to_serial, to_serial

NO_ERROR = None


def as_array(value: Any) -> np.ndarray:
    """Any argument shape (scalar, list, list of lists, array, Series) as a numpy array.

    Numeric and datetime arrays keep their dtype; everything else becomes an
    object array. Ragged lists of lists are padded with ``None`` (blank).
    """
    if isinstance(value, (pd.Series, pd.Index)):
        value = value.to_numpy()
    elif isinstance(value, pd.DataFrame):
        value = value.to_numpy(dtype=object)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, (list, tuple)) for row in value):
            width = max(len(row) for row in value)
            out = np.full((len(value), width), None, dtype=object)
            for i, row in enumerate(value):
                out[i, : len(row)] = list(row)
            return out
        out = np.empty(len(value), dtype=object)
        out[:] = list(value)
        return out
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _by_distinct(cell: Callable[[Any], tuple[Any, str | None]], arr: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``cell`` (value -> (result, error or None)) once per distinct element of ``arr``.

    Columns repeat values (currencies, statuses, dates), so reading each
    distinct value once keeps the per-cell Python work small.
    """
    flat = arr.astype(object).reshape(-1)
    codes, uniques = pd.factorize(flat, use_na_sentinel=False)
    results = [cell(u) for u in uniques]
    values = np.array([r for r, _ in results] or [], dtype=dtype)
    errors = np.array([e for _, e in results] or [], dtype=object)
    return values[codes].reshape(arr.shape), errors[codes].reshape(arr.shape)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def _number_cell(blank: float) -> Callable[[Any], tuple[float, str | None]]:
    def cell(value: Any) -> tuple[float, str | None]:
        if _is_blank(value):
            return blank, NO_ERROR
        if xe.is_error(value):
            return np.nan, value
        if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return np.nan, xe.VALUE
        else:
            return np.nan, xe.VALUE
        return (number, NO_ERROR) if np.isfinite(number) else (np.nan, xe.VALUE)

    return cell


def coerce_number(arr: np.ndarray, default: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, object errors) for a number argument; see the module rules."""
    if arr.dtype.kind in "biuf":
        values = arr.astype("float64")
        errors = np.full(arr.shape, NO_ERROR, dtype=object)
        errors[~np.isfinite(values)] = xe.VALUE
        return values, errors
    blank = 0.0 if default is None else float(default)
    try:  # fast path: a column of plain numbers
        values = arr.astype("float64")
    except (TypeError, ValueError):
        return _by_distinct(_number_cell(blank), arr, "float64")
    errors = np.full(arr.shape, NO_ERROR, dtype=object)
    odd = ~np.isfinite(values)  # blanks, NaN or "inf" text: read those cells properly
    if odd.any():
        values[odd], errors[odd] = _by_distinct(_number_cell(blank), arr[odd], "float64")
    return values, errors


def _date_cell(optional: bool) -> Callable[[Any], tuple[float, str | None]]:
    def cell(value: Any) -> tuple[float, str | None]:
        if _is_blank(value):
            return np.nan, (NO_ERROR if optional else xe.VALUE)
        if xe.is_error(value):
            return np.nan, value
        if isinstance(value, (bool, np.bool_)):
            return np.nan, xe.VALUE
        try:
            return to_serial(value), NO_ERROR
        except (ValueError, OverflowError):
            return np.nan, xe.VALUE

    return cell


def coerce_date(arr: np.ndarray, optional: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(float64 serials, object errors) for a date argument; NaN marks an omitted optional date."""
    if arr.dtype.kind == "M":
        serials = datetime64_to_serial(arr)
        errors = np.full(arr.shape, NO_ERROR, dtype=object)
        if not optional:
            errors[np.isnan(serials)] = xe.VALUE
        return serials, errors
    if arr.dtype.kind in "iuf":
        return coerce_number(arr)
    return _by_distinct(_date_cell(optional), arr, "float64")


def _text_cell(default: str) -> Callable[[Any], tuple[str, str | None]]:
    def cell(value: Any) -> tuple[str, str | None]:
        if xe.is_error(value):
            return "", value
        if _is_blank(value):
            return default, NO_ERROR
        if isinstance(value, str):
            return value.strip(), NO_ERROR
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value)), NO_ERROR
        return str(value), NO_ERROR

    return cell


def coerce_text(arr: np.ndarray, default: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(object array of stripped str, object errors) for a text argument."""
    return _by_distinct(_text_cell(default or ""), arr, "object")


def as_2d(arr: np.ndarray) -> np.ndarray:
    """A 0-, 1- or 2-D array as 2-D; a 1-D array is a column."""
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim == 2:
        return arr
    raise ValueError(f"worksheet arguments have at most 2 dimensions, got {arr.ndim}")


def broadcast_shape(arrays: list[np.ndarray]) -> tuple[int, ...]:
    """The result shape of an element-wise call over ``arrays`` (see module rules)."""
    shaped = [a for a in arrays if a.ndim > 0]
    if not shaped:
        return ()
    if all(a.ndim == 1 for a in shaped):
        return (max(a.shape[0] for a in shaped),)
    grids = [as_2d(a).shape for a in shaped]
    return (max(r for r, _ in grids), max(c for _, c in grids))


def stretch(arr: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``arr`` stretched to ``shape`` Excel-style: (values, mask of cells beyond its size)."""
    if shape == ():
        return arr.reshape(()), np.zeros((), dtype=bool)
    if arr.shape == shape:
        return arr, np.zeros(shape, dtype=bool)
    grid = as_2d(arr)
    target = (shape[0], 1) if len(shape) == 1 else shape
    index = []
    outside = np.zeros(target, dtype=bool)
    for axis, (have, want) in enumerate(zip(grid.shape, target)):
        positions = np.arange(want)
        if have == 1:
            index.append(np.zeros(want, dtype=np.intp))
            continue
        beyond = positions >= have
        outside |= beyond.reshape((-1, 1) if axis == 0 else (1, -1))
        index.append(np.minimum(positions, have - 1))
    out = grid[np.ix_(index[0], index[1])]
    return out.reshape(shape), outside.reshape(shape)


def to_result(values: np.ndarray, errors: np.ndarray, shape: tuple[int, ...]) -> Any:
    """Merge values and errors into the worksheet result: a scalar or an object array of ``shape``."""
    out = np.asarray(values).astype(object).reshape(shape)
    errors = np.asarray(errors, dtype=object).reshape(shape)
    failed = errors != NO_ERROR
    out[failed] = errors[failed]
    if shape == ():
        return out[()]
    return out


def errors_where(*conditions: tuple[np.ndarray, str]) -> np.ndarray:
    """Kernel helper: an errors array from ``(mask, code)`` pairs; the first matching pair wins."""
    masks = np.broadcast_arrays(*[np.asarray(mask, dtype=bool) for mask, _ in conditions])
    return np.select(masks, [np.asarray(code, dtype=object) for _, code in conditions], default=NO_ERROR)
