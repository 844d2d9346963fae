"""XLOOKUP's match and search modes on hand-made arrays (results as Excel documents them, and as
the conformance workbooks' cached values show)."""
import pytest

from formula_values import value, values


@pytest.mark.parametrize("formula, expected", [
    ('=_xlfn.XLOOKUP(2,{-1.1,2.1,3.1,4.1},{1,2,3,4},"none",1)', 2.0),        # exact or next larger
    ('=_xlfn.XLOOKUP(2,{-1.1,2.1,3.1,4.1},{1,2,3,4},"none",-1)', 1.0),       # exact or next smaller
    ('=_xlfn.XLOOKUP(-2,{"a",2.1,"b",4.1},{"L","ML","MR","R"},3,1)', "ML"),  # numbers come before text
    ('=_xlfn.XLOOKUP(-2,{"b",4.1,"a",1.1},{"L","ML","MR","R"},2,1)', "R"),   # the smallest larger, not the first
    ('=_xlfn.XLOOKUP(3,{1,2,3,3,5},{1,2,3,4,5},,0,-1)', 4.0),                # last to first
    ('=_xlfn.XLOOKUP(3,{1,2,3,3,5},{1,2,3,4,5},,0,1)', 3.0),
    ('=_xlfn.XLOOKUP(3,{1,2,3,3,5},{1,2,3,4,5},,0,2)', 3.0),                 # binary search, ascending
    ('=_xlfn.XLOOKUP(3,{5,3,2,1},{1,2,3,4},,0,-2)', 2.0),                    # binary search, descending
    ('=_xlfn.XLOOKUP("B*",{"a","bc","bd"},{1,2,3},,2)', 2.0),               # wildcards, case-insensitive
    ('=_xlfn.XLOOKUP("b*",{"a","bc","bd"},{1,2,3},,2,-1)', 3.0),
    ('=_xlfn.XLOOKUP("b*",{"a","bc","b*"},{1,2,3})', 3.0),                  # without mode 2, * is literal
    ("=_xlfn.XLOOKUP(9,{1,2},{1,2})", "#N/A"),                               # omitted if_not_found
    ('=_xlfn.XLOOKUP(9,{1,2},{1,2},"none")', "none"),
    ("=_xlfn.XLOOKUP(9,{1,2},{1,2},,3)", "#VALUE!"),
    ("=_xlfn.XLOOKUP(1/0,{1,2},{1,2})", "#DIV/0!"),
])
def test_xlookup(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    # approximate modes compare across types in Excel's order, numbers < text < booleans
    ('=_xlfn.XLOOKUP(FALSE,{2,5,TRUE,"ala"},{"a","b","c","d"},,-1)', "d"),
    ('=_xlfn.XLOOKUP(10,{2,5,TRUE,"ala"},{"a","b","c","d"},,1)', "d"),
    ('=_xlfn.XLOOKUP("q",{2,5,TRUE,"ala"},{"a","b","c","d"},,1)', "c"),
    ('=_xlfn.XLOOKUP(1,{2,5,TRUE,"ala"},{"a","b","c","d"},,-1)', "#N/A"),
    # binary search: the first of equal values ascending, the last descending; the next smaller
    # value is the last of its equals
    ('=_xlfn.XLOOKUP(5,{1,5,5,5,7},{"a","b","c","d","e"},,0,2)', "b"),
    ('=_xlfn.XLOOKUP(6,{1,5,5,5,7},{"a","b","c","d","e"},,-1,2)', "d"),
    ('=_xlfn.XLOOKUP(5,{7,5,5,5,1},{"a","b","c","d","e"},,0,-2)', "d"),
    ('=_xlfn.XLOOKUP(6,{7,5,5,5,1},{"a","b","c","d","e"},,1,-2)', "a"),
    ('=_xlfn.XLOOKUP(4,{7,5,5,5,1},{"a","b","c","d","e"},,1,-2)', "d"),
])
def test_xlookup_order_across_types_and_binary_duplicates(formula, expected):
    assert value(formula) == expected


def test_xlookup_of_an_empty_value_finds_the_first_blank_cell():
    got = values({"A1": 1, "A2": 2, "A4": 4, "B1": "x", "B2": "y", "B3": "z", "B4": "w",
                  "C1": "=_xlfn.XLOOKUP(D1,A1:A4,B1:B4)", "C2": "=_xlfn.XLOOKUP(D2,A1:A4,B1:B4)",
                  "C3": "=_xlfn.XLOOKUP(,A1:A4,B1:B4,,1,2)", "D2": 2})
    assert (got["C1"], got["C2"], got["C3"]) == ("z", "y", "z")


def test_xlookup_per_row_keys_take_the_hash_path():
    got = values({"A1": "a", "A2": "b", "A3": "z", "B1": '=_xlfn.XLOOKUP(A1,D1:D2,E1:E2)',
                  "B2": '=_xlfn.XLOOKUP(A2,D1:D2,E1:E2)', "B3": '=_xlfn.XLOOKUP(A3,D1:D2,E1:E2)',
                  "D1": "A", "D2": "B", "E1": 10, "E2": 20})
    assert (got["B1"], got["B2"], got["B3"]) == (10.0, 20.0, "#N/A")


