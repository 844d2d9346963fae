"""LET, LAMBDA (in place, in LET, as a defined name) and the functions that call lambdas."""
import pytest

from formula_values import value

CELLS = dict(A1=2.5, B1=1, B2=2, C1=3, C2=4)


@pytest.mark.parametrize("formula, expected", [
    ("=_xlfn.LET(_xlpm.x,1,_xlpm.y,A1,232+_xlpm.x+_xlpm.y)", 235.5),
    ("=_xlfn.LET(_xlpm.x,2,_xlpm.y,_xlpm.x*10,_xlpm.y+_xlpm.x)", 22.0),      # later names see earlier ones
    ("=_xlfn.LAMBDA(_xlpm.x,_xlpm.y,_xlpm.x*_xlpm.y)(3,4)", 12.0),
    ("=_xlfn.LAMBDA(_xlpm.x,_xlpm.x)(1,2)", "#VALUE!"),                         # wrong number of arguments
    ("=_xlfn.LAMBDA(A1+1)()", 3.5),
    ("=_xlfn.LET(_xlpm.f,_xlfn.LAMBDA(_xlpm.x,_xlpm.x*2),_xlpm.f(21))", 42.0),
    ("=SUM(_xlfn.BYROW(B1:C2,_xleta.SUM))", 10.0),
    ("=INDEX(_xlfn.BYCOL(B1:C2,_xlfn.LAMBDA(_xlpm.c,MAX(_xlpm.c))),1,2)", 4.0),
    ("=SUM(_xlfn.MAP(B1:C2,_xlfn.LAMBDA(_xlpm.a,_xlpm.a^2)))", 30.0),
    ("=_xlfn.REDUCE(,B1:C2,_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlpm.a+_xlpm.b^2))", 30.0),
    # SCAN walks row by row: 1, 1+3, 4+2, 6+4
    ("=INDEX(_xlfn.SCAN(0,B1:C2,_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlpm.a+_xlpm.b)),2,1)", 6.0),
    ("=SUM(_xlfn.MAKEARRAY(2,3,_xlfn.LAMBDA(_xlpm.r,_xlpm.c,_xlpm.r*_xlpm.c)))", 18.0),
])
def test_lambdas(formula, expected):
    assert value(formula, **CELLS) == expected


def test_a_defined_name_holding_a_lambda_is_callable(tmp_path):
    import datetime as dt

    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    wb.defined_names["HYPOT"] = DefinedName("HYPOT", attr_text="_xlfn.LAMBDA(_xlpm.a,_xlpm.b,SQRT(_xlpm.a^2+_xlpm.b^2))")
    wb.active["A1"] = "=HYPOT(3,4)"
    wb.save(tmp_path / "l.xlsx")
    model = load_workbook_model(tmp_path / "l.xlsx")
    compute(model, dt.date(2024, 1, 1))
    assert model.sheets[0].grid.num[0, 0] == 5.0


@pytest.mark.parametrize("formula, expected", [
    # sizes given as an array: one MAKEARRAY per element, each showing its first value
    ("=INDEX(_xlfn.MAKEARRAY({2,3},1,_xlfn.LAMBDA(_xlpm.x,_xlpm.y,_xlpm.x*10+_xlpm.y)),1,2)", 11.0),
    ("=_xlfn.MAKEARRAY(TRUE,1,_xlfn.LAMBDA(_xlpm.x,_xlpm.y,_xlpm.x+1+_xlpm.y))", 3.0),   # TRUE is 1
    ("=_xlfn.MAKEARRAY(2.3,1,_xlfn.LAMBDA(_xlpm.x,_xlpm.y,_xlpm.x))", "#VALUE!"),       # not a whole number
])
def test_makearray_sizes(formula, expected):
    assert value(formula) == expected


def test_reduce_may_carry_an_array():
    # REDUCE's accumulator may be an array (Excel: {1,2,3} + 1 + 4 + 9 = {15,16,17}; stacking rows)
    from openpyxl.worksheet.formula import ArrayFormula

    from formula_values import values
    got = values({"A1": 1, "B1": 2, "C1": 3, "E1": None, "F1": None, "D3": None, "D4": None,
                  "D1": ArrayFormula("D1:F1", "=_xlfn.REDUCE(A1:C1,{1,2,3},_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlpm.a+_xlpm.b^2))"),
                  "D2": ArrayFormula("D2:D5", "=_xlfn.REDUCE(0,A1:C1,_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlfn.VSTACK(_xlpm.a,_xlpm.b)))"),
                  "D5": None})
    assert [got[c] for c in ("D1", "E1", "F1")] == [15.0, 16.0, 17.0]
    assert [got[f"D{r}"] for r in (2, 3, 4, 5)] == [0.0, 1.0, 2.0, 3.0]


def test_optional_parameters_and_isomitted():
    # an optional parameter is declared _xlop.b and read _xlpm.b (cached: IronCalc
    # INFORMATION_ISOMITTED.xlsx); left out of the call, or given empty, it is omitted
    from formula_values import values
    half_or_product = '_xlfn.LAMBDA(_xlpm.a,_xlop.b,IF(_xlfn.ISOMITTED(_xlpm.b),_xlpm.a/2,_xlpm.a*_xlpm.b))'
    got = values({"A5": 12, "B5": 3,
                  "A1": '=_xlfn.LAMBDA(_xlpm.x,_xlpm.y,IF(_xlfn.ISOMITTED(_xlpm.y),"missing",_xlpm.x+_xlpm.y))(1,)',
                  "A2": f"={half_or_product}(A5)", "A3": f"={half_or_product}(A5,B5)",
                  "A4": "=_xlfn.LAMBDA(_xlpm.a,_xlop.b,_xlpm.a)()",        # a required parameter left out
                  "A6": "=_xlfn.LAMBDA(_xlpm.a,_xlpm.a)(1,2)", "A7": "=_xlfn.ISOMITTED(A5)"})
    assert [got[f"A{i}"] for i in (1, 2, 3, 4, 6, 7)] == ["missing", 6.0, 36.0, "#VALUE!", "#VALUE!", False]
