"""Text read as a number where a number is expected (arithmetic, numeric arguments), as Excel reads it."""
import pytest

from ilt_xl.engine.number_text import date_in_text, date_serial, number_in_text


@pytest.mark.parametrize("text, expected", [
    ("12", 12.0), (" 10 ", 10.0), ("-3.5", -3.5), (".5", 0.5), ("7.0e0", 7.0), ("+2", 2.0),
    ("1,000", 1000.0), ("$5", 5.0), ("50%", 0.5),
    ("12:00", 0.5), ("1:30 PM", 0.5625), ("12 AM", 0.0),
    ("2024-01-10", 45301.0), ("2024/1/10", 45301.0), ("1/10/2024", 45301.0), ("1-10-24", 45301.0),
    ("10-Jan-2024", 45301.0), ("10 January 2024", 45301.0), ("Jan 10, 2024", 45301.0),
    ("2024-01-10 12:00", 45301.5), ("1/10/2024 6:00 PM", 45301.75),
    ("1/1/1900", 1.0), ("2/29/1900", 60.0), ("3/1/1900", 61.0),   # Excel's phantom leap day
    ("1/1/30", 10959.0),                                            # two-digit 30-99 is 19xx
    ("29/02/1900", 60.0), ("13/1/2024", 45304.0),                  # a first number past 12 is the day
])
def test_texts_excel_reads_as_numbers(text, expected):
    assert number_in_text(text) == expected


@pytest.mark.parametrize("text", [
    "", "x", "eight", "--8", "nan", "inf", "Infinity", "1_000", "1E+400", "\u0661\u0662",
    " 2024-01-10 ",                    # no spaces around a date (" 10 " is read)
    "2024-02-30", "13/13/2024", "1/1/1800", "Jnx 10, 2024", "TRUE",
])
def test_texts_that_are_no_number(text):
    assert number_in_text(text) is None


def test_date_serials_of_the_1900_system():
    assert date_serial(1900, 1, 1) == 1.0 and date_serial(1900, 2, 28) == 59.0
    assert date_serial(2024, 1, 10) == 45301.0 and date_serial(2023, 2, 29) is None
    assert date_in_text("12/31/9999") == 2958465.0

