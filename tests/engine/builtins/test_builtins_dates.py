"""Date built-ins in the 1900 date system, phantom 29 February 1900 included (Excel's values)."""
import pytest

from formula_values import assert_value, value, values


@pytest.mark.parametrize("formula, expected", [
    ("=DATE(1900,1,1)", 1.0),
    ("=DATE(1900,2,28)", 59.0),
    ("=DATE(1900,2,29)", 60.0),       # the day Excel counts that never was
    ("=DATE(1900,3,1)", 61.0),
    ("=DATE(1900,3,0)", 60.0),
    ("=DATE(1900,1,0)", 0.0),
    ("=DATE(2024,2,29)", 45351.0),
    ("=DATE(2024,14,1)", 45689.0),    # months overflow into the next year
    ("=DATE(99,1,1)", 36161.0),       # years below 1900 are 1900 + year
    ("=DATE(10000,1,1)", "#NUM!"),
    ("=DATE(1899,12,31)", 693962.0),  # 1899 is 1900 + 1899 = 3799
    ("=DAY(1)", 1.0), ("=MONTH(1)", 1.0), ("=YEAR(1)", 1900.0),
    ("=DAY(59)", 28.0), ("=MONTH(59)", 2.0),
    ("=DAY(60)", 29.0), ("=MONTH(60)", 2.0),
    ("=DAY(61)", 1.0), ("=MONTH(61)", 3.0),
    ("=DAY(0)", 0.0), ("=MONTH(0)", 1.0), ("=YEAR(0)", 1900.0),
    ("=DAY(45351.75)", 29.0),
    ("=YEAR(-1)", "#NUM!"), ("=YEAR(2958466)", "#NUM!"),
    ('=DAY("x")', "#VALUE!"),
])
def test_dates(formula, expected):
    assert value(formula) == expected


# YEARFRAC: expectations from Excel's documented day-count bases (0 US 30/360, 1 actual/actual,
# 2 actual/360, 3 actual/365, 4 European 30/360), computed by hand
@pytest.mark.parametrize("formula, expected", [
    ("=YEARFRAC(DATE(2004,2,29),DATE(2005,2,28),0)", 1.0),          # both ends of February: 30th
    ("=YEARFRAC(DATE(2001,1,31),DATE(2001,3,31),0)", 60 / 360),      # 31st start and end: 30th
    ("=YEARFRAC(DATE(2001,1,29),DATE(2001,3,31),0)", 62 / 360),      # a 31st end stays after a 29th
    ("=YEARFRAC(DATE(2001,1,29),DATE(2001,3,31),4)", 61 / 360),      # European: every 31st is the 30th
    ("=YEARFRAC(DATE(2004,2,29),DATE(2005,2,28),1)", 365 / 366),     # a 29 February in the span
    ("=YEARFRAC(DATE(2005,1,1),DATE(2005,7,1),1)", 181 / 365),
    ("=YEARFRAC(DATE(2001,2,28),DATE(2004,2,29),1)", 1096 / (1461 / 4)),   # over years: the average
    ("=YEARFRAC(DATE(2003,1,1),DATE(2001,1,2),2)", 729 / 360),       # dates in either order
    ("=YEARFRAC(DATE(2003,1,1),DATE(2001,1,2),3)", 729 / 365),
    ("=YEARFRAC(0,200)", 198 / 360),                                 # serial 0 is 1900-01-00
    ("=YEARFRAC(1,200,5)", "#NUM!"),
    ("=YEARFRAC(-1,200)", "#NUM!"),
    ("=YEARFRAC(1,2958466)", "#NUM!"),
    ("=YEARFRAC(1/0,200,-1)", "#NUM!"),                              # the basis is checked first
    ("=YEARFRAC(1/0,200,0)", "#DIV/0!"),
    ('=YEARFRAC(1,200,"x")', "#VALUE!"),
    ("=YEARFRAC(1,200,TRUE)", "#VALUE!"),
])
def test_yearfrac(formula, expected):
    assert_value(formula, expected)


def test_today_and_now_are_the_runs_date():
    from direct_calls import TODAY, call
    assert call("TODAY") == call("NOW") == TODAY


@pytest.mark.parametrize("formula, expected", [
    ('=YEAR("1/1/1987 05:00 AM")', 1987.0),            # a date written as text, as VALUE reads it
    ('=MONTH("3/15/2008")', 3.0), ('=DAY("3/15/2008")', 15.0),
    ('=DAY("x")', "#VALUE!"),                          # text that is no date
    ('=YEARFRAC("1/1/1987 05:00 AM",345,4)', 86.05833333333334),     # Excel's value (formulas/test.xlsx)
    ('=YEARFRAC(B1,345,"1/1/1987 05:00 AM")', "#NUM!"),  # a basis read as a date is out of 0..4
])
def test_date_functions_read_dates_written_as_text(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ('=VALUE("7/5/1800")', "#VALUE!"), ('=YEAR("7/5/1800")', "#VALUE!"),     # no year before 1900 in a text
    ('=YEAR("7/5/10000")', "#VALUE!"),                                     # nor after 9999
    ('=VALUE("7/5/1900")', 187.0), ('=VALUE("1987-05-07")', 31904.0), ('=VALUE("7/5/99")', 36346.0),
])
def test_dates_written_as_text_are_within_excels_calendar(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ('=TIMEVALUE("1.25")', "#VALUE!"),          # a plain number is no time (HOUR("1.25") reads 1.25 days)
    ('=HOUR("1.25")', 6.0),
    ('=TIMEVALUE("6:30")', 6.5 / 24),
    ('=DATEVALUE("2024")', "#VALUE!"),
    ('=DATEVALUE("1/25/2024")', 45316.0),
])
def test_date_and_time_values_read_dates_and_times_not_plain_numbers(formula, expected):
    assert value(formula) == expected


def test_workday_intl_weekends():
    # 2014-03-11 (a Tuesday) plus 24 working days, Excel's values (a workbook Excel saved): the
    # weekend as a number (13: Tuesday only), as seven 0/1 days from Monday, or omitted (Sat, Sun)
    cells = {"A1": "=DATE(2014,3,11)", "B1": "=DATE(2014,3,16)", "B2": "=DATE(2014,4,4)", "B3": "=DATE(2014,3,20)",
             "B4": "=DATE(2014,1,1)",
             "C1": "=WORKDAY.INTL(A1,24,,B1:B4)", "C2": "=WORKDAY.INTL(A1,24,13,B1:B4)",
             "C3": '=WORKDAY.INTL(A1,24,"0101010",B1:B4)', "C4": "=WORKDAY.INTL(A1,24,1,B1:B4)",
             "C5": "=WORKDAY.INTL(A1,24,99)", "C6": '=WORKDAY.INTL(A1,24,"1111111")', "C7": '=WORKDAY.INTL(A1,24,"x")',
             "C8": "=WORKDAY.INTL(1/0,24,99)", "C9": "=WORKDAY.INTL(A1,-1,7)"}
    got = values(cells)
    assert (got["C1"], got["C2"], got["C3"], got["C4"]) == (41745.0, 41740.0, 41754.0, 41745.0)
    assert (got["C5"], got["C6"], got["C7"], got["C8"]) == ("#NUM!", "#VALUE!", "#VALUE!", "#DIV/0!")
    assert got["C9"] == 41708.0         # Monday 2014-03-10 (Friday and Saturday off)
