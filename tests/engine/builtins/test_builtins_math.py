"""Math built-ins and unary operators on hand-made values (Excel's documented results)."""
import pytest

from formula_values import value, values, wrong_values


@pytest.mark.parametrize("formula, expected", [
    ('=--("A"="B")', 0.0),            # a pair of minus signs turns a boolean into a number
    ('=--("a"="A")', 1.0),
    ('=--"3"', 3.0),                  # ... and numeric text into a number
    ('=-+-"3"', 3.0),
    ('=+"3"', "3"),                   # unary plus changes nothing
    ('=--"x"', "#VALUE!"),
    ("=TRUNC(1,1E+50)", 1.0),         # huge digit counts keep the number (and never hang)
    ("=TRUNC(1,-1E+50)", 0.0),
    ("=TRUNC(-0.8,1)", -0.8),         # not -0.7 from 0.8*10 = 7.999...
    ("=TRUNC(8.9)", 8.0),
    ("=TRUNC(-8.9)", -8.0),
    ("=ROUND(2.5,0)", 3.0),
    ("=ROUND(-2.5,0)", -3.0),
    ("=ROUND(1.005,2)", 1.01),        # 15 significant digits first, as Excel
    ("=ROUND(1,1E+50)", 1.0),
    ("=ROUNDUP(3.14159,3)", 3.142),
    ("=ROUNDUP(-3.14159,1)", -3.2),
    ("=ROUNDDOWN(-3.14159,1)", -3.1),
    ("=ROUNDDOWN(31415.92654,-2)", 31400.0),
    ("=ROUNDUP(2.55,-255.5)", 1e255),        # Excel's value (formulas/test.xlsx): away from zero, however far
    ("=ROUNDUP(1E-12,2)", 0.01),
    ("=ROUNDUP(0.1*3,1)", 0.3),              # 0.30000000000000004 is 0.3 on 15 digits
    ("=ROUNDDOWN(2.55,-255)", 0.0),
    ("=QUOTIENT(5,2)", 2.0),
    ("=QUOTIENT(-10,3)", -3.0),
    ("=QUOTIENT(1,0)", "#DIV/0!"),
    ('=QUOTIENT("x",0)', "#VALUE!"),
])
def test_math(formula, expected):
    assert value(formula) == expected


def test_sumproduct_of_a_double_negated_comparison():
    got = values({"A1": "x", "A2": "y", "A3": "x", "A4": "z", "B1": 10, "B2": 20, "B3": 30, "B4": 40,
                  "C1": '=SUMPRODUCT(--(A1:A4="x"),B1:B4)'})
    assert got["C1"] == 40.0


def test_rand_is_in_range_and_randbetween_gives_whole_numbers():
    got = values({"A1": "=RAND()", "A2": "=RANDBETWEEN(3,5)", "A3": "=RANDBETWEEN(5,3)"})
    assert 0 <= got["A1"] < 1 and got["A2"] in (3.0, 4.0, 5.0) and got["A3"] == "#NUM!"


def test_a_range_in_a_single_cell_intersects_the_formula_row():
    # =ROUND(A1:A3*2,0) written in row 2 (not as an array formula) reads A2
    got = values({"A1": 1.2, "A2": 2.4, "A3": 3.6, "B2": "=ROUND(A1:A3*2,0)", "B5": "=ROUND(A1:A3,0)",
                  "C1": "=@A1:A3"})
    assert got["B2"] == 5.0 and got["B5"] == "#VALUE!" and got["C1"] == 1.2


def test_trunc_cuts_the_15_digits_excel_keeps():
    # Excel-saved values (formulas' test.xlsx, EXTRA!C24, C54, C64): the number shifted by the digits
    # is rounded to 15 significant digits, then cut: -7.999999999999998 is -8, -3.9999999999999947
    # (-3.99999999999999|47) stays below 4
    # (the numbers are typed in the formulas: openpyxl would write the cells with 16 digits only)
    got = values({"B1": "=TRUNC(-0.7999999999999998,1)", "B2": "=TRUNC(-0.49999999999999956,1)",
                  "B3": "=TRUNC(-0.39999999999999947,1)", "C1": "=ROUNDDOWN(8.000000000000002,0)"})
    assert (got["B1"], got["B2"], got["B3"], got["C1"]) == (-0.8, -0.5, -0.3, 8.0)


def test_booleans_are_no_numbers_for_randbetween():
    got = values({"A1": True, "B1": "=RANDBETWEEN(A1,3)"})
    assert got["B1"] == "#VALUE!"


