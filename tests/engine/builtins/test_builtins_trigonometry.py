"""SIN, COS, TAN and their reciprocals: the x87's argument reduction, as Excel's cached values show."""
import math

import pytest

from formula_values import value


@pytest.mark.parametrize("formula, expected", [
    # cached (IronCalc MATH_AND_TRIGONOMETRY, docs TAN/COS; NPOI 47813): near a multiple of pi/2
    # the result is the distance to the multiple of pi rounded to 64 bits, not to the true pi
    ("=SIN(PI())", 1.22514845490862e-16), ("=TAN(PI())", -1.22514845490862e-16),
    ("=COS(PI()/2)", 6.1257422745431e-17), ("=TAN(PI()/2)", 1.6324552277619072e+16),
    ("=SIN(RADIANS(540))", 3.67544536472586e-16), ("=COS(RADIANS(630))", -4.28801959218017e-16),
    # elsewhere the usual values
    ("=SIN(1)", math.sin(1)), ("=COS(0)", 1.0), ("=TAN(-0.5)", math.tan(-0.5)), ("=SIN(TRUE)", math.sin(1)),
    ("=COT(1)", 1 / math.tan(1)), ("=SEC(2)", 1 / math.cos(2)), ("=CSC(3)", 1 / math.sin(3)),
    # doc: the reciprocals take arguments below 2^27; of 0, #DIV/0!
    ("=COT(0)", "#DIV/0!"), ("=CSC(0)", "#DIV/0!"), ("=SEC(2^27)", "#NUM!"), ('=SIN("x")', "#VALUE!"),
    # cached (IronCalc TRIGONOMETRIC.xlsx): the hyperbolic reciprocals, 0 past sinh's overflow
    ("=COTH(2)", 1 / math.tanh(2)), ("=SECH(-3)", 1 / math.cosh(3)), ("=CSCH(1000)", 0.0), ("=COTH(0)", "#DIV/0!"),
    ("=CSCH(0)", "#DIV/0!"), ("=SECH(0)", 1.0), ("=COTH(9999999999999)", 1.0), ("=SECH(9999999999999)", 0.0),
    ("=ACOT(9999999999999)", 1.0000000000001e-13), ("=ACOT(-1)", 2.356194490192345), ("=ACOT(0)", math.pi / 2),
    ("=ACOTH(10)", 0.1003353477310756), ("=ACOTH(-10)", -0.1003353477310756), ("=ACOTH(1)", "#NUM!"),
])
def test_trigonometry(formula, expected):
    got = value(formula)
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12, abs=0)
    else:
        assert got == expected
