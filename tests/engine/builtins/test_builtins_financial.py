"""Financial built-ins on hand-made values: VDB on the examples of Excel's documentation and on
fractional periods worked out by hand."""
import pytest

from formula_values import value


@pytest.mark.parametrize("formula, expected", [
    # Excel's VDB page: cost 2400, salvage 300, life 10 years (3650 days, 120 months)
    ("=VDB(2400,300,3650,0,1)", 1.32),
    ("=VDB(2400,300,120,0,1)", 40.0),
    ("=VDB(2400,300,10,0,1)", 480.0),
    ("=VDB(2400,300,120,6,18)", 396.31),
    ("=VDB(2400,300,120,6,18,1.5)", 311.81),
    ("=VDB(2400,300,10,0,0.875,1.5)", 315.0),
    # 1000 over 5 years, double declining: 400, 240, 144; then straight line (216-0)/2 = 108 twice
    ("=VDB(1000,0,5,0,3)", 784.0),
    ("=VDB(1000,0,5,3,4)", 108.0),
    ("=VDB(1000,0,5,3,4,2,TRUE)", 86.4),          # no switch: 216 x 0.4
    ("=VDB(1000,0,5,0,0.5)", 200.0),              # half of the first period
    # a fractional start lays the periods from it: 0-0.5 takes 200, 0.5-1.5 takes 800 x 0.4
    ("=VDB(1000,0,5,0.5,1.5)", 320.0),
    ("=VDB(1000,0,5,6,7)", "#NUM!"),               # beyond the life
    ("=VDB(1000,0,5,2,1)", "#NUM!"),
    ("=VDB(1000,0,5,0,1,0)", "#NUM!"),
    ('=VDB("x",0,5,0,1)', "#VALUE!"),
])
def test_vdb(formula, expected):
    got = value(formula)
    assert got == (pytest.approx(expected, abs=0.005) if isinstance(expected, float) else expected)
