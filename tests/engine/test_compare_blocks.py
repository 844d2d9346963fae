"""Excel's comparison rules on hand-made columns (coercion.compare_blocks): numbers < text <
booleans, an empty cell takes the other side's type (0, "" or FALSE), text case-insensitive."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.coercion import compare_blocks
from ilt_xl.engine.values import EMPTY, Block, E_NA


def column(*values) -> Block:
    """A column block; None is an empty cell."""
    return Block.from_objects(np.array(values, dtype=object).reshape(-1, 1))


def one(value) -> Block:
    return Block.from_objects(np.array([[value]], dtype=object))


def signs(a: Block, b: Block) -> list[int]:
    sign, shape = compare_blocks(a, b)
    assert sign.shape == shape
    return sign.ravel().tolist()


def test_a_column_against_one_text():
    a = column(5.0, "apple", "APPLE", "banana", "", None, True, "Aardvark")
    assert a.kind[5, 0] == EMPTY
    #            number < text, same text in another case, greater, "" < "apple", empty as "", TRUE > text
    assert signs(a, one("Apple")) == [-1, 0, 0, 1, -1, -1, 1, -1]


def test_a_column_against_the_empty_text():
    a = column(0.0, "x", "", None, False)
    assert signs(a, one("")) == [-1, 1, 0, 0, 1]


def test_an_error_gets_a_sign_the_operator_then_replaces_with_the_error():
    a = Block.from_objects(np.array([[E_NA]], dtype=object))
    assert signs(a, one("x")) == [-1]


def test_two_text_columns_row_by_row():
    a = column("abc", "ABD", "b", None, "", "x", 3.0, True)
    b = column("ABC", "abc", "a", "a", None, None, "3", False)
    # equal ignoring case, d > c, b > a, empty ("") < "a", "" = empty, "x" > "" (empty as text),
    # a number < any text, TRUE > FALSE
    assert signs(a, b) == [0, 1, 1, -1, 0, 1, -1, 1]


def test_a_row_of_texts_against_a_column_broadcasts():
    a = column("b", "B", None)
    b = Block.from_objects(np.array([["a", "b", "c"]], dtype=object))
    assert compare_blocks(a, b)[0].tolist() == [[1, 0, -1], [1, 0, -1], [-1, -1, -1]]
