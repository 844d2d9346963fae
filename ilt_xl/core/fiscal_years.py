"""Fiscal years and the splitting of day ranges at year boundaries.

A fiscal year starts on the first day of ``start_month`` (the FiscalYearStartMonth
setting; 1 = the calendar year) and is named by the calendar year in which it
starts: with start month 7, fiscal year 2024 runs from 2024-07-01 to 2025-06-30.
Reports that count days per year (instructor and room utilisation, the
available-days conflict) split a session that crosses a boundary into one
piece per year.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt


def fiscal_year(dates: npt.ArrayLike, start_month: int = 1) -> np.ndarray:
    """The fiscal year (int64) of each date (datetime64); -1 for NaT."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    months = dates.astype("datetime64[M]").astype("int64")  # months since 1970-01
    years = (months - (start_month - 1)) // 12 + 1970
    return np.where(np.isnat(dates), -1, years)


def year_start(years: npt.ArrayLike, start_month: int = 1) -> np.ndarray:
    """First day (datetime64[D]) of each fiscal year."""
    months = (np.asarray(years, dtype="int64") - 1970) * 12 + (start_month - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]")


def year_end(years: npt.ArrayLike, start_month: int = 1) -> np.ndarray:
    """Last day (datetime64[D]) of each fiscal year."""
    return year_start(np.asarray(years, dtype="int64") + 1, start_month) - np.timedelta64(1, "D")


def split_by_year(
    first: npt.ArrayLike, last: npt.ArrayLike, start_month: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut each day range first..last (inclusive) at fiscal-year boundaries.

    Returns ``(row, year, piece_first, piece_last)``: one element per piece,
    ``row`` indexing the input range it comes from, in input order. Ranges with
    a missing date or last < first give no piece.
    """
    first = np.asarray(first, dtype="datetime64[D]")
    last = np.asarray(last, dtype="datetime64[D]")
    ok = ~np.isnat(first) & ~np.isnat(last) & (last >= first)
    y0, y1 = fiscal_year(first, start_month), fiscal_year(last, start_month)
    counts = np.where(ok, y1 - y0 + 1, 0)
    row = np.repeat(np.arange(first.size), counts)
    year = y0[row] + (np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts))
    piece_first = np.maximum(first[row], year_start(year, start_month))
    piece_last = np.minimum(last[row], year_end(year, start_month))
    return row, year, piece_first, piece_last
