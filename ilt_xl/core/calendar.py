"""Working days and due dates in a country's calendar.

A working day is Monday to Friday minus the country's public holidays, as the
``holidays`` package knows them (ISO 3166 alpha-2 codes such as "DE", "FR",
"NA" for Namibia; "DE-BY" selects a subdivision). A blank country has no
holidays. Counting follows Excel's NETWORKDAYS and stepping its WORKDAY, so the
planner's native formulas and these functions agree.

Everything is vectorised with numpy's business-day functions; each country's
holiday array and business-day calendar are built once per process and year
range.
"""
from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import pandas as pd

from ilt_xl.core.serial_dates import FIRST_DATE, LAST_DATE

# Holidays are loaded for the years the dates touch, widened by this many years
# on each side so that cached calendars are reused across nearby calls.
_YEAR_MARGIN = 2


class UnknownCountry(ValueError):
    """A country (or subdivision) code the ``holidays`` package does not know."""


def _split(country: str) -> tuple[str, str | None]:
    code, _, subdivision = country.partition("-")
    return code, subdivision or None


@functools.lru_cache(maxsize=256)
def _holidays(country: str, first_year: int, last_year: int) -> dict:
    """{date: name} of ``country``'s public holidays in first_year..last_year (see :func:`holiday_dates`)."""
    if not country:
        return {}
    import holidays

    code, subdivision = _split(country)
    try:
        calendar = holidays.country_holidays(code, subdiv=subdivision, years=range(first_year, last_year + 1))
    except NotImplementedError as err:
        raise UnknownCountry(f"unknown country {country}: the holidays package has no calendar for it") from err
    return dict(calendar)


@functools.lru_cache(maxsize=256)
def holiday_dates(country: str, first_year: int, last_year: int) -> np.ndarray:
    """Public holidays of ``country`` in the years first_year..last_year (sorted datetime64[D]).

    ``country`` is an upper-case ISO code, optionally "CC-SUB"; "" gives none.
    Raises :class:`UnknownCountry` for a code the ``holidays`` package lacks.
    """
    return np.array(sorted(_holidays(country, first_year, last_year)), dtype="datetime64[D]")


def holiday_table(countries: list[str], first_year: int, last_year: int) -> tuple[pd.DataFrame, list[str]]:
    """(Country, Date, Name) of every public holiday of ``countries`` in first_year..last_year, sorted by
    country then date, and the countries the ``holidays`` package does not know (left out).

    Codes are upper-cased and stripped; blanks and repeats are dropped.
    """
    frames, unknown = [], []
    for country in sorted({str(c).strip().upper() for c in countries} - {""}):
        try:
            days = _holidays(country, first_year, last_year)
        except UnknownCountry:
            unknown.append(country)
            continue
        frames.append(pd.DataFrame({"Country": country, "Date": pd.to_datetime(list(days)), "Name": list(days.values())}))
    columns = ["Country", "Date", "Name"]
    if not frames:
        return pd.DataFrame({"Country": [], "Date": pd.to_datetime([]), "Name": []}, columns=columns), unknown
    table = pd.concat(frames, ignore_index=True).sort_values(["Country", "Date"], kind="stable", ignore_index=True)
    return table[columns], unknown


@functools.lru_cache(maxsize=256)
def _busday_calendar(country: str, first_year: int, last_year: int) -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=holiday_dates(country, first_year, last_year))


def _calendar_for(country: str, dates: list[np.ndarray]) -> np.busdaycalendar:
    known = np.concatenate([d[~np.isnat(d)] for d in dates])
    if known.size == 0:
        return _busday_calendar(country, 2000, 2000)
    years = known.astype("datetime64[Y]").astype("int64") + 1970
    first = int(years.min()) - _YEAR_MARGIN
    last = int(years.max()) + _YEAR_MARGIN
    # Round the range out to decades so that calls over nearby years share a calendar.
    return _busday_calendar(country, first - first % 10, last - last % 10 + 9)


def _country_groups(countries: npt.ArrayLike, n: int) -> tuple[np.ndarray, list[str]]:
    codes = np.broadcast_to(np.asarray(countries, dtype=object).reshape(-1), n)
    index, uniques = pd.factorize(codes)
    names = [str(u).strip().upper() for u in uniques]
    if (index < 0).any():  # None or NaN: blank
        index = np.where(index < 0, len(names), index)
        names.append("")
    return index, names


