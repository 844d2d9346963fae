"""DEC2BIN/DEC2OCT/DEC2HEX on hand-made values (Excel's values, as in the conformance files)."""
import math

import pytest

from formula_values import value, values


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


@pytest.mark.parametrize("text, expected", [
    # Excel's text of a complex number: 15 significant digits per part (the conformance workbook's values)
    ("27142327967.108967-23653126953.378967j", "27142327967.109-23653126953.379j"),
    ("6.924426746138675E-05-1.0000587395115328j", "0.0000692442674613868-1.00005873951153j"),
    ("1.2823399588845422E-06+4.33496947416312E-06j", "1.28233995888454E-06+4.33496947416312E-06j"),
    ("3.821267573376839E-22-j", "3.82126757337684E-22-j"),
    ("0.010604783470337102-1.0357466377649955i", "0.0106047834703371-1.035746637765i"),
    ("(3+0j)", "(3+0j)"),          # not a complex number's text: unchanged
    ("4j", "4j"), ("-1j", "-j"), ("2.5", "2.5"), ("1e+16", "1E+16"),
])
def test_complex_text_as_excel_writes_it(text, expected):
    from ilt_xl.engine.builtins.complex_numbers import excel_complex
    assert excel_complex(text) == expected


@pytest.mark.parametrize("formula, expected", [
    # Excel's own results (a workbook Excel saved): the 15th digit is the one its formulas give
    ('=IMCSC("3.1+2j")', "0.0118908807944521+0.275445903842597j"),
    ('=IMLOG2("3.1+2j")', "1.88329758086464+0.826615412942814j"),
    ('=IMLOG2(8)', "3"),
    ('=IMCSC("2i")', "-0.275720564771783i"),           # 1/sin(2i) = -i/sinh 2
    ('=IMCSC(0)', "#NUM!"), ('=IMLOG2("x")', "#NUM!"),
])
def test_complex_functions_give_excels_last_digit(formula, expected):
    assert value(formula) == expected


def test_complex_functions_write_excel_text():
    assert value('=IMSUM("1.5+2j","0.25-4.125j")') == "1.75-2.125j"
    assert value('=IMPRODUCT("i","i")') == "-1"


@pytest.mark.parametrize("formula, expected", [
    # the examples of Excel's documentation of each function
    ("=BIN2DEC(1100100)", 100.0), ("=BIN2DEC(1111111111)", -1.0),
    ("=BIN2HEX(11111011,4)", "00FB"), ("=BIN2HEX(1110)", "E"), ("=BIN2HEX(1111111111)", "FFFFFFFFFF"),
    ("=BIN2OCT(1001,3)", "011"), ("=BIN2OCT(1100100)", "144"), ("=BIN2OCT(1111111111)", "7777777777"),
    ('=HEX2BIN("F",8)', "00001111"), ('=HEX2BIN("B7")', "10110111"), ('=HEX2BIN("FFFFFFFE00")', "1000000000"),
    ('=HEX2DEC("A5")', 165.0), ('=HEX2DEC("FFFFFFFF5B")', -165.0), ('=HEX2DEC("3DA408B9")', 1034160313.0),
    ('=HEX2OCT("F",3)', "017"), ('=HEX2OCT("3B4E")', "35516"), ('=HEX2OCT("FFFFFFFF00")', "7777777400"),
    ("=OCT2BIN(3,3)", "011"), ("=OCT2BIN(7777777000)", "1000000000"),
    ("=OCT2DEC(54)", 44.0), ("=OCT2DEC(7777777533)", -165.0),
    ("=OCT2HEX(100,4)", "0040"), ("=OCT2HEX(7777777533)", "FFFFFFFF5B"),
    ('=DECIMAL("FF",16)', 255.0), ("=DECIMAL(111,2)", 7.0), ('=DECIMAL("zap",36)', 45745.0),
    # Excel's rules the conformance workbooks show
    ('=BIN2HEX(110,"5")', "00006"),             # places given as text that reads as a number
    ('=HEX2DEC("-A")', "#NUM!"),                # a sign is no digit
    ("=DECIMAL(111,2.5)", 7.0),                 # the radix is truncated
    ('=BIN2DEC("12")', "#NUM!"), ("=BIN2DEC(TRUE)", "#VALUE!"), ("=HEX2DEC(1.5)", "#NUM!"),
    ('=HEX2DEC("10000000000")', "#NUM!"),       # more than ten digits
    ('=DECIMAL("FF",1)', "#NUM!"), ('=DECIMAL("FF",37)', "#NUM!"),
    ('=HEX2BIN("200")', "#NUM!"),               # 512 has no ten binary digits
])
def test_base_conversions(formula, expected):
    assert value(formula) == expected


