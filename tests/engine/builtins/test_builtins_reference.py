"""OFFSET and INDIRECT: the area is computed, the formulas writing it are evaluated first."""
import pytest

from formula_values import value, values


def test_offset_and_indirect():
    cells = {"A1": 1, "A2": 2, "A3": 3, "B1": "=A1*10", "B2": "=A2*10", "B3": "=A3*10", "Data!A1": 7,
             "D1": "=SUM(OFFSET(A1,1,1,2,1))", "D2": "=OFFSET(A1,2,0)", "D3": "=SUM(OFFSET(A3,0,0,-3))",
             "D4": "=OFFSET(A1,-1,0)", "D5": '=INDIRECT("B"&2)', "D6": '=SUM(INDIRECT("A1:A3"))',
             "D7": '=INDIRECT("Data!A1")', "D8": '=INDIRECT("R2C2",FALSE)', "D9": '=INDIRECT("R[-8]C[-2]",FALSE)',
             "D11": "=ROWS(OFFSET(A1,0,0,3,2))", "D12": "=OFFSET(A1,0,0,0,1)", "D13": '=OFFSET("A1",0,0)'}
    got = values(cells, extra_sheets=("Data",))
    assert [got[f"D{i}"] for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13)] == \
        [50.0, 3.0, 6.0, "#REF!", 20.0, 6.0, 7.0, 20.0, 10.0, 3.0, "#REF!", "#VALUE!"]


def test_cells_read_through_indirect_are_computed_before_they_are_read():
    # nothing in E1's formula names E2:E3, so only the on-demand evaluation orders them first
    got = values({"D1": 49, "E1": '=SUM(INDIRECT("E"&2&":E"&3))', "E2": "=D1+1", "E3": "=E2*2"})
    assert (got["E1"], got["E2"], got["E3"]) == (150.0, 50.0, 100.0)


def test_row_column_rows_columns_from_the_table():
    from direct_calls import arg, call
    area = arg([[1, 2], [3, 4], [5, 6]], area=True, at=(3, 2))      # B3:C5
    assert (call("ROW", area), call("COLUMN", area)) == ([[3.0], [4.0], [5.0]], [[2.0, 3.0]])
    assert (call("ROWS", area), call("COLUMNS", area)) == (3.0, 2.0)
    assert call("ROW", rows=(7, 8)) == [[7.0], [8.0]]                 # the formula's own rows
    assert call("COLUMN", col=4) == 4.0
    assert call("ROW", arg(5)) == "#VALUE!"                           # not a reference


@pytest.mark.parametrize("formula, expected", [
    ("=AREAS(C4:F4)", 1.0),
    ("=AREAS((D4:G4,I4:J4,K4:N4))", 3.0),                    # a union: its parts
    ("=AREAS(((F4:G4,G4:I4,F6:G6,G6:I6) G3:G11))", 4.0),     # intersection distributes over a union
    ("=AREAS((E4:H4 J4:K4 L4:O4))", "#NULL!"),               # nothing in common
    ("=AREAS(OFFSET(A1,1,1,2,2))", 1.0),
    ('=AREAS("A1")', "#VALUE!"),
])
def test_areas(formula, expected):
    assert value(formula) == expected
