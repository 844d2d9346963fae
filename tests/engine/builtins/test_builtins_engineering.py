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


def test_complex_functions_write_excel_text():
    assert value('=IMSUM("1.5+2j","0.25-4.125j")') == "1.75-2.125j"
    assert value('=IMPRODUCT("i","i")') == "-1"
