"""Date built-ins in Excel's 1900 date system, phantom 1900-02-29 included.

Excel numbers days from 1900-01-01 = 1 and, as Lotus 1-2-3 did, counts a 29 February 1900 that
never was (serial 60). Serials from 61 on are days since 1899-12-30; serials 1..59 are one day
later than that count; 0 is "1900-01-00".
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.builtins._values import elementwise
from ilt_xl.engine.evaluator import Ctx, Val

_BASE = np.datetime64("1899-12-30", "D")
_LAST = 2958465          # 9999-12-31


def serial_parts(serial: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of whole serials (0 <= serial <= 2958465) as Excel shows them."""
    s = np.floor(serial).astype(np.int64)
    days = np.where(s < 60, s + 1, s)                   # before the phantom day: one day later
    dates = _BASE + days
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    year = np.where(s == 0, 1900, year)
    month = np.where(s == 0, 1, np.where(s == 60, 2, month))
    day = np.where(s == 0, 0, np.where(s == 60, 29, day))
    return year, month, day


def _part(which: int):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        def pick(x):
            bad = (x < 0) | (x >= _LAST + 1)
            part = serial_parts(np.where(bad, 0, x))[which].astype(np.float64)
            return np.where(bad, np.nan, part)
        return elementwise(pick, args[0])
    return fn


builtin("YEAR")(_part(0))
builtin("MONTH")(_part(1))
builtin("DAY")(_part(2))


def date_serial(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """DATE's serial (NaN where Excel gives #NUM!): years 0..1899 are 1900 + year, months and days
    overflow into the next ones, and February 1900 has the phantom 29th."""
    y, m, d = np.broadcast_arrays(np.trunc(year), np.trunc(month), np.trunc(day))
    y = np.where((y >= 0) & (y < 1900), y + 1900, y)
    bad = (y < 0) | (y > 9999)
    months = (np.where(bad, 1970, y) - 1970) * 12 + (m - 1)
    months = np.clip(months, -2_000_000, 2_000_000).astype(np.int64)
    first = (months.astype("datetime64[M]").astype("datetime64[D]") - _BASE).astype(np.float64)
    first = np.where(first < 61, first - 1, first)      # the month starts before the phantom day
    serial = first + d - 1
    return np.where(bad | (serial < 0) | (serial > _LAST), np.nan, serial)


@builtin("DATE")
def date(args: list[Val], ctx: Ctx) -> Val:
    return elementwise(date_serial, args[0], args[1], args[2])


