"""EDATE of numbers computed by the engine gives what the `formulas` library gave (the bridge it
still uses for anything else), on random and edge values, scalars and per row; Excel's own values
on a few dates."""
from __future__ import annotations

import random

import numpy as np
import pytest

from direct_calls import SHEET, TODAY, arg, call
from formula_values import value
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Book, Ctx
from ilt_xl.engine.values import ERR
from ilt_xl.engine.workbook_model import WorkbookModel


def _bridge(*args, rows=(1,)):
    rows = np.asarray(rows, dtype=np.int64)
    book = Book(WorkbookModel("hand.xlsx", [SHEET], [], {}), TODAY, registry={})
    b = call_formulas("EDATE", list(args), Ctx(book, SHEET, rows, int(rows[0]), 26)).block
    plain = [[str(b.obj[i, j]) if b.kind[i, j] == ERR else b.value(i, j) for j in range(b.shape[1])]
             for i in range(b.shape[0])]
    return plain[0][0] if b.shape == (1, 1) and not any(a.per_row for a in args) else plain


EDGES = [0, 0.5, 1, 1.9, 58, 59, 59.99, 60, 61, 62, 366, 45292, 45351.7, 2958434, 2958465, 2958466, -1, -0.5]
MONTHS = [0, 1, -1, 0.9, -0.9, 1.5, 11, 12, 13, -12, -13, -36, 36, -1200, 1200, 96000, -96000, 120000]


def test_edate_of_numbers_is_the_bridges():
    rng = random.Random(16)
    cases = [(s, m) for s in EDGES for m in MONTHS]
    cases += [(rng.uniform(0, 2958465), rng.uniform(-200, 200)) for _ in range(400)]
    cases += [(rng.randrange(1, 2958466), rng.randrange(-9000 * 12, 9000 * 12)) for _ in range(200)]
    for s, m in cases:
        assert call("EDATE", arg(s), arg(m)) == _bridge(arg(s), arg(m)), (s, m)
    starts, months = [s for s, _ in cases], [m for _, m in cases]
    rows = tuple(range(2, 2 + len(cases)))
    assert call("EDATE", arg(starts, per_row=True), arg(months, per_row=True), rows=rows) == \
        _bridge(arg(starts, per_row=True), arg(months, per_row=True), rows=rows)
    assert call("EDATE", arg(starts, per_row=True), arg(-36), rows=rows) == \
        _bridge(arg(starts, per_row=True), arg(-36), rows=rows)


@pytest.mark.parametrize("start, months", [
    ("2024-01-31", 1), (True, 1), (None, 1), ("#N/A", 1), (45292, "2"), (45292, ".55"), (45292, "x"),
    (45292, True), (45292, None), ([[45292], [45293]], 1),
])
def test_edate_of_anything_else_is_the_bridges(start, months):
    a = arg(start, area=isinstance(start, list))
    assert call("EDATE", a, arg(months)) == _bridge(a, arg(months))


@pytest.mark.parametrize("formula, expected", [
    ("=EDATE(DATE(2024,1,31),1)", 45351.0),       # 2024-02-29: the day cut to the month's last
    ("=EDATE(DATE(2023,3,31),-1)", 44985.0),      # 2023-02-28
    ("=EDATE(DATE(2024,5,15),-36)", 44331.0),     # 2021-05-15
    ("=EDATE(45292.9,1.9)", 45323.0),             # whole days and months: 2024-02-01
    ("=EDATE(61,-1)", 32.0),                      # 1900-03-01 back to 1900-02-01
])
def test_edate_gives_excels_dates(formula, expected):
    assert value(formula) == expected
