"""Excel's number format codes (ilt_xl.engine.number_format) on hand-made values.

Each expected text is either Excel's documented result (the TEXT function's and the custom
number format pages: "doc") or a value Excel cached for TEXT(value, code) in a public workbook
Excel saved ("cached": Apache POI's NumberFormatTests / GeneralFormatTests / FormatConditionTests
/ DateFormatTests test data, IronCalc's TEXT tests, SheetJS issue 2717, pycel's text fixture);
the comment on each group says which."""
import pytest
from formula_values import value

from ilt_xl.engine.number_format import format_number, general


@pytest.mark.parametrize("number, code, expected", [
    # doc: the TEXT function's examples
    (1234.567, "$#,##0.00", "$1,234.57"),
    (0.285, "0.0%", "28.5%"),
    (4.34, "# ?/?", "4 1/3"),
    (12200000, "0.00E+00", "1.22E+07"),
    (1234, "0000000", "0001234"),
    (1234567898, "[<=9999999]###-####;(###) ###-####", "(123) 456-7898"),
    (8.9, "#.000", "8.900"),
    (0.631, "0.#", "0.6"),
    (12, "#.0#", "12.0"),
    (44.398, "???.???", " 44.398"),
    (12200000, "#,###.0,", "12,200.0"),     # a comma after the placeholders divides by 1,000
])
def test_documented_examples(number, code, expected):
    assert format_number(float(number), code) == expected


def test_documented_fractions_with_spaces():
    """doc: TRIM(TEXT(0.34,"# ?/?")) is 1/3 (TEXT leaves spaces: the whole part's and the gap);
    5.25 in # ???/??? shows 5 1/4 (the numerator right-aligned, the denominator left-aligned)."""
    assert format_number(0.34, "# ?/?") == " 1/3"
    assert format_number(5.25, "# ???/???") == "5   1/4  "


@pytest.mark.parametrize("number, code, expected", [
    # cached (IronCalc TEXT.xlsx): _x is one space, [Red] shows nothing, a negative number whose
    # shown digits are all 0 loses its minus sign (its section is still the negative one)
    (12, "#,##0_);(#,##0)", "12 "),
    (12, "$#,##0_);($#,##0)", "$12 "),
    (-0.3333333333333333, "#,##0_);(#,##0)", "(0)"),
    (-0.3333333333333333, "0", "0"),
    (-2.5e-10, "0.00%", "0.00%"),
    (-2.5e-10, "00-00-00-00", "00-00-00-00"),
    (-1e-08, '#,#.00 "Millions!"', ".00 Millions!"),
    (-12, "[Red]#.#", "-12."),
    (0.3333333333333333, "[Red]#.#", ".3"),
    (0, "[Red]#.#", "."),
    (123456789012, '#,##,, "Millions"', "123,457 Millions"),
    (41304, "m/d/y", "1/30/13"),
    # cached (POI NumberFormatTests): ? pads with spaces, the thousands separator too
    (1234567, "?,???????", " 1,234,567"),
    (1234567, "?,?????????", "    1,234,567"),
    (-1234567, "?,???????", "- 1,234,567"),
    (1234567, "#,,", "1"),
    (-1234567, "0,", "-1235"),
    (-1234567, "#,.#,", "-1.2"),
    (1.1, "|?.??|", "|1.1 |"),
    (-1.1, "|??.??|", "-| 1.1 |"),
    (0.00035, "#,##0.00%", "0.04%"),
    # cached (pycel text.xlsx): a comma between a placeholder and a later one shows nothing,
    # after a literal it is a literal; 0 after the last digit that is not 0 shows 0, # nothing
    (890123.456789, "#,#.##.##,#", "890,123.45.679"),
    (890123.456789, "#x,0,#.00.0", "890,1x,23.45.7"),
    (890123.456789, "#.###,x##", "890123.456x79"),
    (890123.456789, "#.#####00#0", "890123.45678900"),
    (1.23, '#"°F""', None),                 # a quote never closed: #VALUE!
])
def test_digit_placeholders_commas_and_signs(number, code, expected):
    assert format_number(float(number), code) == expected


