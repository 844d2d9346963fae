"""Date built-ins in Excel's 1900 date system, phantom 1900-02-29 included.

Excel numbers days from 1900-01-01 = 1 and, as Lotus 1-2-3 did, counts a 29 February 1900 that
never was (serial 60). Serials from 61 on are days since 1899-12-30; serials 1..59 are one day
later than that count; 0 is "1900-01-00".
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import re

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins._values import booleans_as_errors, elementwise
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, Val
from ilt_xl.engine.values import ERR, NUM, STR, Block, E_NUM, E_VALUE

_BASE = np.datetime64("1899-12-30", "D")
LAST_SERIAL = 2958465    # 9999-12-31, the last date Excel holds
_LAST = LAST_SERIAL


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


def dates_read(v: Val, ctx: Ctx) -> Val:
    """``v`` with its texts read as VALUE reads them: Excel's date functions take a date written as
    text (YEAR("1/1/1987 05:00 AM") is 1987); a text that is no date stays text (#VALUE!)."""
    b = v.block
    text = b.kind == STR
    if not text.any():
        return v
    got = call_by_name("VALUE", [Val(b)], ctx).block
    if got.shape != b.shape:
        return v
    read = text & (got.kind != ERR)
    kind = np.where(read, got.kind, b.kind).astype(np.int8)
    return Val(Block(kind, np.where(read, got.num, b.num), b.obj), v.per_row, v.ref, v.cells, v.origin)


def _part(which: int):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        def pick(x):
            bad = (x < 0) | (x >= _LAST + 1)
            part = serial_parts(np.where(bad, 0, x))[which].astype(np.float64)
            return np.where(bad, np.nan, part)
        return elementwise(pick, dates_read(args[0], ctx))
    return fn


builtin("YEAR")(_part(0))
builtin("MONTH")(_part(1))
builtin("DAY")(_part(2))


@builtin("TODAY")
def today(args: list[Val], ctx: Ctx) -> Val:
    # the run's date (recalc --today, or the clock), the same for every cell
    return Val(Block.numbers([[ctx.book.today]]))


@builtin("NOW")
def now(args: list[Val], ctx: Ctx) -> Val:
    return Val(Block.numbers([[ctx.book.now]]))


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


_PLAIN_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _texts_of_numbers(b: Block) -> np.ndarray:
    """Where a block holds text that is a plain number ("1.25")."""
    out = np.zeros(b.shape, bool)
    for i, j in zip(*np.nonzero(b.kind == STR)):
        out[i, j] = _PLAIN_NUMBER.fullmatch(str(b.obj[i, j])) is not None
    return out


def _text_value(name: str):
    """DATEVALUE/TIMEVALUE read a date or a time written as text; a text that is a plain number
    is neither (TIMEVALUE("1.25") is #VALUE!, where HOUR("1.25") reads the number 1.25). The
    reading itself is the `formulas` library's."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        got = call_formulas(name, args, ctx)
        if len(args) != 1:
            return got
        plain = _texts_of_numbers(args[0].block)
        if not plain.any():
            return got
        b = got.block
        plain = np.broadcast_to(plain, b.shape)
        obj = b.obj.copy()
        obj[plain] = E_VALUE
        return Val(Block(np.where(plain, ERR, b.kind).astype(np.int8), np.where(plain, 0.0, b.num), obj),
                   got.per_row)
    return fn


builtin("DATEVALUE")(_text_value("DATEVALUE"))
builtin("TIMEVALUE")(_text_value("TIMEVALUE"))


# ---- EDATE ---------------------------------------------------------------------------------------------

_DAY_ZERO = dt.date(1899, 12, 31)       # serial 1 is 1900-01-01; from 61 on, one day less (the phantom day)


def _edate_serial(start: float, months: float) -> float | None:
    """EDATE of two numbers as the `formulas` library computes it, or None where its rules are
    not this plain (serial 0 or 60, beyond 2958465, a result outside 1900-9999): the start's whole
    days, the months truncated toward zero, the day kept or cut to the last of the month."""
    s = int(start)
    if not (1 <= s <= LAST_SERIAL) or s == 60:
        return None
    day = _DAY_ZERO + dt.timedelta(days=s - 1 if s > 60 else s)
    total = day.year * 12 + day.month - 1 + math.trunc(months)
    year, month = divmod(total, 12)
    month += 1
    if not 1900 <= year <= 9999:
        return None
    got = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return float((got - _DAY_ZERO).days + (got >= dt.date(1900, 3, 1)))


@builtin("EDATE")
def edate(args: list[Val], ctx: Ctx) -> Val:
    """EDATE(start_date, months): the date ``months`` months from the start. Numbers are computed
    here; anything else (text, logicals, errors, empty cells, areas, the edges of the calendar)
    goes to the `formulas` library as before, so the results are the ones it gave, without
    importing it for the planner's plain dates (tests/engine/builtins/test_builtins_dates.py
    compares both on random numbers)."""
    if len(args) == 2 and all(a.shape == ((ctx.n, 1) if a.per_row else (1, 1)) for a in args) \
            and all((a.block.kind == NUM).all() for a in args):
        n = ctx.n if any(a.per_row for a in args) else 1
        starts, months = (np.broadcast_to(a.block.num[:, 0], n).tolist() for a in args)
        got = [_edate_serial(x, m) for x, m in zip(starts, months)]
        if None not in got:
            return Val(Block.numbers(np.array(got).reshape(-1, 1)), any(a.per_row for a in args))
    return call_formulas("EDATE", args, ctx)




# ---- YEARFRAC ------------------------------------------------------------------------------------------

def _leap(year: np.ndarray) -> np.ndarray:
    """Leap years of Excel's calendar, which has a 29 February 1900."""
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0) | (year == 1900)


