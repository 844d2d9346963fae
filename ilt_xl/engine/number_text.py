"""How Excel reads a number written as text: in arithmetic and in the arguments of functions that
take numbers (``="2024-01-10"+0`` is 45301, ``"1,000"*2`` is 2000, ``"50%"+0`` is 0.5,
``"12:00"+0`` is 0.5), and in VALUE.

A plain number may have spaces around it (``" 10 "``); Python's own spellings that Excel does not
read (``nan``, ``inf``, ``1_000``, digits of other scripts) are no number. A date is read in the
United States order (month/day/year), or year first when the year has four digits, with month
names in English (a first number past 12 is the day: 29/02/1900, as Excel in a day-month-year
locale reads it); its year runs 1900-9999 (two digits: 00-29 are 20xx, 30-99 19xx); a date may
carry a time. Dates are serials of the 1900 system, Excel's phantom 1900-02-29 (serial 60)
included.
"""
from __future__ import annotations

import calendar
import re

_TIME_TEXT = re.compile(r"\s*(\d+):(\d+)(?::(\d+))?(\.\d*)?\s*$")


def parse_time_text(text: str) -> float | None:
    """Days of a text that is only a time, by Excel's reading: h:m (m up to 9999 below 24 hours),
    h:m:s (m below 60, s up to 9999), m:s.f (a decimal second: m below 60, s up to 9999).
    None when the text is no such time."""
    found = _TIME_TEXT.match(text)
    if found is None:
        return None
    a, b, c, dot = found.groups()
    a, b = int(a), int(b)
    fraction = float(dot) if dot and len(dot) > 1 else 0.0
    if c is not None:
        c = int(c)
        if b >= 60 or c > 9999:
            return None
        return (a * 3600 + b * 60 + c + fraction) / 86400
    if dot and len(dot) > 1:                 # 59:9999.5 is minutes and seconds
        if a >= 60 or b > 9999:
            return None
        return (a * 60 + b + fraction) / 86400
    if b > 9999 or (a >= 24 and b >= 60):     # 23:99 is 1:39 the next day; 24:99 is no time
        return None
    return (a * 60 + b) / 1440


def looks_like_time(text: str) -> bool:
    """Whether the text has the shape of a time (digits and colons), read or not."""
    return _TIME_TEXT.match(text) is not None or bool(re.fullmatch(r"\s*[\d.:]*:[\d.:]*\s*", text))


# a number as text: sign, currency, thousands in groups of three, decimals, exponent, percent
_NUMBER_TEXT = re.compile(r"\s*([+-]?)\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?(?:[eE]([+-]?\d+))?\s*(%?)\s*")


# the date of a text written with numbers (7/5/1987, 1987-05-07), its three parts
_NUMERIC_DATE = re.compile(r"\s*(\d+)([/-])(\d+)\2(\d+)(?![\d/-])")


def own_reading(text: str) -> float | None | bool:
    """What Excel reads in a time-only text, or a number with thousands separators, a currency
    sign or a percent (None: no number); False leaves the text to the `formulas` library
    (plain numbers, dates)."""
    if looks_like_time(text):
        return parse_time_text(text)
    date = _NUMERIC_DATE.match(text)
    if date is not None and any(len(g) > 2 and not 1900 <= int(g) <= 9999 for g in date.groups()):
        return None             # "7/5/1800": Excel reads no year before 1900 or after 9999 in a text
    found = _NUMBER_TEXT.fullmatch(text)
    if found is None or not set(text) & set(",%$"):
        return False
    sign, whole, decimals, exponent, percent = found.groups()
    if not whole and not (decimals and len(decimals) > 1):
        return False
    x = float(whole.replace(",", "") + (decimals or "")) * 10.0 ** int(exponent or 0)
    return (-x if sign == "-" else x) / (100.0 if percent else 1.0)


# ---- dates -------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = r"([A-Za-z]{3,9})\.?"
_TIME_PART = r"(?:\s+(\d{1,2}(?::\d{1,2}){1,2}(?:\.\d+)?|\d{1,2}(?::\d{1,2}){0,2}(?:\.\d+)?\s*[AaPp][Mm]))?"
# year first (2024-01-10, 2024/1/10); month first (1/10/2024, 1-10-24); with month names
_DATES = [
    (re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})" + _TIME_PART), "ymd"),
    (re.compile(r"(\d{1,2})([-/])(\d{1,2})\2(\d{2}|\d{4})" + _TIME_PART), "mdy"),
    (re.compile(r"(\d{1,2})([- ])" + _MONTH + r"\2(\d{2}|\d{4})" + _TIME_PART), "dMy"),
    (re.compile(_MONTH + r"( )(\d{1,2}),?\s+(\d{4})" + _TIME_PART), "Mdy"),
]
_AM_PM = re.compile(r"(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}(?:\.\d+)?))?\s*([AaPp])[Mm]")


def date_serial(year: int, month: int, day: int) -> float | None:
    """The 1900-system serial of a calendar date, None when there is no such day (1900-02-29 is 60)."""
    if not (1900 <= year <= 9999 and 1 <= month <= 12):
        return None
    if (year, month, day) == (1900, 2, 29):
        return 60.0
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    import datetime as dt
    days = (dt.date(year, month, day) - dt.date(1899, 12, 31)).days
    return float(days + (1 if days >= 60 else 0))


def _time_of_day(text: str | None) -> float | None:
    """Days of the time that follows a date (13:45, 13:45:30, 1:45 PM), 0 without one."""
    if not text:
        return 0.0
    found = _AM_PM.fullmatch(text.strip())
    if found is None:
        return parse_time_text(text)
    h, m, s, half = found.groups()
    h, m, s = int(h), int(m or 0), float(s or 0)
    if not 0 <= h <= 12 or m >= 60 or s >= 60:
        return None
    h = h % 12 + (12 if half.lower() == "p" else 0)
    return (h * 3600 + m * 60 + s) / 86400


def date_in_text(text: str) -> float | None:
    """The serial of a text that is a date (and maybe a time), None when it is no date. Excel reads
    no spaces around a date (" 2024-01-10 " is no number, where " 10 " is 10)."""
    for pattern, order in _DATES:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        a, _, b, c, time = found.groups()
        if order == "ymd":
            y, m, d = int(a), int(b), int(c)
        elif order == "mdy":
            m, d, y = int(a), int(b), int(c)
            if m > 12 >= d:     # 29/02/1900: a day first, as a day-month-year locale reads it
                m, d = d, m
        elif order == "dMy":
            d, m, y = int(a), _MONTHS.get(b.lower()), int(c)
        else:
            m, d, y = _MONTHS.get(a.lower()), int(b), int(c)
        if m is None:
            return None
        if y < 100:
            y += 2000 if y < 30 else 1900
        day, fraction = date_serial(y, m, d), _time_of_day(time)
        return None if day is None or fraction is None else day + fraction
    return None


# ---- any number ----------------------------------------------------------------------------------------

_PLAIN = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_DIGIT = re.compile(r"[0-9]")


def number_in_text(text: str) -> float | None:
    """The number Excel reads in ``text`` where a number is expected, or None (#VALUE!)."""
    if _PLAIN.fullmatch(text):
        x = float(text)
        return x if x - x == 0 else None        # 1E+400 is no number Excel can hold
    if _DIGIT.search(text) is None:
        return None
    own = own_reading(text)
    if own is not False:
        return own
    if _AM_PM.fullmatch(text.strip()):
        return _time_of_day(text)
    return date_in_text(text)