@pytest.mark.parametrize("formula, expected", [
    ('=LOOKUP(2.5,{-1.1,2.1,3.1,4.1},{"L","ML","MR","R"})', "ML"),
    ('=LOOKUP(-5,{-1.1,2.1,3.1,4.1},{"L","ML","MR","R"})', "#N/A"),
    ('=LOOKUP(20,{"a",2.1,"b",4.1},{"L","ML","MR","R"})', "R"),     # text is stepped over
    ('=LOOKUP(2.5,{"b",4.1,"a",1.1},{"L","ML","MR","R"})', "#N/A"),   # Excel's binary search, unsorted data
    ('=LOOKUP(4.1,{"b",4.1,"a",1.1},{"L","ML","MR","R"})', "ML"),     # an exact hit ends it
    ('=LOOKUP(3,{1,2,3;10,20,30})', 30.0),                            # wider than tall: first row, last row
    ('=LOOKUP(2,{1,10;2,20;3,30})', 20.0),                            # taller: first column, last column
    ('=LOOKUP(2,{1,10;2,20},{5,6;7,8})', "#N/A"),                     # a result that is no vector
    ("=SUM(LOOKUP({1,3},{1,2,3},{10,20,30}))", 40.0),                 # an array of keys
])
def test_lookup(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    # a mode is taken as INT: -1.1 is -2 (binary search, descending), which on ascending data ends
    # at the last value (the conformance workbook's cached value)
    ('=_xlfn.XLOOKUP(-1.1,{-1.1,2.1,3.1,4.1},{"L","ML","MR","R"},1,1,-1.1)', "R"),
    # the halving compares across types in Excel's sort order: TRUE is larger than any number
    ('=_xlfn.XLOOKUP(4,{TRUE,4.1,FALSE,1.1},{"L","ML","MR","R"},1,1,2)', "L"),
    ('=_xlfn.XLOOKUP("b",{TRUE,4.1,FALSE,1.1},{"L","ML","MR","R"},1,1,2)', "MR"),
    ('=_xlfn.XLOOKUP("b*",{"a","bc"},{1,2},,2,2)', "#VALUE!"),          # no wildcards in a binary search
    ("=_xlfn.XLOOKUP(1/0,{1,2},{1,2},,3)", "#DIV/0!"),                  # the lookup error comes first
    ('=_xlfn.XLOOKUP(Z9,{-1.1,2.1,3.1,4.1},{"L","ML","MR","R"},1,-1)', "R"),   # a blank ranks above all
    ('=_xlfn.XLOOKUP(Z9,{-1.1,2.1,3.1,4.1},{"L","ML","MR","R"},1,1)', 1.0),
])
def test_xlookup_modes_as_excel(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    # an array where XLOOKUP takes one value: evaluated per element, the arrays broadcast
    ('=INDEX(_xlfn.XLOOKUP(5,{1,4,7},{"a","b","c"},"none",{-1;1;0}),1)', "b"),
    ('=INDEX(_xlfn.XLOOKUP(5,{1,4,7},{"a","b","c"},"none",{-1;1;0}),2)', "c"),
    ('=INDEX(_xlfn.XLOOKUP(5,{1,4,7},{"a","b","c"},"none",{-1;1;0}),3)', "none"),
    ("=ROWS(_xlfn.XLOOKUP({1,2},{1,2},{10,20},,{0;0;0}))*10+COLUMNS(_xlfn.XLOOKUP({1,2},{1,2},{10,20},,{0;0;0}))", 32.0),
    ("=INDEX(_xlfn.XLOOKUP({1,2},{1,2},{10,20},,{0;0;0}),3,2)", 20.0),
    ("=INDEX(_xlfn.XLOOKUP({1,2},{1,2},{10,20},,{0,0,0}),1,3)", "#N/A"),   # beyond an array's size
])
def test_lifted_arguments(formula, expected):
    assert value(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("=INDEX({1,2;3,4},-1,1)", "#VALUE!"),          # a negative position: #VALUE! (the fixtures' values)
    ("=INDEX({1,2;3,4},1,-1)", "#VALUE!"),
    ("=INDEX({1,2;3,4},3,1)", "#REF!"),             # past the end: #REF!
])
def test_index_positions_out_of_the_array(formula, expected):
    assert value(formula) == expected


def test_vlookup_looks_the_value_up_before_it_checks_the_column():
    # cached (EPPlus FormulaTest.xlsx): VLOOKUP(8,B3:B7,FALSE) finds 7 then has column 0: #VALUE!;
    # VLOOKUP(8,...,0,FALSE) finds nothing: #N/A, whatever the column
    got = values({"B3": 3, "B4": 7, "B5": 12, "B6": 18, "B7": "Text",
                  "C1": "=VLOOKUP(8,B3:B7,FALSE)", "C2": "=VLOOKUP(8,B3:B7,0,FALSE)", "C3": "=VLOOKUP(7,B3:B7,0,FALSE)",
                  "C4": "=VLOOKUP(7,B3:B7,2,FALSE)", "C5": "=VLOOKUP(8,B3:B7,2,FALSE)", "C6": "=VLOOKUP(8,B3:B7,2)",
                  "C7": "=VLOOKUP(1,B3:B7,0)", "C8": "=VLOOKUP(7,B3:B7,1,FALSE)",
                  "C9": "=VLOOKUP(7,#REF!,2,0)"})     # cached (umya issue_296): a table that is #REF! is #REF!
    assert [got[f"C{i}"] for i in range(1, 10)] == ["#VALUE!", "#N/A", "#VALUE!", "#REF!", "#N/A", "#REF!", "#N/A", 7.0,
                                                    "#REF!"]
