"""LINEST and TREND on hand-made data (expectations worked out by hand with the least-squares
formulas Excel documents; the conformance workbook has the same cases)."""
import pytest

from formula_values import value, wrong_values

XS = {"A1": 1, "A2": 2, "A3": 3, "B1": 2, "B2": 3, "B3": 4}      # y = A, x = B


@pytest.mark.parametrize("formula, expected", [
    ("=INDEX(LINEST({1,2,3,4},{2,4,6,8}),1)", 0.5),                    # slope, exact points
    ("=INDEX(LINEST({1,2,3,4},{2,4,6,8}),2)", 0.0),                    # intercept
    ("=INDEX(LINEST({3,5,7}),1)", 2.0),                                # x omitted: 1, 2, 3
    ("=INDEX(LINEST({1,2,3},{1,1,1}),1)", 0.0),                        # a constant x adds nothing
    ("=INDEX(LINEST({1,2,3},{1,1,1}),2)", 2.0),                        # ... the intercept is the mean
    ("=INDEX(LINEST(A1:A3,B1:B3,FALSE),1)", 20 / 29),                  # through 0: sum(xy)/sum(x^2)
    ("=INDEX(LINEST(A1:A3,B1:B3,FALSE,TRUE),2,2)", "#N/A"),            # no standard error of b
    ("=INDEX(LINEST(A1:A3,B1:B3,FALSE,TRUE),3,1)", (20 * 20 / 29) / 14),  # r2 from 0, not the mean
    ("=INDEX(LINEST(A1:A3,B1:B3,FALSE,TRUE),4,2)", 2.0),               # degrees of freedom
    ("=INDEX(LINEST(A1:A3,B1:B3,TRUE,TRUE),4,1)", "#NUM!"),            # F of a perfect fit
    ("=INDEX(LINEST(A1:A3,B1:B3,TRUE,TRUE),3,2)", 0.0),                # no residual
    ("=INDEX(LINEST(A1:A3,B1:B3,TRUE,TRUE),5,1)", 2.0),                # regression sum of squares
    ("=LINEST(A1:A3,B1:B2)", "#REF!"),                                 # sizes differ
    ('=LINEST({1,"x",3},{1,2,3})', "#VALUE!"),
    ("=INDEX(TREND({1,2,3},{2,3,4},{5,6}),2)", 5.0),                   # y = x - 1
    ("=TREND({-6,-5,-4},{1,2,3},{7})", 0.0),                           # an exact zero, not 1e-15
])
def test_regression(formula, expected):
    got = value(formula, **XS)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15) if isinstance(expected, float) else got == expected


def test_linest_several_variables_last_first():
    # y = 3*x1 - 2*x2 + 1 exactly, x1 and x2 as rows of a row-wise y
    cells = {"A1": 1, "B1": 2, "C1": 3, "D1": 4, "A2": 1, "B2": 0, "C2": 2, "D2": 5}
    for col, (x1, x2) in zip("ABCD", ((1, 1), (2, 0), (3, 2), (4, 5))):
        cells[f"{col}3"] = 3 * x1 - 2 * x2 + 1
    got = [value(f"=INDEX(LINEST(A3:D3,A1:D2),1,{i})", **cells) for i in (1, 2, 3)]
    assert got == pytest.approx([-2.0, 3.0, 1.0])


@pytest.mark.parametrize("formula", ["=LINEST({1,2,3},{1,2,1/0})", "=LINEST({1,2,3},{1,2,3},NA())",
                                     "=TREND({1,2,3},{1,2,3},{1,NA()})"])
def test_error_values_in_the_data_are_value_errors(formula):
    assert value(formula) == "#VALUE!"


EXPONENTIAL_CASES = [
    # y = 3 * 2^x exactly: LOGEST fits ln y, and gives m = e^slope, b = e^intercept
    ("=INDEX(LOGEST({6,12,24,48},{1,2,3,4}),1)", 2.0),
    ("=INDEX(LOGEST({6,12,24,48},{1,2,3,4}),2)", 3.0),
    ("=INDEX(LOGEST({6,12,24,48}),1)", 2.0),                           # x omitted: 1, 2, 3, 4
    ("=INDEX(LOGEST({2,4,8},{1,2,3},FALSE),2)", 1.0),                  # no constant: b is 1
    ("=INDEX(LOGEST({2,4,8},{1,2,3},FALSE),1)", 2.0),
    ("=INDEX(LOGEST({6,12,24,48},{1,2,3,4},TRUE,TRUE),3,1)", 1.0),     # r2 of the fit to ln y
    ("=INDEX(LOGEST({6,12,24,48},{1,2,3,4},TRUE,TRUE),4,2)", 2.0),     # degrees of freedom
    ("=LOGEST({1,0,3},{1,2,3})", "#NUM!"),                             # ln 0
    ("=LOGEST({1,2,3},{1,2})", "#REF!"),
    ("=INDEX(GROWTH({6,12,24,48},{1,2,3,4},{5,6}),2)", 192.0),         # 3 * 2^6
    ("=GROWTH({6,12,24},{1,2,3},{0})", 3.0),
    ("=INDEX(GROWTH({2,4,8},{1,2,3},{4},FALSE),1)", 16.0),
    ("=GROWTH({2,-4,8},{1,2,3},{4})", "#NUM!"),
]


def test_exponential_regression():
    assert wrong_values(EXPONENTIAL_CASES) == []