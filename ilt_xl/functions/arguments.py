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

import datetime as dt
from typing import Any

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


def _map(func: Any, arr: np.ndarray) -> np.ndarray:
    """``func`` applied to each element, as an object array of the same shape (also for 0-d)."""
    return np.asarray(np.frompyfunc(func, 1, 1)(arr), dtype=object)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _blank_mask(arr: np.ndarray) -> np.ndarray:
    if arr.dtype != object:
        return np.zeros(arr.shape, dtype=bool)
    return _map(lambda v: v is None or (isinstance(v, str) and v.strip() == ""), arr).astype(bool)


def _error_codes(arr: np.ndarray) -> np.ndarray:
    """Object array: the Excel error string where ``arr`` holds one, else None."""
    errors = np.full(arr.shape, NO_ERROR, dtype=object)
    if arr.dtype == object:
        mask = xe.error_mask(arr)
        errors[mask] = arr[mask]
    return errors


def _number_of(value: Any) -> float | str:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if np.isfinite(value) else xe.VALUE
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return xe.VALUE
        return number if np.isfinite(number) else xe.VALUE
    return xe.VALUE


def coerce_number(arr: np.ndarray, default: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, object errors) for a number argument; see the module rules."""
    if arr.dtype.kind in "biuf":
        values = arr.astype("float64")
        errors = np.full(arr.shape, NO_ERROR, dtype=object)
        errors[~np.isfinite(values)] = xe.VALUE
        return values, errors
    arr = arr.astype(object)
    errors = _error_codes(arr)
    blank = _blank_mask(arr)
    parsed = _map(_number_of, np.where(blank | (errors != NO_ERROR), 0.0, arr))
    bad = _map(_is_text, parsed).astype(bool)
    errors = np.where(bad & (errors == NO_ERROR), xe.VALUE, errors)
    values = np.where(bad, np.nan, parsed).astype("float64")
    values[blank] = 0.0 if default is None else default
    values[errors != NO_ERROR] = np.nan
    return values, errors


def _serial_of(value: Any) -> float | str:
    if isinstance(value, (dt.date, np.datetime64, pd.Timestamp, str, int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        try:
            return to_serial(value)
        except (ValueError, OverflowError):
            return xe.VALUE
    return xe.VALUE


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
    arr = arr.astype(object)
    errors = _error_codes(arr)
    blank = _blank_mask(arr)
    parsed = _map(_serial_of, np.where(blank | (errors != NO_ERROR), 0.0, arr))
    bad = _map(_is_text, parsed).astype(bool)
    errors = np.where(bad & (errors == NO_ERROR), xe.VALUE, errors)
    if not optional:
        errors = np.where(blank & (errors == NO_ERROR), xe.VALUE, errors)
    values = np.where(bad, np.nan, parsed).astype("float64")
    values[blank | (errors != NO_ERROR)] = np.nan
    return values, errors


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def coerce_text(arr: np.ndarray, default: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(object array of stripped str, object errors) for a text argument."""
    arr = arr.astype(object)
    errors = _error_codes(arr)
    values = _map(_text_of, arr)
    if default is not None:
        values[values == ""] = default
    values[errors != NO_ERROR] = ""
    return values, errors


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