def test_int_abs_and_mod_from_the_table():
    from direct_calls import arg, call
    assert (call("INT", arg(8.9)), call("INT", arg(-8.9)), call("INT", arg(True)), call("INT", arg("x"))) == \
        (8.0, -9.0, 1.0, "#VALUE!")
    assert (call("ABS", arg(-4)), call("ABS", arg("-2"))) == (4.0, 2.0)
    # MOD takes the divisor's sign (Excel's documentation: MOD(3,2) 1, MOD(-3,2) 1, MOD(3,-2) -1, MOD(-3,-2) -1)
    assert [call("MOD", arg(n), arg(d)) for n, d in ((3, 2), (-3, 2), (3, -2), (-3, -2))] == [1.0, 1.0, -1.0, -1.0]
    assert (call("MOD", arg(3), arg(0)), call("MOD", arg("#N/A"), arg(0))) == ("#DIV/0!", "#N/A")
    assert call("MOD", arg([5, 6, 7], per_row=True), arg(3), rows=(1, 2, 3)) == [[2.0], [0.0], [1.0]]


@pytest.mark.parametrize("formula, expected", [
    ("=INDEX({1;2;3}*{10,20},3,2)", 60.0),          # a column against a row spreads over both
    ("=SUM({1;2}*{1,1,1})", 9.0),
    ("=INDEX({1,2,3}+{10,20},1,2)", 22.0),
    ("=INDEX({1,2,3}+{10,20},1,3)", "#N/A"),        # beyond the shorter array: #N/A
    ('=INDEX({1,2,3}&{"a","b"},1,3)', "#N/A"),
])
def test_operators_broadcast_as_excel(formula, expected):
    assert value(formula) == expected


def test_minverse_is_gauss_jordan_with_excels_rounding():
    from openpyxl.worksheet.formula import ArrayFormula
    cells = {"A1": ArrayFormula("A1:C3", "=MINVERSE({1,2,3;2,5,6;7,8,9})")}
    cells.update({f"{c}{r}": None for c in "ABC" for r in (1, 2, 3) if (c, r) != ("A", 1)})
    got = values({**cells, "E1": "=MINVERSE({1,2;2,4})", "E2": "=INDEX(MINVERSE({4,7;2,6}),1,2)",
                  "E3": '=MINVERSE({"a",2;3,4})'})
    # Excel's own values (a workbook Excel saved), the noise of its elimination included
    excel = [[0.25, -0.4999999999999999, 0.25], [-1.9999999999999993, 0.9999999999999997, -2.0451476769410777e-17],
             [1.5833333333333328, -0.49999999999999983, -0.0833333333333333]]
    for r, row in enumerate(excel, start=1):
        for c, want in zip("ABC", row):
            assert got[f"{c}{r}"] == pytest.approx(want, rel=1e-9, abs=0)
    assert (got["E1"], got["E2"], got["E3"]) == ("#NUM!", pytest.approx(-0.7), "#VALUE!")     # singular; 7/-10


