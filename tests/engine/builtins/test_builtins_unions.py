"""Reference unions ``(A1:A2,C1:C2)`` as Excel's functions read them (hand-computed answers; the
INDEX case is the example of Excel's INDEX documentation, reference form)."""
from __future__ import annotations

import pytest

from formula_values import values

GRID = {"A1": 1, "A2": 2, "B1": "x", "C1": 10, "C2": 20,
        "A8": "Apples", "B8": 0.69, "A9": "Kiwis", "B9": 1.25, "C9": 40}


@pytest.mark.parametrize("formula, expected", [
    ("=SUM((A1:A2,C1:C2))", 33.0),                  # the areas as if each were an argument
    ("=SUM((A1:A2,C1:C2),100)", 133.0),
    ("=COUNT((A1:A2,B1,C1:C2))", 4.0),              # the text in B1 is not a number
    ("=COUNTA((A1:A2,B1))", 3.0),
    ("=MAX((A1:A2,C1:C2))", 20.0),
    ("=AVERAGE((A1:A2,C1:C2))", 8.25),
    ("=SUBTOTAL(9,(A1:A2,C1:C2))", 33.0),
    ("=LARGE((A1:A2,C1:C2),2)", 10.0),              # one array of every cell of the areas
    ("=SMALL((A1:A2,C1:C2),1)", 1.0),
    ("=RANK(10,(A1:A2,C1:C2))", 2.0),
    ("=INDEX((A1:C2,A8:C9),2,2,2)", 1.25),         # area 2, row 2, column 2: B9
    ("=INDEX((A1:A2,C1:C2),2,1,2)", 20.0),
    ("=INDEX((A1:A2,C1:C2),2)", 2.0),               # area_num omitted: the first area
    ("=INDEX((A1:A2,C1:C2),1,1,3)", "#REF!"),       # past the last area
    ("=INDEX(A1:A2,1,1,2)", "#REF!"),               # a single area has area 1 only
    ("=INDEX((A1:A2,C1:C2),1,1,0)", "#VALUE!"),
    ("=ROWS((A1:A2,C1:C2))", "#REF!"),
    ("=COLUMNS((A1:A2,C1:C2))", "#REF!"),
    ("=(A1:A2,C1:C2)", "#VALUE!"),                  # a union where one value is expected
    ('=COUNTIF((A1:A2,C1:C2),">1")', "#VALUE!"),
    ("=SUM(A1:C2 (A1:A2,C1:C2))", 33.0),            # an intersection distributes over a union
    ("=SUM(A1:C1 (A1:A2,C1:C2))", 11.0),
    ("=SUM(A1 (A2,C2))", "#NULL!"),                 # nothing in common
    ("=SUM((A1,1/0))", "#DIV/0!"),                  # not a reference: its error
])
def test_union(formula, expected):
    assert values({**GRID, "E1": formula})["E1"] == expected
