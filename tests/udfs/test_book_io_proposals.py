"""The optimise, merge-advice and apply macros on an open book (the fake Book of test_book_io) equal the core."""
from __future__ import annotations

import pandas as pd

from ilt_xl.core.optimise import optimise
from ilt_xl.core.proposals import apply_proposals
from ilt_xl.workbook.reader import read_planner
from tests.test_macros_headless import example  # noqa: F401  (fixture)
from tests.udfs.test_book_io import Book
from udfs import book_io


def _column(book, table: str, column: str) -> list:
    grid = book_io.find_table(book, table).range.value
    return [row[grid[0].index(column)] for row in grid[1:]]


def test_optimise_then_apply_in_a_book(example):  # noqa: F811
    planner = read_planner(example, validate=False)
    book = Book(planner)
    written = book_io.run_in_book(book, "optimise")
    expected = optimise(planner.tables, planner.settings).proposals
    assert written == len(expected) > 0
    assert _column(book, "Proposals", "SessionId") == expected["SessionId"].tolist()
    # Nothing in Sessions changes until apply.
    assert _column(book, "Sessions", "InstructorId") == planner.sessions["InstructorId"].tolist()
    applied, skipped = book_io.apply_in_book(book)
    assert (applied, skipped) == (len(expected), 0)
    want = apply_proposals({**planner.tables, "Proposals": expected}, planner.settings).sessions
    assert _column(book, "Sessions", "InstructorId") == want["InstructorId"].tolist()
    assert _column(book, "Sessions", "RoomId") == want["RoomId"].tolist()
    assert set(_column(book, "Proposals", "Outcome")) == {"Applied"}
    # Excel keeps the calculated columns' formulas: the book's Sessions still hold them.
    sessions = book_io.find_table(book, "Sessions")
    header = sessions.range.value[0]
    assert sessions.grid.formulas[(2, header.index("FixedCost") + 1)].startswith("=")
    assert pd.Series(_column(book, "Conflicts", "SessionA")).isin(expected["SessionId"]).sum() == 0
