"""TRIM and T called from the table on hand-made values (Excel's documented results)."""
import pytest
from direct_calls import arg, call
from formula_values import value


def test_trim_keeps_single_spaces_between_words():
    assert call("TRIM", arg("  First Quarter   Earnings ")) == "First Quarter Earnings"
    assert call("TRIM", arg(12)) == "12"                      # a number as its text
    assert call("TRIM", arg("#N/A")) == "#N/A"                # errors pass through
    assert call("TRIM", arg([" a", "b  c "], per_row=True), rows=(1, 2)) == [["a"], ["b c"]]


def test_t_keeps_text_and_errors_only():
    assert [call("T", arg(v)) for v in ("Rainfall", 19, True, "#REF!")] == ["Rainfall", "", "", "#REF!"]


def test_t_of_a_reference_to_several_cells_takes_the_first():
    from formula_values import values
    got = values({"A1": "x", "B1": 2, "D1": "=ROWS(T(A1:B1))", "D2": "=T(A1:B1)&\"!\""})
    assert got["D1"] == 1.0 and got["D2"] == "x!"


@pytest.mark.parametrize("formula, expected", [
    ("=_xlfn.VALUETOTEXT(1/0)", "#DIV/0!"),           # an error becomes its text
    ("=_xlfn.VALUETOTEXT(2.5)", "2.5"),
    ("=_xlfn.VALUETOTEXT(TRUE,1)", "TRUE"),
    ('=_xlfn.VALUETOTEXT("a""b",1)', '"a""b"'),       # strict: quoted, inner quotes doubled
    ('=_xlfn.VALUETOTEXT("ab",0)', "ab"),
    ('=_xlfn.VALUETOTEXT("ab",2)', "#VALUE!"),
    ('=INDEX(_xlfn.VALUETOTEXT({1,"x"},{0;1}),2,2)', '"x"'),   # lifted over arrays
])
def test_valuetotext(formula, expected):
    from formula_values import value
    assert value(formula) == expected


@pytest.mark.parametrize("number, expected", [
    (1234, "หนึ่งพันสองร้อยสามสิบสี่บาทถ้วน"),         # Excel's documentation example
    (157, "หนึ่งร้อยห้าสิบเจ็ดบาทถ้วน"), (65.8, "หกสิบห้าบาทแปดสิบสตางค์"),   # the conformance workbook's
    (-1, "ลบหนึ่งบาทถ้วน"), (0, "ศูนย์บาทถ้วน"),
    (21, "ยี่สิบเอ็ดบาทถ้วน"), (101, "หนึ่งร้อยเอ็ดบาทถ้วน"), (11, "สิบเอ็ดบาทถ้วน"),   # Thai number words
    (1_000_000, "หนึ่งล้านบาทถ้วน"), (2_000_001, "สองล้านเอ็ดบาทถ้วน"),
    (0.25, "ยี่สิบห้าสตางค์"), (1.005, "หนึ่งบาทหนึ่งสตางค์"),    # satang rounded half away from zero
])
def test_bahttext(number, expected):
    from formula_values import value
    assert value(f"=BAHTTEXT({number})") == expected


@pytest.mark.parametrize("formula, expected", [
    # a format's sections: positive;negative;zero;text, the negative one without a sign of its own
    ('=TEXT(-1,"w;x;z")', "x"), ('=TEXT(0,"w;x;z")', "z"), ('=TEXT(1,"w;x;z")', "w"),
    ('=TEXT(0,"w;x;z@")', "w"),            # a last section with @ is for text
    ('=TEXT(-1,"w;x@")', "-w"),            # one section for numbers: negatives get the sign
    ('=TEXT(-1,"")', "-"), ('=TEXT(1,"")', ""),
    ('=TEXT(-1234.5,"#,##0.00;(#,##0.00)")', "(1,234.50)"),
    ('=TEXT("ab","0;0;0;""<""@"">""")', "<ab>"), ('=TEXT("ab","0.0")', "ab"),
    ("=TEXT(1.23,0)", "1"),                # a number as the format is its text
    ('=TEXT(TRUE,"0.0")', "TRUE"),
    ('=TEXT(1/0,"0")', "#DIV/0!"),
])
def test_text_sections(formula, expected):
    from formula_values import value
    assert value(formula) == expected