@pytest.mark.parametrize("number, code, expected", [
    # cached (POI NumberFormatApproxTests / NumberFormatTests): scientific and engineering
    (123456.789, "|#.#|e+|#|", "|1.2|e|+5|"),
    (123456.789, "|####.####|e+|#|", "|12.3457|e|+4|"),      # exponent a multiple of 4
    (123456.789, "|0000.0000|e+|0|", "|0012.3457|e|+4|"),
    (123456.789, "|?,??????.????|e+|?|", "|  123,456.789 |e|+0|"),
    (1.23456789e-05, "|#.#|E-|#|", "|1.2|E|-5|"),           # the sign stands by the digits
    (1.23456789e-05, "|#%e+#|", "|1%e-5|"),                  # % shows, does not multiply
    (123456.789, "|#,e-#|", "|1e5|"),
    (0, "|????.????|e-|?|", "|0000.    |e|0|"),
    (0, "|#.#|e+|?????|", "|0.|e|+    0|"),
    (1.2345678e+142, "|#.#|e+|00000|", "|1.2|e|+00142|"),
    (3.14159, "#,##0.00e+00", "3.14e+00"),
])
def test_scientific(number, code, expected):
    assert format_number(float(number), code) == expected


@pytest.mark.parametrize("number, code, expected", [
    # cached (POI NumberFormatTests): fractions with literals among their placeholders
    (23.75, "|#\\:#/#|", "|23:3/4|"),
    (0, "|#\\:#/#|", "|0|"),
    (-23.75, "|#\\:#/#|", "-|23:3/4|"),
    (23.75, "|#-#-#\\:#/#|", "|-2-3:3/4|"),
    (1, "|#\\:#=/=?|", "|1      |"),                # a whole number: the fraction as spaces
    (23.75, "|#\\:? ?0#/000", "|2:3  03/004"),
    (0.75, "|?\\:#=/=#|", "|  3=/=4|"),
    (0.75, "|#\\:#=/=#|", "|3=/=4|"),
    (0, "|#\\:0=/=#|", "|0=/=1|"),
    (-3.75, "|#_#=/=#|", "-|15 =/=4|"),             # no whole part: an improper fraction
])
def test_fractions(number, code, expected):
    assert format_number(float(number), code) == expected


@pytest.mark.parametrize("number, expected", [
    # cached (POI GeneralFormatTests, IronCalc TEXT.xlsx): up to 11 characters, else scientific
    (1.2345678912, "1.234567891"), (-1.2345678912, "-1.234567891"),
    (10000000000, "10000000000"), (112000000000, "1.12E+11"), (-112345900000, "-1.12346E+11"),
    (0.3333333333333333, "0.333333333"), (12345.6789, "12345.6789"),
    (1.1e-10, "1.1E-10"), (-1e-09, "-0.000000001"), (-2.5e-09, "-2.5E-09"), (-1e-08, "-0.00000001"),
    (1e16, "1E+16"), (1.23456e19, "1.23456E+19"), (0, "0"),
])
def test_general(number, expected):
    assert format_number(float(number), "General") == expected
    assert ("-" if number < 0 else "") + general(abs(float(number))) == expected


@pytest.mark.parametrize("number, code, expected", [
    # cached (POI FormatConditionTests): a condition picks its section; a number it does not
    # take is shown as General; the section of a condition keeps the minus sign
    (1.5, '[<10]#" Wow"', "2 Wow"), (10, '[<10]#" Wow"', "10"), (1, '[<      10]#" Wow"', "1 Wow"),
    (10, '[<>10]#" Wow"', "10"), (-9, '[>-10]#" Big"', "-9 Big"), (-11, '[=-10]#" Wow"', "-11"),
])
def test_conditions(number, code, expected):
    assert format_number(float(number), code) == expected