@pytest.mark.parametrize("formula, expected", [
    ("=CEILING(10,7)", 14.0),
    ("=CEILING(-10,7)", -7.0),               # a negative number rounds toward zero ...
    ("=CEILING(-10,-7)", -14.0),             # ... or away from it with a negative significance
    ("=CEILING(10,-1)", "#NUM!"),            # a positive number with a negative significance
    ("=CEILING(10,0)", 0.0),
    ("=CEILING(7.1,0.1)", 7.1000000000000005),   # Excel's value: 71 tenths, multiplied back as is
    ("=FLOOR(7.1,0.1)", 7.1000000000000005),     # 7.1/0.1 is 71 on 15 significant digits
    ("=FLOOR(-10,7)", -14.0),
    ("=FLOOR(10,0)", "#DIV/0!"),
    ("=FLOOR(0,0)", 0.0),
    ("=FLOOR(1E-307,1)", 0.0),
    ('=FLOOR("x",0)', "#VALUE!"),            # the number's error comes first
    ("=CEILING(10,TRUE)", 10.0),
    ("=CEILING.MATH(-10,7)", -7.0),
    ("=CEILING.MATH(-10,-7,1)", -14.0),      # a mode away from zero for negative numbers
    ("=CEILING.MATH(4.2)", 5.0),
    ("=FLOOR.MATH(-10,7,1)", -7.0),
    ("=FLOOR.MATH(-10,-7)", -14.0),
    ("=FLOOR.MATH(10,0)", 0.0),
    ("=ISO.CEILING(-10,-7)", -7.0),          # toward +infinity whatever the signs
    ("=CEILING.PRECISE(4.2)", 5.0),
    ("=FLOOR.PRECISE(-10,-7)", -14.0),
])
def test_ceiling_and_floor(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("=LCM(A1,B1,C1)", 30.0),                # C1 blank: left out (as 0 it would give 0)
    ("=GCD(A1,B1,C1)", 1.0),
    ("=LCM(A1:C1)", 0.0),                    # ... but a blank inside a range is 0
    ("=GCD(A1:C1)", 1.0),
    ("=LCM(C1,D1)", "#VALUE!"),              # nothing but blanks
    ("=LCM(,B1)", "#N/A"),                   # an omitted argument
    ("=LCM(7.9,4.9)", 28.0),                 # truncated
    ("=GCD(-7,5)", "#NUM!"),
    ("=LCM(-0.0001,5)", "#NUM!"),            # negative before truncation
    ('=GCD("8",2)', 2.0),                    # numeric text is read
    ('=GCD("eight",2)', "#VALUE!"),
    ("=GCD(TRUE,2)", "#VALUE!"),
    ("=LCM(2^31-1,2^30-1)", "#NUM!"),        # past 2^53
    ("=GCD(1E+100,5)", "#NUM!"),
    ("=LCM({4,8,12})", 24.0),
    ("=GCD(1/0,NA())", "#DIV/0!"),           # the first error
    ("=COMBIN(5,2)", 10.0),
    ("=COMBIN(5.9,2.9)", 10.0),
    ("=COMBIN(2,5)", "#NUM!"),
    ("=COMBIN(-1,0)", "#NUM!"),
    ("=COMBINA(4,3)", 20.0),
    ("=COMBINA(0,0)", 1.0),
    ("=COMBINA(3,5)", 21.0),
])
def test_gcd_lcm_combin(formula, expected):
    assert values({"A1": 10, "B1": 3, "Z1": formula})["Z1"] == expected


def test_gcd_reports_a_type_error_before_a_negative_number():
    assert values({"A1": -0.4, "B1": True, "C1": "=GCD(A1,B1)", "D1": "=LCM(A1,5)"})["C1"] == "#VALUE!"
    assert values({"A1": -0.4, "D1": "=LCM(A1,5)"})["D1"] == "#NUM!"


def test_arithmetic_and_numeric_arguments_read_date_text():
    got = values({"A1": '="2024-01-10"', "B1": "=A1+1", "C1": '=SUM("2024-01-10",1)', "D1": "=SUM(A1,1)",
                  "E1": '="nan"+0', "F1": '=CEILING("2024-01-10",7)', "G1": '="1,000"*2'})
    assert (got["B1"], got["C1"], got["D1"]) == (45302.0, 45302.0, 1.0)    # text in a reference: SUM skips it
    assert (got["E1"], got["F1"], got["G1"]) == ("#VALUE!", 45304.0, 2000.0)


@pytest.mark.parametrize("formula, expected", [
    ("=SERIESSUM(2,0,1,{1,2,3})", 17.0),            # 1 + 2*2 + 3*4
    ("=SERIESSUM(0.5,1,2,{2,2,2})", 1.3125), ("=SERIESSUM(-1,0,2,{1,2,3})", 6.0),
    ("=SERIESSUM(0,0,2,{1,2,3})", "#NUM!"),          # 0^0
    ("=SERIESSUM(0,1,1,{1,2})", 0.0), ("=SERIESSUM(0,-1,1,{1,2})", "#DIV/0!"),
    ("=SERIESSUM(TRUE,0,1,{1,2})", "#VALUE!"), ('=SERIESSUM("a",0,1,{1,2})', "#VALUE!"),
    ("=SERIESSUM(2,0,1,{1,1/0})", "#DIV/0!"),
])
def test_seriessum(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("=ROMAN(499)", "CDXCIX"), ("=ROMAN(499,TRUE)", "CDXCIX"), ("=ROMAN(499,FALSE)", "ID"),   # FALSE is form 4
    ("=ROMAN(99,FALSE)", "IC"), ("=ROMAN(499,2)", "XDIX"),
])
def test_roman_logical_form(formula, expected):
    assert value(formula) == expected