@pytest.mark.parametrize("number, fmt, expected", [
    (1.5, "[h]:mm", "36:00"),                  # elapsed hours run past a day
    (1.5, "[mm]:ss", "2160:00"),
    (1.5, "[s]", "129600"),
    (-1, "[h]", "-24"),                        # a lone elapsed count keeps the sign
    (-1, "[h]:mm", "#VALUE!"),                 # any other negative time is refused
    (-1, "h", "#VALUE!"),
    (0.75, "h:mm AM/PM", "6:00 PM"),
    (0.0, "h:mm a/p", "12:00 a"),
    (130.33332, "h:mm", "7:59"),               # 7:59:58.8 rounds to 7:59:59, minutes are cut
    (130.33332, "h:mm:ss", "7:59:59"),
    (1.5 / 86400, "[s].0", "1.5"),
    (1.25 / 86400, "s.00", "1.25"),
    (2958465.5, "h", "12"),                    # 9999-12-31 noon
    (2958466, "h", "#VALUE!"),                 # past 9999
    (2958466, "yyyy", "#VALUE!"),
    (2958466, "[h]", "71003184"),              # an elapsed count has no such limit
    (-1, "yyyy", "#VALUE!"),
    (1234.56, ".##", "1234.56"),               # no digit before the point: the whole part still shows
    (0.5, ".#", ".5"),
    (1234.56, "$*x#,##0", "$1,235"),           # TEXT shows no fill
    (5, '0"x"@', "#VALUE!"),                   # @ with digits in one section
    (5, '0;0;0@;@', "#VALUE!"),                # @ outside the fourth section
    # A/P in any case shows its letters as written; am/pm in any case shows AM or PM (Excel's
    # cached value of TEXT(45141.2,"A/P a/P A/p a/p am/pm") is "A a A a AM")
    (45141.2, "A/P a/P A/p a/p am/pm", "A a A a AM"),
    (45141.75, "A/P a/P A/p a/p am/pm", "P P p p PM"),
])
def test_text_times_and_formats(number, fmt, expected):
    assert value(f'=TEXT({number!r},"{fmt.replace(chr(34), chr(34) * 2)}")') == expected


@pytest.mark.parametrize("text, expected", [
    ("23:99", "1.02708"),                      # 23 hours 99 minutes
    ("0:0:9999", "0.11573"),
    ("59:9999.5", "0.15671"),                  # minutes and decimal seconds
    ("23:59.", "0.99931"),
    ("24:99", "24:99"),                        # no time: the text itself
    ("23:60:00", "23:60:00"),
    ("2007-02-03 19:08:07", "39116.79730"),    # a date and time reads as its serial
])
def test_text_reads_text_as_value_does(text, expected):
    assert value(f'=TEXT("{text}","0.00000")') == expected


