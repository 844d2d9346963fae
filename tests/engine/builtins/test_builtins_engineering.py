"""DEC2BIN/DEC2OCT/DEC2HEX on hand-made values (Excel's values, as in the conformance files)."""
import pytest

from formula_values import value


@pytest.mark.parametrize("formula, expected", [
    ("=DEC2BIN(9)", "1001"),
    ("=DEC2BIN(9,8)", "00001001"),
    ("=DEC2BIN(-25)", "1111100111"),            # ten digits of two's complement
    ("=DEC2BIN(-25,1)", "1111100111"),          # places ignored for negative numbers...
    ("=DEC2BIN(-25,0)", "#NUM!"),               # ... but still checked
    ("=DEC2BIN(-25,11)", "#NUM!"),
    ("=DEC2BIN(3,1)", "#NUM!"),                 # fewer places than digits
    ("=DEC2BIN(512)", "#NUM!"), ("=DEC2BIN(-512)", "1000000000"),
    ('=DEC2BIN("E",1)', "#VALUE!"), ('=DEC2BIN("E",0)', "#NUM!"),
    ("=DEC2OCT(-25)", "7777777747"), ("=DEC2OCT(58,3)", "072"),
    ("=DEC2HEX(-25)", "FFFFFFFFE7"), ("=DEC2HEX(255,4)", "00FF"), ("=DEC2HEX(100.9)", "64"),
    ("=DEC2HEX(549755813888)", "#NUM!"),
])
def test_dec2base(formula, expected):
    assert value(formula) == expected