def test_base_conversions_take_one_value_not_a_range():
    from openpyxl.worksheet.formula import ArrayFormula

    from formula_values import values
    got = values({"A1": "F", "B1": "1", "C1": ArrayFormula("C1:D1", "=HEX2DEC(A1:B1)"), "D1": None, "C2": "=HEX2DEC(A1)",
                  "A4": "A", "A5": "B", "B5": "=HEX2DEC(A4:A5)"})       # a plain formula: the range's cell on its row
    assert (got["C1"], got["D1"], got["C2"], got["B5"]) == ("#VALUE!", "#VALUE!", 15.0, 11.0)


@pytest.mark.parametrize("formula, expected", [
    # the examples of Excel's documentation (shown to 9 decimals)
    ("=BESSELI(1.5,1)", pytest.approx(0.981666428, abs=1e-9)),
    ("=BESSELJ(1.9,2)", pytest.approx(0.329925829, abs=1e-9)),
    ("=BESSELK(1.5,1)", pytest.approx(0.277387804, abs=1e-9)),
    ("=BESSELY(2.5,1)", pytest.approx(0.145918138, abs=1e-9)),
    # Excel's values to the last digit (formulas/test.xlsx): its approximations, not the true functions
    ("=BESSELI(2.3,2)", 1.0054316669125958), ("=BESSELI(-1,0)", 1.2660658480342601),
    ('=BESSELI("3.2",2)', 2.7882984611029293), ("=BESSELJ(1,0)", 0.7651976837548592),
    ("=BESSELJ(2.3,2)", 0.41391458970875217), ("=BESSELJ(10000000,2.3)", 8.683739567294922e-05),
    ("=BESSELK(2.3,2)", 0.1617333633782021), ("=BESSELY(2.3,2)", -0.4726168566767928),
    ("=BESSELY(10000000,2)", -0.00023689922733673244),
    # Excel's rules
    ("=BESSELI(0,10000000)", 0.0), ("=BESSELI(2,-1)", "#NUM!"), ("=BESSELK(0,1)", "#NUM!"),
    ("=BESSELY(-1,0)", "#NUM!"), ("=BESSELI(10000000,2)", "#NUM!"), ("=BESSELI(TRUE,1)", "#VALUE!"),
])
def test_bessel(formula, expected):
    assert value(formula) == expected


def test_bessel_of_a_range_in_an_array_formula_is_value_error():
    from openpyxl.worksheet.formula import ArrayFormula

    from formula_values import values
    got = values({"A1": 1, "B1": 2, "C1": ArrayFormula("C1:D1", "=BESSELJ(A1:B1,0)"), "D1": None})
    assert (got["C1"], got["D1"]) == ("#VALUE!", "#VALUE!")


def test_complex_with_a_blank_suffix_uses_i():
    got = values({"A1": 1.23, "B1": 9.5121, "C2": '=""',
                  "D1": "=COMPLEX(A1,B1,C1)", "D2": "=COMPLEX(A1,B1,C2)", "D3": '=COMPLEX(A1,B1,"j")',
                  "E1": "=IMREAL(D1)", "F1": "=IMAGINARY(D1)"})
    assert (got["D1"], got["D2"], got["D3"]) == ("1.23+9.5121i", "1.23+9.5121i", "1.23+9.5121j")
    assert (got["E1"], got["F1"]) == (1.23, 9.5121)


@pytest.mark.parametrize("formula, expected", [
    ('=IMARGUMENT("5i")', math.pi / 2),      # a real part of 0 is no division by zero
    ('=IMARGUMENT("-3i")', -math.pi / 2),
    ('=IMARGUMENT("1E-16")', 0.0),
    ('=IMARGUMENT("1+2i")', math.atan2(2, 1)),
    ('=IMARGUMENT("0")', "#DIV/0!"),
    ('=IMARGUMENT("x")', "#NUM!"),
])
def test_imargument(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("=_xlfn.BASE(16,4,8)", "00000100"), ("=_xlfn.BASE(10,16)", "A"), ("=_xlfn.BASE(123456789,36)", "21I3V9"),
    ("=_xlfn.BASE(12.567,2,7)", "0001100"),     # the number and the radix are truncated
    ("=_xlfn.BASE(20,10.9)", "20"), ("=_xlfn.BASE(12345678,16,2)", "BC614E"),  # min_length below the digits
    ("=_xlfn.BASE(0,2)", "0"), ("=ISTEXT(_xlfn.BASE(16,10))", True),
    ("=_xlfn.BASE(-1,2)", "#NUM!"), ("=_xlfn.BASE(40,37)", "#NUM!"), ("=_xlfn.BASE(123,1)", "#NUM!"),
    ("=_xlfn.BASE(2^53,2)", "#NUM!"), ("=_xlfn.BASE(5,2,256)", "#NUM!"), ('=_xlfn.BASE("x",2)', "#VALUE!"),
    ("=INDEX(_xlfn.BASE({5,6},2),2)", "110"),    # an array is taken element by element
])
def test_base(formula, expected):
    assert value(formula) == expected