@pytest.mark.parametrize("formula, expected", [
    ('=VALUE("12:00")', 0.5),                  # a time alone is a time of day 0, not today's
    ('=VALUE("23:99")', 1479 / 1440),
    ('=VALUE("25:61")', "#VALUE!"),
    ('=VALUE("1,000")', 1000.0),               # thousands separators, not a date
    ('=VALUE("-1,234.5")', -1234.5),
    ('=VALUE("$1,000,000")', 1000000.0),
    ('=VALUE("12%")', 0.12),
    ('=VALUE("2024-01-31 12:00")', 45322.5),
    ('=SUM(1,"2024-01-31")', 45323.0),         # typed text is read as VALUE reads it
    ('=MAX("12:00",0.25)', 0.5),
    ('=AVERAGE("1,000",0)', 500.0),
])
def test_value_reads_times_and_separators(formula, expected):
    got = value(formula)
    assert got == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize("formula, expected", [
    ('=_xlfn.REGEXEXTRACT("DylanWilliams","[A-Z][a-z]+")', "Dylan"),            # Excel's example: first match
    ('=INDEX(_xlfn.REGEXEXTRACT("DylanWilliams","[A-Z][a-z]+",1),1,2)', "Williams"),   # every match, as a row
    ('=COLUMNS(_xlfn.REGEXEXTRACT("DylanWilliams","[A-Z][a-z]+",1))', 2.0),
    ('=INDEX(_xlfn.REGEXEXTRACT("DylanWilliams","([A-Z][a-z]+)([A-Z][a-z]+)",2),1,2)', "Williams"),  # groups
    ('=INDEX(_xlfn.REGEXEXTRACT("b","(a)?(b)",2),1,1)', "#N/A"),               # a group without a match
    ('=_xlfn.REGEXEXTRACT("abc","b",2)', "#VALUE!"),                           # mode 2 needs a group
    ('=_xlfn.REGEXEXTRACT("abc","x")', "#N/A"),
    ('=_xlfn.REGEXEXTRACT("ABC","b")', "#N/A"),                                # case counts by default
    ('=_xlfn.REGEXEXTRACT("ABC","b",0,1)', "B"),
    ('=_xlfn.REGEXEXTRACT("abc","(")', "#VALUE!"),
])
def test_regexextract(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ('=TEXT(0,"dd/mm/yyyy")', "00/01/1900"),        # serial 0: Excel's 0 January 1900
    ('=TEXT(0,"d/m/yyyy")', "0/1/1900"),
    ('=TEXT(0.5,"dd-mmm hh:mm")', "00-Jan 12:00"),
    ('=TEXT(0,"dddd, ddd")', "Saturday, Sat"),
    ('=TEXT(0,"""day"" d")', "day 0"),              # quoted text keeps its d
    ('=TEXT(0,"""-> ""#.00;-#;""SS""m;""ZERO""@")', "SS1"),     # the zero section is a date section
    ('=TEXT(1,"dd/mm/yyyy")', "01/01/1900"),
])
def test_text_of_serial_zero_is_day_zero_of_january_1900(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("=CHAR(65)", "A"),
    ("=CHAR(128)", "\u20ac"),           # Windows-1252: the euro sign
    ("=CHAR(129)", "\x81"),             # undefined there: the code point itself
    ("=CHAR(255.9)", "\xff"),
    ("=CHAR(0)", "#VALUE!"),
    ("=CHAR(256)", "#VALUE!"),
    ('=CODE("\u20ac")', 128.0),
    ('=CODE("Abc")', 65.0),
    ('=CODE("")', "#VALUE!"),
])
def test_char_and_code_in_windows_excel(formula, expected):
    assert value(formula) == expected


