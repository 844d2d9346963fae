import csv
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.core import fx


def _ecb_csv() -> dict[str, dict[str, str]]:
    """An independent read of the bundled ECB history: date -> currency -> rate text."""
    import currency_converter.currency_converter as cc

    with zipfile.ZipFile(cc.CURRENCY_FILE) as z:
        rows = list(csv.reader(io.TextIOWrapper(z.open(z.namelist()[0]))))
    header = rows[0]
    return {r[0]: dict(zip(header[1:], r[1:])) for r in rows[1:]}


ECB = _ecb_csv()
D = lambda *s: np.array(s, dtype="datetime64[D]")  # noqa: E731


def test_published_usd_rate_and_weekend_falls_back_to_friday():
    assert ECB["2024-01-05"]["USD"] == "1.0921"
    r = fx.rates(["EUR", "EUR"], ["USD", "USD"], D("2024-01-05", "2024-01-07"))  # Fri, Sun
    assert r.rate.tolist() == [1.0921, 1.0921]
    assert r.rate_date.tolist() == list(D("2024-01-05", "2024-01-05")) and r.source.tolist() == ["ECB", "ECB"]


def test_cross_rate_via_eur_matches_csv():
    r = fx.rates(["USD"], ["GBP"], D("2024-01-08"))
    assert r.rate[0] == pytest.approx(float(ECB["2024-01-08"]["GBP"]) / float(ECB["2024-01-08"]["USD"]), rel=1e-12)


def test_rate_date_is_a_real_publication_date_across_a_gap():
    # ISK was not published for years after 2008: the last real date is reported, not a filled one
    last_isk = max(d for d, row in ECB.items() if d <= "2015-06-01" and row.get("ISK", "N/A") not in ("N/A", ""))
    r = fx.rates(["EUR"], ["ISK"], D("2015-06-01"))
    assert str(r.rate_date[0]) == last_isk and r.rate[0] == float(ECB[last_isk]["ISK"])


def test_matches_currencyconverter_last_known_on_random_days():
    from currency_converter import CurrencyConverter

    c = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_missing_rate_method="last_known")
    rng = np.random.default_rng(1)
    days = np.datetime64("2005-01-03") + rng.integers(0, 6000, 50)
    r = fx.rates("EUR", "CHF", days)
    assert r.rate.tolist() == pytest.approx([c.convert(1, "EUR", "CHF", pd.Timestamp(d).date()) for d in days])


def test_errors_have_reasons():
    r = fx.rates(["XYZ", "USD", ""], ["EUR", "EUR", "EUR"], D("2024-01-05", "1998-12-31", "2024-01-05"))
    assert np.isnan(r.rate).all() and not r.ok.any()
    assert "unknown currency XYZ" in r.reason[0]
    assert "before 1998-12-31 (first rate 1999-01-04)" in r.reason[1]
    assert r.reason[2] == "no currency given"


def test_manual_rates_override_latest_on_or_before_wins():
    manual = pd.DataFrame({
        "Date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
        "Currency": ["USD", "USD", "XAU"],
        "PerEUR": [1.5, 2.0, 0.0005],
        "Source": ["Treasury", "Treasury", None],
    })
    r = fx.rates(["USD", "USD", "USD", "EUR", "USD"], ["EUR", "EUR", "EUR", "XAU", "GBP"],
                 D("2023-12-29", "2024-01-15", "2024-03-01", "2024-06-01", "2024-01-05"), manual)
    assert r.rate[0] == pytest.approx(1 / float(ECB["2023-12-29"]["USD"]))
    assert r.rate[1:4].tolist() == pytest.approx([1 / 1.5, 1 / 2.0, 0.0005])
    assert r.source.tolist()[:4] == ["ECB", "Treasury", "Treasury", "Manual"]
    # cross rate with a manual leg: the earlier leg date, sources "from/to"
    assert r.rate_date[4] == np.datetime64("2024-01-01") and r.source[4] == "Treasury/ECB"
    assert r.rate[4] == pytest.approx(float(ECB["2024-01-05"]["GBP"]) / 1.5)


def test_latest_when_no_date_and_same_currency():
    r = fx.rates(["USD", "JPY"], ["EUR", "JPY"])
    last = max(ECB)
    assert str(r.rate_date[0]) == last and r.rate[0] == pytest.approx(1 / float(ECB[last]["USD"]))
    assert r.rate[1] == 1.0 and r.source[1] == fx.SAME_SOURCE


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 1e9), st.sampled_from(["EUR", "USD", "GBP", "JPY", "CHF", "PLN"]),
       st.sampled_from(["EUR", "USD", "GBP", "JPY", "CHF", "PLN"]), st.integers(3000, 9000))
def test_round_trip(amount, a, b, day):
    date = D("1999-01-04") + day
    there, _ = fx.convert([amount], [a], [b], date)
    back, _ = fx.convert(there, [b], [a], date)
    assert back[0] == pytest.approx(amount, rel=1e-12)


def test_empty_columns_give_empty_rates():
    # An empty group of sessions (no Planned ones, say) must not break a conversion.
    used = fx.rates(np.array([], dtype=object), "EUR", np.array([], dtype="datetime64[D]"))
    assert used.rate.shape == (0,) and used.source.shape == (0,)
