"""Date built-ins in the 1900 date system, phantom 29 February 1900 included (Excel's values)."""
import pytest

from formula_values import value


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