def test_char_and_code_in_a_workbook_saved_by_mac_excel(tmp_path):
    """A workbook whose docProps/app.xml names Microsoft Macintosh Excel gets the Mac Roman set."""
    import datetime as dt
    import re
    import zipfile

    import openpyxl

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = "=CHAR(128)", '=CODE("\u00c4")'
    plain, mac = tmp_path / "plain.xlsx", tmp_path / "mac.xlsx"
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(mac, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "docProps/app.xml":
                data = re.sub(rb"<Application>[^<]*</Application>",
                              b"<Application>Microsoft Macintosh Excel</Application>", data)
                assert b"Macintosh" in data
            dst.writestr(item, data)
    model = load_workbook_model(mac)
    compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    assert (grid.value(0, 0), grid.value(1, 0)) == ("\u00c4", 128.0)


@pytest.mark.parametrize("formula, expected", [
    ('=REPT("ab",3)', "ababab"),
    ('=REPT("ab",2.9)', "abab"),            # truncated
    ('=REPT("ab",0)', ""),
    ('=REPT(12,2)', "1212"),
    ("=REPT(TRUE,2)", "TRUETRUE"),
    ('=REPT("ab",-1)', "#VALUE!"),
    ('=REPT("x",32767)', "x" * 32767),
    ('=REPT("x",32768)', "#VALUE!"),        # past a cell's 32,767 characters
    ('=REPT("Qwery",123456789)', "#VALUE!"),  # refused before it is built
    ('=REPT(NA(),1/0)', "#N/A"),
])
def test_rept(formula, expected):
    assert value(formula) == expected



def test_code_gives_a_number_and_char_a_text():
    assert (value('=ISNUMBER(CODE("A"))'), value("=ISTEXT(CHAR(65))")) == (True, True)


@pytest.mark.parametrize("formula, expected", [
    ('=_xlfn.TEXTAFTER("123 the 456 the 891","the",2)', " 891"),
    ('=_xlfn.TEXTBEFORE("123 the 456 the 891","the",2)', "123 the 456 "),
    ('=_xlfn.TEXTAFTER("123 the 456 the 891","the",-1)', " 891"),       # negative: from the end
    ('=_xlfn.TEXTBEFORE("123 the 456 the 891","the",-1.2)', "123 "),    # INT(-1.2) is -2
    ('=_xlfn.TEXTAFTER("123 the 456 the 891","the",1.6)', " 456 the 891"),
    ('=_xlfn.TEXTAFTER("123 the 456","THE")', "#N/A"),                  # case matters by default
    ('=_xlfn.TEXTAFTER("123 the 456","THE",1,1)', " 456"),              # match_mode 1 ignores it
    ('=_xlfn.TEXTAFTER("123 the 456","THE",1,1,0,1/0)', " 456"),        # if_not_found unused
    ('=_xlfn.TEXTAFTER("abc","x",1,0,0,"none")', "none"),
    ('=_xlfn.TEXTAFTER("abc","x",1,0,1)', ""),                          # match_end: the end delimits
    ('=_xlfn.TEXTBEFORE("abc","x",1,0,1)', "abc"),
    ('=_xlfn.TEXTAFTER("abc","x",-1,0,1)', "abc"),                      # ... and the start, from the end
    ('=_xlfn.TEXTBEFORE("abc","x",-1,0,1)', ""),
    ('=_xlfn.TEXTAFTER("abc","x",2,0,1)', "#N/A"),
    ('=_xlfn.TEXTAFTER("a-b;c",{";","-"})', "b;c"),                     # any of several delimiters
    ('=_xlfn.TEXTAFTER(TRUE,"R",1)', "UE"), ('=_xlfn.TEXTBEFORE(123,1)', ""),
    ('=_xlfn.TEXTAFTER("abc","b",0)', "#VALUE!"),
    ('=_xlfn.TEXTAFTER("del","deli",1)', "#VALUE!"),    # an instance_num past where a delimiter fits
    ('=_xlfn.TEXTAFTER("del","deli")', "#N/A"),
    ('=_xlfn.TEXTAFTER("abc","b",1,2)', "#VALUE!"), ('=_xlfn.TEXTAFTER("abc","b",1,0,-1)', "#VALUE!"),
    ('=_xlfn.TEXTAFTER("abc","b",1/0)', "#DIV/0!"),
    ('=INDEX(_xlfn.TEXTAFTER("a1b2c","b",{1,0}),2)', "#VALUE!"),  # an array's element is never omitted
])
def test_textbefore_textafter(formula, expected):
    assert value(formula) == expected


def test_textafter_if_not_found_of_a_blank_cell_is_empty_text():
    from formula_values import values
    got = values({"A1": '=_xlfn.TEXTAFTER("abc","x",1,0,0,B1)', "A2": '=ISTEXT(A1)'})
    assert got["A2"] is True


@pytest.mark.parametrize("formula, expected", [
    ('=SEARCH("ana","Banana")', 2.0), ('=SEARCH("Ana","Banana")', 2.0), ('=FIND("Ana","Banana")', "#VALUE!"),
    ('=SEARCH("ns??i","Einstein")', 3.0), ('=SEARCH("ns*i","Einstein")', 3.0), ('=SEARCH("ns?i","Einstein")', "#VALUE!"),
    ('=SEARCH("*~?","Late?")', 1.0), ('=SEARCH("~?","Late?")', 5.0), ('=SEARCH("~*","Ho*la")', 3.0),
    ('=SEARCH("~~","Hi ~Bang!")', 4.0), ('=SEARCH("~d","My dear")', 4.0),   # ~ makes the next character literal
    ('=SEARCH("~","Hello")', 1.0), ('=FIND("~","Hi ~Bang!")', 4.0),           # a last ~ is dropped; FIND has no wildcards
    ('=SEARCH("~~*","Ho*la")', "#VALUE!"),
    ("=SEARCH(2,123)", 2.0), ("=SEARCH(TRUE,3214)", "#VALUE!"), ("=FIND(TRUE,TRUE)", 1.0),
    ('=SEARCH("y","Y not Y yes",3)', 7.0), ('=SEARCH("hey","Ahey",3)', "#VALUE!"),
    ('=SEARCH("Hey","Hey Jude",0)', "#VALUE!"), ('=SEARCH("Jude","Hey Jude",17)', "#VALUE!"),
    ('=FIND("","abc",2)', 2.0), ('=SEARCH(1/0,"abc")', "#DIV/0!"),
])
def test_search_find(formula, expected):
    assert value(formula) == expected


def test_search_runs_down_a_column():
    from formula_values import values
    got = values({"A1": "Banana", "A2": "apple", "A3": "kiwi",
                  "B1": '=SEARCH("a",A1)', "B2": '=SEARCH("a",A2)', "B3": '=SEARCH("a",A3)'})
    assert (got["B1"], got["B2"], got["B3"]) == (2.0, 1.0, "#VALUE!")


@pytest.mark.parametrize("formula, expected", [
    ("=USDOLLAR(-1234.567,1)", "($1,234.6)"), ("=USDOLLAR(1)", "$1.00"),
    ('=HYPERLINK("https://example.com","Example")', "Example"), ('=HYPERLINK("https://example.com")', "https://example.com"),
    ('=HYPERLINK("x",Z99)', 0.0),                 # a blank cell as friendly name shows 0
])
def test_usdollar_hyperlink(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    # doc: case-sensitive; cached (IronCalc TEXT_EXACT.xlsx): a number compares as the text it
    # shows, 15 significant digits
    ('=EXACT("Word","word")', False), ('=EXACT("w","w")', True), ("=EXACT(1/3,0.333333333333333)", True),
    ('=EXACT(TRUE,"TRUE")', True), ("=EXACT(1/0,1)", "#DIV/0!"),
])
def test_exact(formula, expected):
    assert value(formula) == expected


