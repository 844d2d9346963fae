"""FORECAST.ETS and its companions on hand-made series whose exponential smoothing is exact by
hand: a repeating season, a straight line, and Excel's argument rules."""
import pytest

from formula_values import value, values

SEASON = "{1,2,3,2,1,2,3,2}"          # level 2, no trend, season of 4: -1, 0, 1, 0
STEPS = "{1,2,3,4,5,6,7,8}"
LINE = "{2,4,6,8,10,12}"              # 2 x t on t = 1..6


@pytest.mark.parametrize("formula, expected", [
    (f"=_xlfn.FORECAST.ETS(9,{SEASON},{STEPS},4)", 1.0),
    (f"=_xlfn.FORECAST.ETS(10,{SEASON},{STEPS},4)", 2.0),
    (f"=_xlfn.FORECAST.ETS(11,{SEASON},{STEPS},4)", 3.0),
    (f"=_xlfn.FORECAST.ETS(9.5,{SEASON},{STEPS},4)", 1.5),       # between steps: linear
    (f"=_xlfn.FORECAST.ETS(3,{SEASON},{STEPS},4)", 3.0),         # on the timeline: the fitted value
    (f"=_xlfn.FORECAST.ETS(10,{LINE},{{1,2,3,4,5,6}},0)", 20.0),
    (f"=_xlfn.FORECAST.ETS(8,{LINE},{{6,5,4,3,2,1}},0)", -2.0),   # timeline sorted first: 14 - 2t
    (f"=_xlfn.FORECAST.ETS.CONFINT(12,{SEASON},{STEPS},0.9,4)", 0.0),   # a perfect fit has no spread
    (f"=_xlfn.FORECAST.ETS.STAT({SEASON},{STEPS},6,4)", 0.0),    # MAE
    (f"=_xlfn.FORECAST.ETS.STAT({SEASON},{STEPS},7,4)", 0.0),    # RMSE
    (f"=_xlfn.FORECAST.ETS.STAT({SEASON},{{2,4,6,8,10,12,14,16}},8,4)", 2.0),    # the step
    # points on one date are aggregated (7 = SUM): 1+1 at t=1 makes the line 2, 4, 6, ...
    ("=_xlfn.FORECAST.ETS(5,{1,1,4,6,8},{1,1,2,3,4},0,1,7)", 10.0),
    # a missing step is filled by interpolation (data_completion 1)
    ("=_xlfn.FORECAST.ETS(6,{2,4,8,10},{1,2,4,5},0)", 12.0),
])
def test_ets_on_exact_series(formula, expected):
    assert value(formula) == pytest.approx(expected, abs=1e-9)


def test_seasonality_is_detected():
    pattern = ",".join(["5,9,4,1,7,3"] * 4)
    steps = ",".join(str(i) for i in range(1, 25))
    assert value(f"=_xlfn.FORECAST.ETS.SEASONALITY({{{pattern}}},{{{steps}}})") == 6.0
    # a straight line has no season
    assert value("=_xlfn.FORECAST.ETS.SEASONALITY({1,2,3,4,5,6,7,8,9,10},{1,2,3,4,5,6,7,8,9,10})") == 0.0


@pytest.mark.parametrize("formula, expected", [
    (f"=_xlfn.FORECAST.ETS(9,{SEASON},{{1,2,3}},4)", "#N/A"),            # sizes differ
    ("=_xlfn.FORECAST.ETS(9,{1,2,3,4},{1,2,3.5,5})", "#NUM!"),            # no common step
    (f"=_xlfn.FORECAST.ETS(9,{SEASON},{STEPS},-1)", "#NUM!"),
    (f"=_xlfn.FORECAST.ETS(9,{SEASON},{STEPS},4,2)", "#NUM!"),             # data_completion 0 or 1
    (f"=_xlfn.FORECAST.ETS(9,{SEASON},{STEPS},4,1,8)", "#NUM!"),           # aggregation 1..7
    (f"=_xlfn.FORECAST.ETS(0,{SEASON},{STEPS},4)", "#NUM!"),              # a step before the start
    (f"=_xlfn.FORECAST.ETS(1/0,{SEASON},{STEPS},4)", "#DIV/0!"),
    (f"=_xlfn.FORECAST.ETS.CONFINT(9,{SEASON},{STEPS},1,4)", "#NUM!"),     # confidence inside (0, 1)
    (f"=_xlfn.FORECAST.ETS.STAT({SEASON},{STEPS},9,4)", "#NUM!"),
    (f"=_xlfn.FORECAST.ETS.SEASONALITY({SEASON},{STEPS},3)", "#NUM!"),
])
def test_ets_argument_rules(formula, expected):
    assert value(formula) == expected


def test_an_array_of_targets_gives_an_array_of_forecasts():
    from openpyxl.worksheet.formula import ArrayFormula
    got = values({"A1": ArrayFormula("A1:C1", f"=_xlfn.FORECAST.ETS({{9,10,11}},{SEASON},{STEPS},4)"),
                  "B1": None, "C1": None})
    assert [got["A1"], got["B1"], got["C1"]] == pytest.approx([1.0, 2.0, 3.0])
