"""Worksheet functions for currencies: ILT_FXRATE and ILT_FX.

The optional ``rates`` range holds manual rates with columns Date, Currency,
PerEUR (units per 1 EUR) and optionally Source, with or without a header row;
its rows override the ECB reference rates (see ``ilt_xl.core.fx``).
Unusable rows (no date, no currency, PerEUR not a positive number) are skipped.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core import excel_errors as xe
from ilt_xl.core import fx
from ilt_xl.core.serial_dates import serial_to_datetime64
from ilt_xl.functions.arguments import as_2d, coerce_date, coerce_number, coerce_text, errors_where
from ilt_xl.functions.registry import Arg, worksheet_function

CATEGORY = "fx"
_COLUMNS = ("date", "currency", "pereur", "source")


def _layout(grid: np.ndarray) -> tuple[int, dict[str, int]]:
    """(first row of rates, column of each of :data:`_COLUMNS` present) of a 2-D rates range."""
    header = [str(v).strip().lower() for v in grid[0]] if grid.shape[0] else []
    if {"date", "currency", "pereur"} <= set(header):
        return 1, {name: header.index(name) for name in _COLUMNS if name in header}
    return 0, {name: i for i, name in enumerate(_COLUMNS) if i < grid.shape[1]}


def rate_date_cells(grid: np.ndarray) -> np.ndarray:
    """The cells of a rates range that hold rate dates (its Date column below any header)."""
    first, columns = _layout(grid)
    cells = np.zeros(grid.shape, dtype=bool)
    if "date" in columns:
        cells[first:, columns["date"]] = True
    return cells


_RATE_ARGS = [
    Arg("from_ccy", "text", "ISO code of the currency converted from"),
    Arg("to_ccy", "text", "ISO code of the currency converted to"),
    Arg("date", "date", "the rate date; the latest rate when omitted", default=None),
    Arg("rates", "range", "optional manual rates: Date, Currency, PerEUR[, Source], header row optional", default=None,
        date_cells=rate_date_cells),
]


def manual_rates(rates: np.ndarray | None) -> fx.RateTable | None:
    """The manual rate table of a ``rates`` range, or None when the range is omitted or empty."""
    if rates is None:
        return None
    grid = as_2d(rates)
    first, columns = _layout(grid)
    grid = grid[first:]
    if grid.shape[0] == 0 or grid.shape[1] < 3:
        return None
    serials, date_errors = coerce_date(grid[:, columns["date"]])
    per_eur, rate_errors = coerce_number(grid[:, columns["pereur"]])
    codes, _ = coerce_text(grid[:, columns["currency"]])
    sources = coerce_text(grid[:, columns["source"]])[0] if "source" in columns else np.full(len(codes), "", dtype=object)
    usable = np.equal(date_errors, None) & np.equal(rate_errors, None)
    frame = pd.DataFrame({
        "Date": serial_to_datetime64(np.where(usable, serials, np.nan)),
        "Currency": codes,
        "PerEUR": np.where(usable, per_eur, np.nan),
        "Source": sources,
    })
    return fx.RateTable.from_frame(frame)


def _rates(from_ccy, to_ccy, date, rates) -> fx.Rates:
    return fx.rates(from_ccy, to_ccy, serial_to_datetime64(date), manual_rates(rates))


@worksheet_function(
    "ILT_FXRATE",
    category=CATEGORY,
    description=(
        "Units of to_ccy per 1 from_ccy on rate_date (ECB reference rate of that day or the last publication "
        "before it; manual rates override; cross rates via EUR); an unknown currency or a date before the "
        "first rate gives #N/A."
    ),
    args=_RATE_ARGS,
    returns="number",
)
def ilt_fxrate(from_ccy, to_ccy, date, rates):
    used = _rates(from_ccy, to_ccy, date, rates)
    return used.rate, errors_where((~used.ok, xe.NA))


@worksheet_function(
    "ILT_FX",
    category=CATEGORY,
    description="amount x ILT_FXRATE(from_ccy, to_ccy, rate_date, rates), unrounded; #N/A where there is no rate.",
    args=[Arg("amount", "number", "the amount in from_ccy")] + _RATE_ARGS,
    returns="number",
)
def ilt_fx(amount, from_ccy, to_ccy, date, rates):
    used = _rates(from_ccy, to_ccy, date, rates)
    return amount * used.rate, errors_where((~used.ok, xe.NA))