def test_textjoin():
    from formula_values import values
    got = values({"A1": "x", "A3": 2.5, "D1": "-", "D2": "+",
                  "B1": '=TEXTJOIN(C1,TRUE,"a","b")',         # cached (IronCalc TEXTJOIN): an empty delimiter is none
                  "B2": '=TEXTJOIN(",",FALSE,A1:A3)', "B3": '=TEXTJOIN(",",TRUE,A1:A3,"",TRUE)',
                  "B4": '=TEXTJOIN(D1:D2,TRUE,{1,2;3,4})',    # doc: delimiters of a range used in turn
                  "B5": '=TEXTJOIN(",","yes",A1)', "B6": '=TEXTJOIN(",",1,A1,1/0)', "B7": '=TEXTJOIN(",",,"a","","b")',
                  "B8": '=TEXTJOIN("",TRUE,REPT("x",20000),REPT("y",20000))'})
    assert [got[f"B{i}"] for i in range(1, 9)] == ["ab", "x,,2.5", "x,2.5,TRUE", "1-2+3-4", "#VALUE!", "#DIV/0!",
                                                   "a,,b", "#VALUE!"]


def test_text_functions_of_a_text_spelling_an_error_give_text():
    # cached (IronCalc TEXT_STRING_HANDLING.xlsx): UPPER/LEFT/RIGHT of the text "#DIV/0!" are text
    assert value('=IF(ISTEXT(UPPER("#div/0!")),UPPER("#div/0!"),"not text")') == "#DIV/0!"
    assert value('=ISTEXT(LEFT("#N/A",10))') is True
    assert value("=ISERROR(UPPER(1/0))") is True


@pytest.mark.parametrize("formula, expected", [
    # doc: num_chars 1 when not given, a negative count or a start below 1 is #VALUE!; counts and
    # starts are truncated; an empty num_chars is 0; numbers as the text they show
    ('=LEFT("Hello")', "H"), ('=LEFT("Hello",3)', "Hel"), ('=LEFT("Hello",-1)', "#VALUE!"), ('=LEFT("Hello",)', ""),
    ('=LEFT("Hello",2.9)', "He"), ('=LEFT(123.5,2)', "12"), ('=RIGHT("Hello")', "o"), ('=RIGHT("Hello",10)', "Hello"),
    ('=RIGHT("Hello",0)', ""), ('=RIGHT("Hello",-1)', "#VALUE!"), ('=MID("Hello",2,3)', "ell"),
    ('=MID("Hello",0,3)', "#VALUE!"), ('=MID("Hello",10,3)', ""), ('=MID("Hello",2.7,1.9)', "e"),
    ('=MID("Hello",1,-1)', "#VALUE!"), ('=UPPER(TRUE)', "TRUE"), ('=LOWER("ÀB")', "àb"), ('=LEFT(1/0)', "#DIV/0!"),
])
def test_left_right_mid_upper_lower(formula, expected):
    assert value(formula) == expected
