import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.functions import REGISTRY as R

FRI = dt.date(2024, 1, 5)  # ECB: USD 1.0921, GBP 0.8621 per EUR


def test_fxrate_and_fx():
    assert R["ILT_FXRATE"]("EUR", "USD", FRI) == 1.0921
    assert R["ILT_FXRATE"]("EUR", "USD", dt.date(2024, 1, 7)) == 1.0921  # Sunday: Friday's rate
    assert R["ILT_FX"](100, "usd", "GBP", 45296) == pytest.approx(100 * 0.8621 / 1.0921)
    assert R["ILT_FX"]([100, 100, 100], ["XYZ", "USD", None], "EUR", [FRI, dt.date(1998, 1, 1), FRI]).tolist() == ["#N/A"] * 3


def test_rates_range_with_and_without_header():
    with_header = [["Date", "Currency", "PerEUR"], [45200, "USD", 2.0], [None, None, None]]
    without = [[dt.date(2023, 10, 1), "USD", 2.0]]
    for rates in (with_header, without):
        assert R["ILT_FXRATE"]("USD", "EUR", FRI, rates) == 0.5
        assert R["ILT_FX"](10, "EUR", "USD", dt.date(2023, 9, 1), rates) == pytest.approx(10 * R["ILT_FXRATE"]("EUR", "USD", dt.date(2023, 9, 1)))


@settings(max_examples=30, deadline=None)
@given(st.floats(0.01, 1e7), st.sampled_from(["EUR", "USD", "GBP", "JPY", "SEK"]), st.sampled_from(["EUR", "USD", "CHF", "JPY"]),
       st.integers(36200, 46000))
def test_fx_round_trip(x, a, b, serial):
    assert R["ILT_FX"](R["ILT_FX"](x, a, b, serial), b, a, serial) == pytest.approx(x, rel=1e-12)


def test_workdays_and_duedate():
    assert R["ILT_WORKDAYS"](dt.date(2024, 12, 23), dt.date(2024, 12, 31), "DE") == 5.0
    assert R["ILT_WORKDAYS"](dt.date(2024, 12, 23), dt.date(2024, 12, 31)) == 7.0
    assert R["ILT_WORKDAYS"](45292, 45322, ["XX", "", "NA"]).tolist() == ["#N/A", 23.0, 22.0]  # Namibia: 1 Jan is a holiday
    assert R["ILT_DUEDATE"](dt.date(2024, 12, 21), [1, -1, 0], "DE").tolist() == [45649.0, 45646.0, 45647.0]
    assert R["ILT_DUEDATE"](dt.date(2024, 12, 24), -10, "ZZ") == "#N/A"


def test_duedate_outside_excels_dates_is_num_error_not_a_huge_serial():
    # Excel's WORKDAY gives #NUM! when the date would fall before 1900 or after 9999
    got = R["ILT_DUEDATE"](dt.date(2025, 12, 10), [5, 4_000_000, -45_000, 1e300], "DE").tolist()
    assert got == [46008.0, "#NUM!", "#NUM!", "#NUM!"]      # 46008: Wednesday 2025-12-17