def working_days(
    start: npt.ArrayLike, end: npt.ArrayLike, countries: npt.ArrayLike = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Working days from ``start`` to ``end`` inclusive, like NETWORKDAYS (1-D, element-wise).

    Returns (days as float64, reasons): negative when end < start, NaN where a
    date is missing or the country is unknown; ``reasons`` holds the
    unknown-country message (``#N/A`` in Excel) or None.
    """
    start = np.asarray(start, dtype="datetime64[D]").reshape(-1)
    end = np.asarray(end, dtype="datetime64[D]").reshape(-1)
    n = max(start.size, end.size)
    start, end = np.broadcast_to(start, n), np.broadcast_to(end, n)
    days = np.full(n, np.nan)
    reasons = np.full(n, None, dtype=object)
    index, names = _country_groups(countries, n)
    ok_dates = ~np.isnat(start) & ~np.isnat(end)
    lo, hi = np.minimum(start, end), np.maximum(start, end)
    sign = np.where(end < start, -1.0, 1.0)
    for i, country in enumerate(names):
        rows = (index == i) & ok_dates
        try:
            calendar = _calendar_for(country, [lo[rows], hi[rows]])
        except UnknownCountry as err:
            reasons[index == i] = str(err)
            continue
        days[rows] = sign[rows] * np.busday_count(lo[rows], hi[rows] + 1, busdaycal=calendar)
    return days, reasons


def workday(
    anchor: npt.ArrayLike, offsets: npt.ArrayLike, countries: npt.ArrayLike = ""
) -> tuple[np.ndarray, np.ndarray]:
    """The date ``offset`` working days from ``anchor``, like Excel's WORKDAY (1-D, element-wise).

    Offset 0 returns the anchor itself (even on a weekend or holiday); a
    positive offset counts working days after the anchor, a negative one before
    it, the anchor never counting; offsets are truncated to whole days. Returns
    (dates as datetime64[D], reasons) with NaT and the unknown-country message
    (``#N/A`` in Excel) where undefined; NaT alone where the date falls outside Excel's dates
    (1900-01-01 to 9999-12-31: ``#NUM!``).
    """
    anchor = np.asarray(anchor, dtype="datetime64[D]").reshape(-1)
    offsets = np.trunc(np.asarray(offsets, dtype="float64").reshape(-1))
    n = max(anchor.size, offsets.size)
    anchor, offsets = np.broadcast_to(anchor, n), np.broadcast_to(offsets, n)
    due = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    reasons = np.full(n, None, dtype=object)
    index, names = _country_groups(countries, n)
    # no offset longer than Excel's whole date range can land inside it (WORKDAY gives #NUM!)
    usable = ~np.isnat(anchor) & (np.abs(offsets) <= (LAST_DATE - FIRST_DATE).astype("int64"))
    # Reach of the result, so the holiday years cover it: 5 working days per 7.
    reach = (np.abs(np.where(usable, offsets, 0.0)) * 7 // 5 + 14).astype("int64").astype("timedelta64[D]")
    for i, country in enumerate(names):
        rows = (index == i) & usable
        try:
            calendar = _calendar_for(country, [anchor[rows] - reach[rows], anchor[rows] + reach[rows]])
        except UnknownCountry as err:
            reasons[index == i] = str(err)
            continue
        due[rows] = step_workdays(anchor[rows], offsets[rows], calendar)
    return due, reasons


def step_workdays(anchor: np.ndarray, offsets: np.ndarray, calendar: np.busdaycalendar) -> np.ndarray:
    """Excel's WORKDAY stepping: ``anchor`` (datetime64[D]) moved by whole ``offsets`` working days of
    ``calendar``; offset 0 keeps the anchor. NaT where the result falls outside Excel's dates (#NUM!)."""
    step = offsets.astype("int64")
    # Excel steps from the anchor's own day: a weekend anchor moving forward
    # first falls back to the previous working day, and moving backward to
    # the next one, so that step 1 lands on the first working day after it.
    forward = np.busday_offset(anchor, step, roll="backward", busdaycal=calendar)
    backward = np.busday_offset(anchor, step, roll="forward", busdaycal=calendar)
    due = np.where(step > 0, forward, np.where(step < 0, backward, anchor))
    due[(due < FIRST_DATE) | (due > LAST_DATE)] = np.datetime64("NaT")
    return due
