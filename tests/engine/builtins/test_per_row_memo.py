"""What a per-row criterion's column gives row by row (its criterion forms, its key codes) is read
once per column: a lazy IF branch reading the same column over some of the rows takes its rows'
part of what was memoised over consecutive rows holding them all (``memoised_per_row``)."""
from types import SimpleNamespace

import numpy as np
import pytest
from formula_values import values

from ilt_xl.engine.builtins import conditional
from ilt_xl.engine.memo import memoised_per_row
from ilt_xl.engine.evaluator import Val
from ilt_xl.engine.values import Block


def _ctx() -> SimpleNamespace:
    return SimpleNamespace(book=SimpleNamespace(lookup_cache={}))


def _column(rows: list[int], sheet: str = "S", col: int = 1) -> Val:
    """A column's cells over ``rows`` (their numbers are the rows), as ``eval_ref`` names them."""
    rows_a = np.array(rows, np.int64)
    consecutive = rows[-1] - rows[0] == len(rows) - 1
    cells = (sheet, rows[0], col, rows[-1]) + (() if consecutive else (rows_a.tobytes(),))
    return Val(Block.numbers(rows_a.astype(float).reshape(-1, 1)), True, cells=cells)


def _by_row(ctx, val: Val, built: list) -> np.ndarray:
    def build():
        built.append(val.identity)
        return val.block.num[:, 0] * 10
    return memoised_per_row(ctx, "tens", val, build, lambda whole, at: whole[at])


def test_some_rows_are_taken_from_the_consecutive_rows_holding_them():
    ctx, built = _ctx(), []
    assert _by_row(ctx, _column(list(range(2, 12))), built).tolist() == [r * 10.0 for r in range(2, 12)]
    assert _by_row(ctx, _column([3, 7, 11]), built).tolist() == [30.0, 70.0, 110.0]
    assert _by_row(ctx, _column([2, 5]), built).tolist() == [20.0, 50.0]
    assert len(built) == 1          # the branches' rows were not built again


def test_rows_outside_any_span_or_of_another_column_or_sheet_are_built():
    ctx, built = _ctx(), []
    _by_row(ctx, _column(list(range(2, 12))), built)
    assert _by_row(ctx, _column([3, 12]), built).tolist() == [30.0, 120.0]         # past the span
    assert _by_row(ctx, _column([1, 3]), built).tolist() == [10.0, 30.0]           # before it
    assert _by_row(ctx, _column([3, 5], col=2), built).tolist() == [30.0, 50.0]    # another column
    assert _by_row(ctx, _column([3, 5], sheet="T"), built).tolist() == [30.0, 50.0]
    assert len(built) == 5


def test_what_is_taken_is_read_only_as_what_is_memoised():
    ctx = _ctx()
    _by_row(ctx, _column(list(range(2, 12))), [])
    part = _by_row(ctx, _column([3, 7]), [])
    with pytest.raises(ValueError):
        part[0] = 1.0


def test_a_branch_counts_with_the_forms_and_keys_of_the_whole_column(monkeypatch):
    """C reads A's criteria over every row; D over the rows F takes. Criteria of every form (plain,
    operator, wildcard, number, blank): D's counts are those of a scan, with A's forms read once."""
    crit = ["b", "<c", "a*", 3, None, ">=2", "B", "<>a"]
    e = ["a", "b", "B", "c", 3, 2, "ab", None]
    f = [0, 0, 1, 1, 0, 1, 1, 1]
    cells = {}
    for i in range(8):
        r = i + 1
        if crit[i] is not None:
            cells[f"A{r}"] = crit[i]
        if e[i] is not None:
            cells[f"E{r}"] = e[i]
        cells[f"F{r}"] = f[i]
        cells[f"C{r}"] = f"=COUNTIFS($E$1:$E$8,A{r})"
        cells[f"D{r}"] = f"=IF(F{r}=1,COUNTIFS($E$1:$E$8,A{r}),-1)"
    calls = []
    forms = conditional.criterion_forms
    monkeypatch.setattr(conditional, "criterion_forms", lambda b: calls.append(b.shape) or forms(b))
    got = values(cells)
    # b, B | a, b, B, ab | a, ab | 3 | blank is 0: none | 3, 2 | b, B | all but a, the blank too
    expected = [2.0, 4.0, 2.0, 1.0, 0.0, 2.0, 2.0, 7.0]
    assert [got[f"C{r}"] for r in range(1, 9)] == expected
    assert [got[f"D{r}"] for r in range(1, 9)] == [x if f[i] else -1.0 for i, x in enumerate(expected)]
    assert calls == [(8, 1)]