@pytest.mark.parametrize("number, code, expected", [
    # cached (POI DateFormatTests, SheetJS issue2717, IronCalc TEXT.xlsx)
    (19278.607951388887, "dddd-mmmm-yyyy H:M:S am/pm", "Saturday-October-1952 2:35:27 PM"),
    (19278.607951388887, "d \\d\\a\\y\\s h a/p", "11 days 2 p"),
    (4018.99999998843, "mm/dd/yyyy hh:mm:ss.000", "12/31/1910 23:59:59.999"),
    (4018.99999998843, "mm/dd/yyyy hh:mm:ss.00", "01/01/1911 00:00:00.00"),   # rounds into the next day
    (4018.99999998843, "mm/dd/yyyy hh:mm", "01/01/1911 00:00"),               # to the second, then cut
    (59.999999, "yyyy mmm ddd dd hh:mm:ss", "1900 Feb Wed 29 00:00:00"),      # Excel's 29 February 1900
    (0.00069, "yyyy mmm ddd dd hh:mm:ss", "1900 Jan Sat 00 00:01:00"),        # day 0
    (28313.0, "ee-mm-dd", "1977-07-07"),
    (-1, "dddd/mmmm/yyyyy", None),
    # cached (POI ElapsedFormatTests): a plain code of an elapsed unit counts elapsed too
    (3.14159, '[s]" [yes, "ss"] seconds"', "271433 [yes, 271433] seconds"),
    (0, '[s]" [yes, "ss"] seconds"', "0 [yes, 00] seconds"),
    (0.08546296296296296, "[hh]:mm:ss.0", "02:03:04.0"),
    (3.14159, 's:m" @ hour "[hh]', "53:23 @ hour 75"),
])
def test_dates_and_times(number, code, expected):
    assert format_number(float(number), code) == expected


@pytest.mark.parametrize("formula, expected", [
    ('=TEXT(1234.5,"[$€-407] #,##0.00")', "€ 1,234.50"),      # doc: a currency tag shows its symbol
    ('=TEXT(45292,"[$-409]mmmm d, yyyy")', "January 1, 2024"),  # doc: a locale tag shows nothing
    # the system's long date and time (Windows' English (United States) formats), whatever follows
    ('=TEXT(45292.75,"[$-F800]dddd, mmmm dd, yyyy")', "Monday, January 1, 2024"),
    ('=TEXT(45292.75,"[$-F400]h:mm")', "6:00:00 PM"),
    ('=TEXT(5,"0;-0;0;@")', "5"),
    ('=TEXT(-5,"0;")', ""),                                    # an empty negative section
    ('=TEXT(1,"""Total ""General")', "Total 1"),
    # doc (DOLLAR's examples): rounded to the decimals, a negative count rounds left of the point,
    # negatives in parentheses
    ("=DOLLAR(1234.567,2)", "$1,234.57"), ("=DOLLAR(1234.567,-2)", "$1,200"),
    ("=DOLLAR(-1234.567,-2)", "($1,200)"), ("=DOLLAR(-0.123,4)", "($0.1230)"), ("=DOLLAR(99.888)", "$99.89"),
    # cached (POI FormulaEvalTestData: DOLLAR(1) is "$1.00", no space for the format's _) )
    ("=DOLLAR(1)", "$1.00"), ("=DOLLAR(-1)", "($1.00)"), ('=DOLLAR("x")', "#VALUE!"),
    ("=DOLLAR(-0.004)", "$0.00"),           # rounded first: no negative zero
    # doc (FIXED's examples)
    ("=FIXED(1234.567,1)", "1,234.6"), ("=FIXED(1234.567,-1)", "1,230"),
    ("=FIXED(-1234.567,-1,TRUE)", "-1230"), ("=FIXED(44.332)", "44.33"),
    # Excel rounds what it shows half away from zero on 15 significant digits (ROUND(2.675,2) is
    # 2.68 in Excel; the binary double is 2.67499...)
    ("=FIXED(2.675,2)", "2.68"), ("=FIXED(1.005,2)", "1.01"), ('=FIXED("a")', "#VALUE!"),
    # cached (POI TextFormatTests): the fourth section is for text, with or without @; TRUE and
    # FALSE go through it as their text
    ('=TEXT("jello",";;;""hi""")', "hi"),
    ('=TEXT(TRUE,";;;""hi""")', "hi"),
    ('=TEXT(TRUE,";;;-@-@-")', "-TRUE-TRUE-"),
    ('=TEXT(FALSE,";;;""@""@""@""")', "@FALSE@"),
    ('=TEXT(TRUE,"0.0")', "TRUE"),          # no text section: the text itself
    # cached (formulas' test.xlsx, EXTRA sheet): no_commas takes the text TRUE/FALSE in any case,
    # not "1"; 36 decimals are shown
    ('=FIXED("123456789076754345682.2121234567832131341","3","TRuE")', "123456789076754000000.000"),
    ('=FIXED("123456789076754345682.2121234567832131341","3","1")', "#VALUE!"),
    ('=FIXED(10001,"36","FALSe")', "10,001.000000000000000000000000000000000000"),
])
def test_through_formulas(formula, expected):
    """TEXT, DOLLAR and FIXED in formulas."""
    assert value(formula) == expected
