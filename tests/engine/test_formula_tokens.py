"""The formula reader (formula_tokens + formula_tree): each token kind and each precedence rule,
with the expected trees written out, and a round trip of random trees through their text."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.engine.formula_tokens import FormulaError
from ilt_xl.engine.formula_tree import MAX_ROW, Node, Ref, parse_formula
from ilt_xl.engine.values import ERRORS
from ilt_xl.xlsx import column_letter


def num(x):
    return Node("num", float(x))


def op(name, *args):
    return Node("op", name, args)


def fn(name, *args):
    return Node("fn", name, args)


def ref(r0, c0, r1=None, c1=None, sheet=None, rel0=False, rel1=None, whole=False):
    r1 = r0 if r1 is None else r1
    c1 = c0 if c1 is None else c1
    return Node("ref", Ref(sheet, r0, c0, r1, c1, rel0, rel0 if rel1 is None else rel1, whole))


def array(*rows):
    return Node("array", "ARRAY", tuple(Node("array", "ARRAY", tuple(row)) for row in rows))


A1, B1 = ref(1, 1, rel0=True), ref(1, 2, rel0=True)
EMPTY = Node("empty")

CASES = {
    # numbers
    "1": num(1), "2.5": num(2.5), ".5": num(0.5), "1.5E+3": num(1500), "1e-2": num(0.01),
    "1E200": num(1e200), "2.5e3": num(2500),          # Excel reads an exponent without its sign (other writers')
    # text: a doubled quote is one quote; CR LF inside text is text
    '"a""b"': Node("str", 'a"b'), '""': Node("str", ""), '"a\r\nb"': Node("str", "a\r\nb"),
    '"A1+1"': Node("str", "A1+1"),
    # booleans (any case); TRUE() is the function
    "TRUE": Node("bool", True), "false": Node("bool", False), "TRUE()": fn("TRUE"),
    # errors, also after a sheet prefix
    "#N/A": Node("err", ERRORS["#N/A"]), "#div/0!": Node("err", ERRORS["#DIV/0!"]),
    "Sheet1!#REF!": Node("err", ERRORS["#REF!"]), "#NAME?": Node("err", ERRORS["#NAME?"]),
    # cells and areas: a row without $ moves with the formula (relative)
    "B5": ref(5, 2, rel0=True), "$B$5": ref(5, 2), "B$5": ref(5, 2), "$B5": ref(5, 2, rel0=True),
    "A1:$C$7": ref(1, 1, 7, 3, rel0=True, rel1=False), "C3:A1": ref(3, 3, 1, 1, rel0=True),
    "XFD1048576": ref(MAX_ROW, 16384, rel0=True), "A1:XFD1048576": ref(1, 1, MAX_ROW, 16384, rel0=True, whole=True),
    "b5": ref(5, 2),                                    # Excel writes capitals; lower case is taken as fixed
    # sheet prefixes: plain (any letter), quoted with '' for a quote, another workbook's [1]
    "Data!B5": ref(5, 2, sheet="Data", rel0=True), "Données!$A$1": ref(1, 1, sheet="Données"),
    "'My ''S'''!$B$2:C7": ref(2, 2, 7, 3, sheet="My 'S'", rel0=False, rel1=True),
    "'a b'!A1": ref(1, 1, sheet="a b", rel0=True), "[1]Sheet1!$A$1": ref(1, 1, sheet="[1]Sheet1"),
    # whole columns and rows
    "A:C": ref(1, 1, MAX_ROW, 3, whole=True), "$A:$A": ref(1, 1, MAX_ROW, 1, whole=True),
    "Data!B:B": ref(1, 2, MAX_ROW, 2, sheet="Data", whole=True), "1:3": ref(1, 1, 3, 16384),
    "$2:$5": ref(2, 1, 5, 16384), "1:1048576": ref(1, 1, MAX_ROW, 16384, whole=True),
    # a row may start with 0 (Excel: ROW(INDIRECT("SS077:SW090")) is 77, ROW(INDIRECT("05:05")) 5)
    "SS077:SW090": ref(77, 513, 90, 517, rel0=True), "05:05": ref(5, 1, 5, 16384), "A01": ref(1, 1, rel0=True),
    "A0": Node("name", "A0"),
    # defined names (a sheet-qualified name keeps the name only), spill references
    "Tax_Rate": Node("name", "Tax_Rate"), "x.y": Node("name", "x.y"), "\\abc": Node("name", "\\abc"),
    "COÛT2020": Node("name", "COÛT2020"), "A1B": Node("name", "A1B"), "TRUE1": Node("name", "TRUE1"),
    "Defines!Rate": Node("name", "Rate", (Node("str", "Defines"),)), "A1#": Node("name", "A1#"), "Data!$B$2#": Node("name", "B2#", (Node("str", "Data"),)),
    # functions: names in capitals, prefixes kept, arguments left out are empty
    "sum(A1,B1)": fn("SUM", A1, B1), "_xlfn.XLOOKUP(A1,B1,1)": fn("_XLFN.XLOOKUP", A1, B1, num(1)),
    "NOW()": fn("NOW"), "F( )": fn("F"), "IF(A1,,)": fn("IF", A1, EMPTY, EMPTY), "IF(,1)": fn("IF", EMPTY, num(1)),
    "LOG10(A1)": fn("LOG10", A1), "SUM( A1 , B1 )": fn("SUM", A1, B1),
    # LET, LAMBDA and its call, eta lambdas, ANCHORARRAY: the engine's _XLFN._XLWS names
    "LET(x,1,x+1)": fn("_XLFN._XLWS.LET", Node("name", "x"), num(1), op("+", Node("name", "x"), num(1))),
    "_xlfn.LAMBDA(x,x)(2)": fn("_XLFN._XLWS.LAMBDACALL", fn("_XLFN._XLWS.LAMBDA", Node("name", "x"),
                                                            Node("name", "x")), num(2)),
    "LAMBDA(x,x)()": fn("_XLFN._XLWS.LAMBDACALL", fn("_XLFN._XLWS.LAMBDA", Node("name", "x"), Node("name", "x"))),
    "MAP(A1,_xleta.SUM)": fn("MAP", A1, fn("_XLFN._XLWS.ETA", Node("str", "SUM"))),
    "_xlfn.ANCHORARRAY(A1)": fn("_XLFN._XLWS.ANCHORARRAY", A1),
    # INDIRECT of a constant reference text is that reference (fixed); otherwise the function
    'INDIRECT("Data!B2:C5")': ref(2, 2, 5, 3, sheet="Data"), 'INDIRECT("ab")': Node("name", "ab"),
    "INDIRECT(A1)": fn("INDIRECT", A1), 'INDIRECT("a b")': fn("INDIRECT", Node("str", "a b")),
    # array constants
    "{1,2;3,4}": array([num(1), num(2)], [num(3), num(4)]),
    '{-1,"a";TRUE,#N/A}': array([op("u-", num(1)), Node("str", "a")],
                                [Node("bool", True), Node("err", ERRORS["#N/A"])]),
    # precedence: comparison < & < + - < * / < ^ < % < prefix < reference operators
    "1+2*3": op("+", num(1), op("*", num(2), num(3))), "(1+2)*3": op("*", op("+", num(1), num(2)), num(3)),
    "1-2-3": op("-", op("-", num(1), num(2)), num(3)), "2^3^2": op("^", op("^", num(2), num(3)), num(2)),
    "-2^2": op("^", op("u-", num(2)), num(2)), "2*-3^2": op("*", num(2), op("^", op("u-", num(3)), num(2))),
    "-A1%": op("%", op("u-", A1)), "2^3%": op("^", num(2), op("%", num(3))), "1+A1%": op("+", num(1), op("%", A1)),
    "1&2=3": op("=", op("&", num(1), num(2)), num(3)), "1+2&3": op("&", op("+", num(1), num(2)), num(3)),
    "A1<>-1": op("<>", A1, op("u-", num(1))), "A1 >= 1": op(">=", A1, num(1)), "A1<=B1": op("<=", A1, B1),
    "-A1:B1": op("u-", ref(1, 1, 1, 2, rel0=True)), "-(A1):B1": op("u-", op(":", A1, B1)),
    # runs of signs: one operator
    "--A1": op("u--", A1), "---A1": op("u-", A1), "-+-A1": op("u--", A1), "+A1": op("u+", A1), "++A1": op("u+", A1),
    "A1--B1": op("+", A1, B1), "A1 - -B1": op("+", A1, B1), "A1-+B1": op("-", A1, B1),
    "A1*-B1": op("*", A1, op("u-", B1)),
    "@A1": op("@", A1),
    # reference operators: range with a function or a name, intersection (space), union (brackets)
    "INDEX(A:A,1):INDEX(A:A,5)": op(":", fn("INDEX", ref(1, 1, MAX_ROW, 1, whole=True), num(1)),
                                     fn("INDEX", ref(1, 1, MAX_ROW, 1, whole=True), num(5))),
    "A1:INDEX(B1:B5,2)": op(":", A1, fn("INDEX", ref(1, 2, 5, 2, rel0=True), num(2))),
    "SUM(Deals!$C$2:EndOfList)": fn("SUM", op(":", ref(2, 3, sheet="Deals"), Node("name", "EndOfList"))),
    "A1:B2:C3": op(":", ref(1, 1, 2, 2, rel0=True), ref(3, 3, rel0=True)),
    "A1:B2 B1:C3": op(" ", ref(1, 1, 2, 2, rel0=True), ref(1, 2, 3, 3, rel0=True)),
    "A1 (B1)": op(" ", A1, B1),
    "(A1,B1,C1)": op(",", A1, op(",", B1, ref(1, 3, rel0=True))),
    "Data!$1:$1,Data!$A:$A": op(",", ref(1, 1, 1, 16384, sheet="Data"),
                                ref(1, 1, MAX_ROW, 1, sheet="Data", whole=True)),
    # white space and line breaks (Alt+Enter, stored CR LF) around tokens
    " A1 + 1": op("+", A1, num(1)), "IF(\r\n\r\nB2=1,\r\n1,\r\n2 )": fn("IF", op("=", ref(2, 2, rel0=True), num(1)),
                                                                        num(1), num(2)),
}


@pytest.mark.parametrize("text", list(CASES))
def test_each_token_kind_and_precedence(text):
    assert parse_formula(text) == CASES[text]


@pytest.mark.parametrize("text", ["", " ", "SUM(", "1+", "()", "A1)", "(A1", "1 2", '"a" "b"', "#SPILL!", "{1,2;3}",
                                  "Table1[Col]", "A1!", "'unclosed!A1", "SUM(A1;B1)", "1,", "$A", "A1B1:"])
def test_what_is_no_formula_is_refused(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


# --- round trip: a random tree written as text reads back as the same tree ---------------------

_LETTERS = string.ascii_letters


def _sheet_text(sheet):
    return "" if sheet is None else "'" + sheet.replace("'", "''") + "'!"


def _ref_text(r: Ref) -> str:
    if r.whole_cols and r.r0 == 1 and r.r1 == MAX_ROW and not (r.rel0 or r.rel1):
        return f"{_sheet_text(r.sheet)}{column_letter(r.c0)}:{column_letter(r.c1)}"
    a = f"{column_letter(r.c0)}{'' if r.rel0 else '$'}{r.r0}"
    if (r.r0, r.c0, r.rel0) == (r.r1, r.c1, r.rel1):
        return _sheet_text(r.sheet) + a
    return f"{_sheet_text(r.sheet)}{a}:{column_letter(r.c1)}{'' if r.rel1 else '$'}{r.r1}"


def text_of(node: Node) -> str:
    k = node.kind
    if k == "num":
        return repr(node.value)
    if k == "str":
        return '"' + node.value.replace('"', '""') + '"'
    if k == "bool":
        return "TRUE" if node.value else "FALSE"
    if k == "err":
        return str(node.value)
    if k == "ref":
        return _ref_text(node.value)
    if k == "name":
        return node.value
    if k == "array":
        return "{" + ";".join(",".join(text_of(a) for a in row.args) for row in node.args) + "}"
    if k == "fn":
        return node.value + "(" + ",".join(text_of(a) for a in node.args) + ")"
    if node.value in ("u-", "u+", "u--", "@"):
        return {"u-": "-", "u+": "+", "u--": "--", "@": "@"}[node.value] + "(" + text_of(node.args[0]) + ")"
    if node.value == "%":
        return "(" + text_of(node.args[0]) + ")%"
    # each side in brackets (which make no node): "(a) (-(b))" is an intersection, not a minus
    return "((" + text_of(node.args[0]) + ")" + node.value + "(" + text_of(node.args[1]) + "))"


_rows = st.integers(1, MAX_ROW)
_cols = st.integers(1, 16384)
_sheets = st.one_of(st.none(), st.text(_LETTERS + " '!.", min_size=1, max_size=8))


@st.composite
def _refs(draw):
    sheet = draw(_sheets)
    if draw(st.booleans()):
        c0, c1 = draw(_cols), draw(_cols)
        return Node("ref", Ref(sheet, 1, c0, MAX_ROW, c1, False, False, True))
    r0, c0, rel0 = draw(_rows), draw(_cols), draw(st.booleans())
    if draw(st.booleans()):
        return Node("ref", Ref(sheet, r0, c0, r0, c0, rel0, rel0, False))
    r1, c1, rel1 = draw(_rows), draw(_cols), draw(st.booleans())
    return Node("ref", Ref(sheet, r0, c0, r1, c1, rel0, rel1, r0 <= 1 and r1 >= MAX_ROW))


_leaves = st.one_of(
    st.floats(0, 1e300, allow_nan=False, allow_infinity=False).map(lambda x: Node("num", x)),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6).map(lambda s: Node("str", s)),
    st.booleans().map(lambda b: Node("bool", b)),
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]).map(
        lambda e: Node("err", ERRORS[e])),
    _refs(),
    st.text(_LETTERS, min_size=1, max_size=4).map(lambda s: Node("name", "nm_" + s)),
)
_OPS = [":", " ", ",", "^", "*", "/", "+", "-", "&", "=", "<", ">", "<=", ">=", "<>"]


def _grow(children):
    return st.one_of(
        st.tuples(st.sampled_from(_OPS), children, children).map(lambda t: Node("op", t[0], (t[1], t[2]))),
        st.tuples(st.sampled_from(["u-", "u+", "u--", "@", "%"]), children).map(lambda t: Node("op", t[0], (t[1],))),
        st.tuples(st.sampled_from(["SUM", "IF", "_XLFN.XLOOKUP", "INDEX"]),
                  st.lists(children, min_size=1, max_size=3)).map(lambda t: Node("fn", t[0], tuple(t[1]))),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaves, _grow, max_leaves=12))
def test_a_tree_written_as_text_reads_back_as_the_same_tree(tree):
    assert parse_formula(text_of(tree)) == tree
