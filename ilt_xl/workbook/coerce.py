"""Turn a column of raw cell values (as calamine reads them) into a typed column.

Each schema :class:`~ilt_xl.schema.ColumnType` has one rule. The result keeps
masks of blank cells and of cells of the wrong type, so the reader can report
the latter with their raw value. Work is done per column with numpy masks.

Typed results:
  int                  pandas ``Int64`` (nullable)
  number/money/percent ``float64``, blank = NaN
  date                 ``datetime64[ns]``, blank = NaT (real dates, and serials of 1950-2199)
  time                 ``timedelta64[ns]`` since midnight, blank = NaT
  bool                 pandas ``boolean``
  text/id/currency/country  ``object`` of ``str``, blank = ``""``; numbers typed into an
                       id column become their text (101.0 -> "101"); "NA" stays "NA".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ilt_xl.core.serial_dates import DATE1904_OFFSET, serial_to_datetime64
from ilt_xl.schema import ColumnType

# A bare number in a date column is taken as a serial only if it is a plausible planner date
# (1950-01-01 .. 2199-12-31); 5 or 20240101 is a typing slip, not a date.
_FIRST_SERIAL, _LAST_SERIAL = 18_264.0, 109_574.0
_EXACT_INT = 2.0 ** 53
_FIRST_NS = np.datetime64(pd.Timestamp.min.ceil("D").date(), "us")
_LAST_NS = np.datetime64(pd.Timestamp.max.floor("D").date(), "us")
_type_of = np.frompyfunc(type, 1, 1)


@dataclass(frozen=True)
class Coerced:
    """A typed column with ``blank`` and ``wrong`` masks (wrong = not blank, yet not of the type);
    ``why`` holds, where ``wrong``, a short reason such as ``"the cell holds text"``."""

    values: object
    blank: np.ndarray
    wrong: np.ndarray
    why: np.ndarray


def coerce(raw: np.ndarray, kind: ColumnType, date1904: bool = False) -> Coerced:
    """Type ``raw`` (1-D object array of calamine values) as ``kind``; ``date1904``: a bare serial in
    a date column counts days from 1904-01-01 (the workbook's date system), not from 1899-12-30."""
    raw = np.asarray(raw, dtype=object)
    types = _type_of(raw) if raw.size else np.empty(0, dtype=object)
    is_str = types == str
    blank = is_str & (raw == "")
    why = np.full(raw.shape, "", dtype=object)
    if kind.is_numeric:
        return _numeric(raw, types, blank, why, kind is ColumnType.INT)
    if kind is ColumnType.DATE:
        return _date(raw, types, blank, why, DATE1904_OFFSET if date1904 else 0)
    if kind is ColumnType.TIME:
        return _time(raw, types, blank, why)
    if kind is ColumnType.BOOL:
        is_bool = types == bool
        wrong = ~blank & ~is_bool
        why[wrong] = "the cell does not hold TRUE or FALSE"
        values = pd.array(np.where(is_bool, raw, None), dtype="boolean")
        return Coerced(values, blank, wrong, why)
    return Coerced(_text(raw, is_str), blank, np.zeros(raw.shape, bool), why)


def first_value(typed: Coerced) -> object:
    """The first value of ``typed`` as both readers (file and open book) hand a setting to the core:
    a ``pandas.Timestamp`` for a date, an ``int`` for a whole number, else the value as typed."""
    value = typed.values[0]
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _numeric(raw, types, blank, why, whole: bool) -> Coerced:
    is_num = (types == float) | (types == int)
    values = np.full(raw.shape, np.nan)
    values[is_num] = raw[is_num].astype("float64")
    wrong = ~blank & ~is_num
    why[wrong & (types == str)] = "the cell holds text"
    why[wrong & (types == bool)] = "the cell holds TRUE/FALSE"
    why[wrong & ((types == dt.date) | (types == dt.datetime))] = "the cell holds a date"
    why[wrong & ((types == dt.time) | (types == dt.timedelta))] = "the cell holds a time"
    not_finite = is_num & ~np.isfinite(values)
    why[not_finite] = "the cell holds NaN or infinity"
    wrong |= not_finite
    if whole:
        fraction = is_num & ~not_finite & ((values != np.round(values)) | (np.abs(values) > _EXACT_INT))
        why[fraction] = "the cell holds a fraction"
        wrong |= fraction
    values[wrong] = np.nan
    typed = pd.array(values, dtype="Float64").astype("Int64") if whole else values
    return Coerced(typed, blank, wrong, why)


def _date(raw, types, blank, why, offset: int) -> Coerced:
    is_date = (types == dt.date) | (types == dt.datetime)
    is_num = (types == float) | (types == int)
    serial = np.full(raw.shape, np.nan)
    serial[is_num] = raw[is_num].astype("float64") + offset   # as a 1900-system serial
    is_serial = is_num & (serial >= _FIRST_SERIAL) & (serial <= _LAST_SERIAL)
    values = np.full(raw.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    if is_serial.any():
        values[is_serial] = serial_to_datetime64(serial[is_serial]).astype("datetime64[ns]")
    beyond = np.zeros(raw.shape, bool)
    if is_date.any():
        # numpy holds any date of Excel's (to 9999-12-31) in microseconds; pandas' nanoseconds end in 2262
        exact = np.array(raw[is_date].tolist(), dtype="datetime64[us]")
        fits = (exact >= _FIRST_NS) & (exact <= _LAST_NS)
        beyond[np.flatnonzero(is_date)[~fits]] = True
        values[np.flatnonzero(is_date)[fits]] = exact[fits].astype("datetime64[ns]")
        is_date &= ~beyond
    wrong = ~blank & ~is_date & ~is_serial
    why[wrong & (types == str)] = "the cell holds text that looks like a date, not a real date"
    why[wrong & is_num] = "the number is not a date serial"
    why[wrong & (types == bool)] = "the cell holds TRUE/FALSE"
    why[wrong & ((types == dt.time) | (types == dt.timedelta))] = "the cell holds a time without a date"
    why[beyond] = (f"the date is outside {_FIRST_NS.astype('datetime64[D]')} to {_LAST_NS.astype('datetime64[D]')}, "
                   "the dates ilt-xl computes with (an open end such as 9999-12-31 cannot be costed: give the real date)")
    return Coerced(values, blank, wrong, why)


def _seconds(value: object) -> float:
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return value.total_seconds()


_seconds_of = np.frompyfunc(_seconds, 1, 1)


_DAY_ZERO = dt.date(1899, 12, 30)  # serial 0: a time-only cell read as a datetime (xlwings) carries this date


def _time(raw, types, blank, why) -> Coerced:
    is_clock = (types == dt.time) | (types == dt.timedelta)
    is_datetime = types == dt.datetime
    if is_datetime.any():
        is_datetime[is_datetime] = np.array([v.date() == _DAY_ZERO for v in raw[is_datetime]], dtype=bool)
    is_num = (types == float) | (types == int)
    seconds = np.full(raw.shape, np.nan)
    if is_clock.any():
        seconds[is_clock] = _seconds_of(raw[is_clock]).astype("float64")
    if is_datetime.any():
        seconds[is_datetime] = _seconds_of(np.array([v.time() for v in raw[is_datetime]], dtype=object)).astype("float64")
        is_clock = is_clock | is_datetime
    fraction = np.full(raw.shape, np.nan)
    fraction[is_num] = raw[is_num].astype("float64")
    is_fraction = is_num & (fraction >= 0) & (fraction < 1)
    seconds[is_fraction] = fraction[is_fraction] * 86400.0
    ok = (is_clock & (seconds >= 0) & (seconds < 86400)) | is_fraction
    seconds[~ok] = np.nan
    wrong = ~blank & ~ok
    why[wrong] = "the cell does not hold a time of day"
    why[wrong & (types == str)] = "the cell holds text, not a real time"
    # built by hand: pandas' float-to-timedelta path multiplies the NaN of blank cells and may
    # warn of an overflow
    values = np.full(raw.shape, np.timedelta64("NaT", "ns"))
    values[ok] = (np.round(seconds[ok]).astype(np.int64) * 1_000_000_000).astype("m8[ns]")
    return Coerced(values, blank, wrong, why)


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < _EXACT_INT else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()     # a date as the file holds it, whether read as a date or a datetime
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_text_of = np.frompyfunc(_as_text, 1, 1)


def _text(raw: np.ndarray, is_str: np.ndarray) -> np.ndarray:
    out = raw
    if not is_str.all():
        out = raw.copy()
        others = ~is_str
        out[others] = _text_of(raw[others])
    # Each distinct text held once: calamine makes an object per cell (a session's id on each of its
    # Enrolments rows, "Confirmed" on each session), and a column holds far fewer distinct texts.
    codes, distinct = pd.factorize(out)
    return distinct.take(codes)
