import numpy as np
import pytest

from ilt_xl.core import calendar

D = lambda *s: np.array(s, dtype="datetime64[D]")  # noqa: E731


def test_working_days_like_networkdays():
    # 23..31 Dec 2024 in Germany: 25 and 26 are holidays -> 23, 24, 27, 30, 31
    days, reasons = calendar.working_days(D("2024-12-23", "2024-12-31", "2024-12-23", "2024-01-06"),
                                          D("2024-12-31", "2024-12-23", "2024-12-31", "2024-01-07"), ["DE", "DE", "", ""])
    assert days.tolist() == [5, -5, 7, 0] and all(r is None for r in reasons)


def test_namibia_is_a_country_not_missing():
    # 21 March is Namibia's Independence Day (a Thursday in 2024)
    days, _ = calendar.working_days(D("2024-03-18"), D("2024-03-22"), ["NA"])
    assert days.tolist() == [4]  # Mon 18 .. Fri 22 less Thu 21


def test_unknown_country_gives_reason():
    days, reasons = calendar.working_days(D("2024-01-01"), D("2024-01-31"), ["XX"])
    assert np.isnan(days[0]) and "unknown country XX" in reasons[0]
    with pytest.raises(calendar.UnknownCountry):
        calendar.holiday_dates("XX", 2024, 2024)


def test_workday_like_excel():
    # Sat 21 Dec 2024, DE: +1 -> Mon 23; -1 -> Fri 20; 0 -> the anchor itself
    due, _ = calendar.workday(D("2024-12-21", "2024-12-21", "2024-12-21", "2024-12-24", "2024-12-25", "2024-12-25"),
                              [1, -1, 0, 1, 1, -1], "DE")
    assert due.tolist() == list(D("2024-12-23", "2024-12-20", "2024-12-21", "2024-12-27", "2024-12-27", "2024-12-24"))
    due, _ = calendar.workday(D("2024-01-01"), [10.9], "")  # offsets truncate like Excel
    assert due[0] == np.datetime64("2024-01-15")
