"""Workbooks in the 1904 date system (``<workbookPr date1904="1">``, Mac Excel's old default).

Their serials count days from 1904-01-01 = 0, 1,462 days fewer than the 1900 system's for the
same day. The built-ins compute in the 1900 system, so for such a workbook the dispatcher shifts
the date arguments of date functions up by 1,462 and their date results back down (ILT_* functions
through :mod:`ilt_xl.functions.date_system`, which also moves the dates inside their ranges):
``=DATE(2024,1,1)`` is 43,830 in a 1904 workbook, ``=YEAR(0)`` is 1904, ``=WORKDAY(...)`` counts
the right weekdays. Durations (``=B1-A1``), times and everything else need no shift; TODAY()
and NOW() are given in the workbook's system by :class:`~ilt_xl.engine.evaluator.Book`.
"""
from __future__ import annotations

import re

import numpy as np

from ilt_xl.engine.evaluator import Ctx, Val
from ilt_xl.engine.values import NUM, STR, Block

SHIFT_1904 = 1462       # serial of 1904-01-01 in the 1900 system

# function -> (positions of its date arguments, whether its result is a date)
_DATE_FUNCTIONS: dict[str, tuple[tuple[int, ...], bool]] = {
    "DATE": ((), True), "DATEVALUE": ((), True),
    "YEAR": ((0,), False), "MONTH": ((0,), False), "DAY": ((0,), False), "WEEKDAY": ((0,), False),
    "WEEKNUM": ((0,), False), "ISOWEEKNUM": ((0,), False),
    "EDATE": ((0,), True), "EOMONTH": ((0,), True),
    "WORKDAY": ((0, 2), True), "WORKDAY.INTL": ((0, 3), True),
    "NETWORKDAYS": ((0, 1, 2), False), "NETWORKDAYS.INTL": ((0, 1, 3), False),
    "DATEDIF": ((0, 1), False), "YEARFRAC": ((0, 1), False), "DAYS360": ((0, 1), False), "DAYS": ((0, 1), False),
}
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def date_function(name: str) -> tuple[tuple[int, ...], bool] | None:
    """(date argument positions, returns a date) of the built-in ``name`` when the 1904 system concerns it.
    ILT_* functions move their own dates, those in ranges included (:mod:`ilt_xl.functions.date_system`)."""
    return _DATE_FUNCTIONS.get(name)


def shift(val: Val, by: float) -> Val:
    """``val`` with its numbers moved by ``by`` days (text, booleans, errors and blanks unchanged)."""
    b = val.block
    num = np.where(b.kind == NUM, b.num + by, b.num)
    return Val(Block(b.kind, num, b._obj), val.per_row)


_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.I)


def _shows_a_date(code: str) -> bool:
    """Whether a TEXT format shows a date: d, m or y outside quotes (m beside h or s is minutes,
    which a whole-day shift leaves alone anyway). An elapsed time ([h]:mm:ss) counts days from
    serial 0 in either system, so it is a date only with d or y beside it."""
    plain = _QUOTED.sub("", code)
    return bool(re.search(r"[dy]" if _ELAPSED.search(code) else r"[dmy]", plain, re.I))


def _text_dates(value: Val, fmt: Val) -> Val | None:
    """TEXT's value with its numbers moved into the 1900 system where its format (element by
    element: a column of formats is common) shows a date; None when no format does. A format
    that is no text (TEXT(x,0)) shows no date."""
    b = fmt.block
    dates = np.zeros(b.shape, bool)
    for idx in zip(*np.nonzero(b.kind == STR)):
        dates[idx] = _shows_a_date(str(b.obj[idx]))
    if not dates.any():
        return None
    v = value.block
    shape = np.broadcast_shapes(v.shape, b.shape)
    kind, num = np.broadcast_to(v.kind, shape), np.broadcast_to(v.num, shape)
    obj = None if v._obj is None else np.broadcast_to(v._obj, shape).copy()
    moved = np.where((kind == NUM) & np.broadcast_to(dates, shape), num + SHIFT_1904, num)
    return Val(Block(kind.copy(), moved, obj), value.per_row or fmt.per_row)


def call_in_1904(name: str, args: list[Val], ctx: Ctx, call) -> Val:
    """``call(args)`` for a workbook in the 1904 system: date arguments in, date results out shifted."""
    if name == "TEXT" and len(args) >= 2:
        moved = _text_dates(args[0], args[1])
        return call(args if moved is None else [moved, *args[1:]])
    plan = date_function(name)
    if plan is None:
        return call(args)
    positions, returns_date = plan
    moved = [shift(a, SHIFT_1904) if i in positions else a for i, a in enumerate(args)]
    result = call(moved)
    return shift(result, -SHIFT_1904) if returns_date else result