EXP_LOG_CASES = [
    # text reads as arithmetic reads it: a date (its serial), a percentage
    ('=SIGN("2024-01-10")', 1.0),
    ('=EXP("2024-01-10")', "#NUM!"),          # e^45301 is beyond the largest double
    ('=EXP("8%")', 1.0832870676749586),
    ('=SIGN("-8%")', -1.0),
    ('=LN("1900-01-01")', 0.0),               # serial 1
    ('=SQRT("4")', 2.0),
    ('=EXP("x")', "#VALUE!"),
    ("=EXP(1000)", "#NUM!"),
    ("=EXP(-1000)", 0.0),
    ("=LN(0)", "#NUM!"),
    ("=LOG10(-1)", "#NUM!"),
    ("=SQRT(-1)", "#NUM!"),
    ("=LOG(1000)", 3.0),
    ("=LOG(8,2)", 3.0),
    ("=LOG(TRUE)", 0.0),
    # LOG's base 1 (or TRUE) divides by ln 1 = 0: #DIV/0!; a base or number at or below 0 is #NUM!
    ("=LOG(10,1)", "#DIV/0!"),
    ("=LOG(1,1)", "#DIV/0!"),
    ("=LOG(10,TRUE)", "#DIV/0!"),
    ("=LOG(10,0)", "#NUM!"),
    ("=LOG(10,FALSE)", "#NUM!"),
    ("=LOG(10,-1)", "#NUM!"),
    ("=LOG(-10,10)", "#NUM!"),
    ('=LOG(10,"x")', "#VALUE!"),
    ("=LOG(10,1/0)", "#DIV/0!"),
]


def test_exp_ln_log_sqrt_sign():
    assert wrong_values(EXP_LOG_CASES) == []



def test_sumproduct_of_single_values_multiplies_them():
    # single values (typed or one-cell references) multiply as numbers; text there is #VALUE!,
    # while an array's text counts as 0; arrays must have the same dimensions
    cells = {"A1": 534, "A2": 1.1, "A3": '="4"', "A4": 2, "B1": "x", "B2": 3, "C1": 2, "C2": 4, "D1": "=1/0", "D2": 5}
    got = values({**cells, "E1": "=SUMPRODUCT(3,A1,A2)", "E2": "=SUMPRODUCT(A2:A2,3,A1,A2:A2)",
                  "E3": "=SUMPRODUCT(A3:A3,A4:A4)", "E4": "=SUMPRODUCT(A3,2)", "E5": '=SUMPRODUCT("3")',
                  "E6": "=SUMPRODUCT(B1:B2,C1:C2)", "E7": "=SUMPRODUCT(2,C1:C2)", "E8": "=SUMPRODUCT(C1:C2,D1:D2)",
                  "E9": "=SUMPRODUCT({1,2,3},{4,-2,-4})", "E10": "=SUMPRODUCT({1,2,3},{4;-2;-4})"})
    assert got["E1"] == pytest.approx(1762.2) and got["E2"] == pytest.approx(1938.42)
    assert (got["E3"], got["E4"], got["E5"]) == ("#VALUE!", "#VALUE!", "#VALUE!")
    assert (got["E6"], got["E7"], got["E8"]) == (12.0, "#VALUE!", "#DIV/0!")
    assert (got["E9"], got["E10"]) == (-12.0, "#VALUE!")


MROUND_CASES = [
    ("=MROUND(10,3)", 9.0),
    ("=MROUND(7.5,5)", 10.0),                 # halves away from zero
    ("=MROUND(1,2)", 2.0),
    ("=MROUND(-7.5,-5)", -10.0),
    ("=MROUND(-7.5,5)", "#NUM!"),             # signs differ
    ("=MROUND(5,0)", 0.0),
    ("=MROUND(2.675,0.01)", 2.68),            # 267.49999999999997 multiples is 267.5 on 15 digits
    ("=MROUND(10.3,0.5)", 10.5),
    ('=MROUND("2024-01-10",7)', 45304.0),     # a date's serial
    ('=MROUND(" 2024-01-10 ",7)', "#VALUE!"),
    ("=MROUND(TRUE,1)", "#VALUE!"),
    ("=MROUND(,5)", "#N/A"),                  # an omitted argument
    ("=MROUND(5,)", "#N/A"),
    ("=MROUND(1/0,5)", "#DIV/0!"),
    ("=MROUND(5,9.99999E+307)", 0.0),
    ("=MROUND(9.99999E+307,5)", 9.99999e307),
    ("=SUM(MROUND({1,2},2))", "#VALUE!"),     # an array argument, not taken element by element
]


def test_mround():
    assert wrong_values(MROUND_CASES) == []