def _end_of_february(month: np.ndarray, day: np.ndarray, year: np.ndarray) -> np.ndarray:
    return (month == 2) & (day == np.where(_leap(year), 29, 28))


def _days_360(y1, m1, d1, y2, m2, d2) -> np.ndarray:
    return (y2 - y1) * 360.0 + (m2 - m1) * 30.0 + (d2 - d1)


def days_30_360(s1, s2, european: bool = False) -> np.ndarray:
    """Days from ``s1`` to ``s2`` counted 30/360. US (NASD, basis 0) as YEARFRAC and the bond
    functions apply it: the end of February counts as the 30th (for the end date only when the
    start is one too), a 31st end date becomes the 30th when the start is the 30th or 31st, a 31st
    start becomes the 30th. European (basis 4): every 31st is the 30th."""
    y1, m1, d1 = serial_parts(s1)
    y2, m2, d2 = serial_parts(s2)
    if european:
        return _days_360(y1, m1, np.minimum(d1, 30), y2, m2, np.minimum(d2, 30))
    feb1, feb2 = _end_of_february(m1, d1, y1), _end_of_february(m2, d2, y2)
    d2 = np.where(feb1 & feb2, 30, d2)
    d1 = np.where(feb1, 30, d1)
    d2 = np.where((d2 == 31) & (d1 >= 30), 30, d2)
    d1 = np.where(d1 == 31, 30, d1)
    return _days_360(y1, m1, d1, y2, m2, d2)


def _us_30_360(s1, s2) -> np.ndarray:
    return days_30_360(s1, s2) / 360.0


def _european_30_360(s1, s2) -> np.ndarray:
    return days_30_360(s1, s2, european=True) / 360.0


def _real_dates(serial: np.ndarray) -> np.ndarray:
    """Serials as calendar dates (datetime64[D]); the phantom 29 February 1900 is 1 March."""
    return _BASE + np.where(serial < 60, serial + 1, serial).astype(np.int64)


def _ymd(dates: np.ndarray):
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, day


def _actual_actual(s1, s2) -> np.ndarray:
    """Basis 1, on the real calendar (1900 is not a leap year here, unlike Excel's serials): within
    a year (start to the same day a year later at most) the days over 366 when a 29 February lies
    between the dates (or both are in one leap year), else 365; over more years, the days over the
    average length of the calendar years the dates span."""
    d1, d2 = _real_dates(s1), _real_dates(s2)
    (y1, m1, dd1), (y2, m2, dd2) = _ymd(d1), _ymd(d2)
    leap1, leap2 = _real_leap(y1), _real_leap(y2)
    within = (y1 == y2) | ((y2 == y1 + 1) & ((m1 > m2) | ((m1 == m2) & (dd1 >= dd2))))
    feb29_1 = leap1 & ((m1 < 2) | ((m1 == 2) & (dd1 <= 29)))
    feb29_2 = leap2 & ((m2 > 2) | ((m2 == 2) & (dd2 == 29)))
    one_year = np.where(y1 == y2, np.where(leap1, 366.0, 365.0), np.where(feb29_1 | feb29_2, 366.0, 365.0))
    span = (_year_start(y2 + 1) - _year_start(y1)).astype(np.float64) / (y2 - y1 + 1.0)
    days = (d2 - d1).astype(np.float64)
    return days / np.where(within, one_year, span)


def _real_leap(year: np.ndarray) -> np.ndarray:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def _year_start(year: np.ndarray) -> np.ndarray:
    return (np.clip(year, 1, 10000) - 1970).astype("datetime64[Y]").astype("datetime64[D]")


_BASES = (_us_30_360, _actual_actual, lambda s1, s2: (s2 - s1) / 360.0,
          lambda s1, s2: (s2 - s1) / 365.0, _european_30_360)


@builtin("YEARFRAC")
def yearfrac(args: list[Val], ctx: Ctx) -> Val:
    """YEARFRAC(start, end, [basis]): the dates are truncated and taken in order; Excel checks the
    basis first (its error, then #NUM! outside 0..4), then the dates (their errors, then #NUM!
    outside 0..9999-12-31); TRUE/FALSE are #VALUE!, and so is a range or an array (an Analysis
    ToolPak function: Excel does not apply it per element)."""
    if len(args) not in (2, 3) or any(a.shape != (1, 1) and not a.per_row for a in args):
        return Val(Block.errors((1, 1), E_VALUE))       # a range or an array is #VALUE!, not lifted
    basis = dates_read(args[2], ctx) if len(args) == 3 else Val(Block.numbers([[0.0]]))
    start, end = dates_read(args[0], ctx), dates_read(args[1], ctx)

    def compute(b, s, e):
        b, s, e = np.trunc(b), np.trunc(s), np.trunc(e)
        bad = (b < 0) | (b > 4) | (s < 0) | (s > _LAST) | (e < 0) | (e > _LAST)
        b = np.where(bad, 0, b).astype(np.int64)
        s1, s2 = np.where(bad, 0, np.minimum(s, e)), np.where(bad, 0, np.maximum(s, e))
        out = np.select([b == k for k in range(5)], [f(s1, s2) for f in _BASES])
        return np.where(bad, np.nan, out)

    result = elementwise(compute, basis, start, end, booleans=False)
    # a basis outside 0..4 is #NUM! even when a date is an error: Excel checks the basis first
    num, mask, _ = booleans_as_errors(basis.block, *co.to_numbers(basis.block))
    wrong = (np.trunc(num) < 0) | (np.trunc(num) > 4)
    if mask is not None:
        wrong &= ~mask
    if wrong.any():
        wrong = np.broadcast_to(wrong, result.shape)
        result.block.kind[wrong] = ERR
        result.block.obj[wrong] = E_NUM
    return result
