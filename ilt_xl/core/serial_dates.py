"""Excel 1900-system serial numbers and numpy dates.

Excel counts days from 1899-12-30 (the 1900 leap-year bug makes serials from
1 March 1900 on line up with that origin), so serial 45292 is 2024-01-01.
Serials before 61 (January and February 1900) are not supported: no planner
holds such dates.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
DATE1904_OFFSET = 1462
"""Days from 1899-12-30 to 1904-01-01: a workbook saved with ``date1904`` (Mac Excel's old default)
stores each date as its 1900-system serial minus this."""
# the dates Excel can show (serials 1 to 2,958,465); outside them a date result is #NUM!
FIRST_DATE = np.datetime64("1900-01-01", "D")
LAST_DATE = np.datetime64("9999-12-31", "D")


def serial_to_datetime64(serials: np.ndarray) -> np.ndarray:
    """Whole-day serial numbers (any numeric array) to ``datetime64[D]``; NaN gives NaT."""
    serials = np.asarray(serials, dtype="float64")
    days = np.floor(serials)
    out = np.full(serials.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = np.isfinite(days)
    out[ok] = EXCEL_EPOCH + days[ok].astype("int64")
    return out


def datetime64_to_serial(dates: np.ndarray) -> np.ndarray:
    """``datetime64`` values to float serial numbers; NaT gives NaN."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    out = (dates - EXCEL_EPOCH).astype("int64").astype("float64")
    out[np.isnat(dates)] = np.nan
    return out


def to_serial(value: object) -> float:
    """One date-like value (serial, date, datetime, Timestamp, ISO text) to a serial number.

    Raises ``ValueError`` for anything that is not a date.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not np.isfinite(value):
            raise ValueError(f"not a date: {value!r}")
        return float(value)
    if isinstance(value, (dt.date, np.datetime64, pd.Timestamp, str)):
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            raise ValueError(f"not a date: {value!r}")
        if ts.tzinfo is not None:  # Excel dates have no zone: keep the wall time, as xlwings does with "...Z"
            ts = ts.tz_localize(None)
        return float((ts.normalize() - pd.Timestamp("1899-12-30")).days) + (
            ts - ts.normalize()
        ).total_seconds() / 86400.0
    raise ValueError(f"not a date: {value!r}")
