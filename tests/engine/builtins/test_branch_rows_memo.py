"""Work memoised on a column read over a lazy IF branch's rows (criterion keys, hash groups, lookup
positions) is shared only between reads of the same rows: two branches starting and ending on
the same rows but taking different rows between them must not get each other's answers."""
import numpy as np
from formula_values import values

from ilt_xl.engine.evaluator import Ctx, Val, eval_ref
from ilt_xl.engine.formula_tree import parse_formula
from ilt_xl.engine.values import Block

KEYS = ["a", "b", "c", "d", "e", "f"]
# F takes rows 1, 3, 6 and G rows 1, 4, 6: same first and last rows, different rows between
F = [1, 0, 1, 0, 0, 1]
G = [1, 0, 0, 1, 0, 1]
E = ["a", "c", "c", "d", "d", "d"]


def _cells() -> dict:
    cells = {}
    for i in range(6):
        r = i + 1
        cells[f"A{r}"], cells[f"E{r}"], cells[f"F{r}"], cells[f"G{r}"] = KEYS[i], E[i], F[i], G[i]
        cells[f"C{r}"] = f"=IF(F{r}=1,COUNTIF($E$1:$E$6,A{r}),-1)"
        cells[f"D{r}"] = f"=IF(G{r}=1,COUNTIF($E$1:$E$6,A{r}),-1)"
        cells[f"H{r}"] = f"=IF(G{r}=1,MATCH(A{r},$E$1:$E$6,0),-1)"
        cells[f"I{r}"] = f"=IF(F{r}=1,MATCH(A{r},$E$1:$E$6,0),-1)"
    return cells


def test_branches_over_other_rows_do_not_share_memoised_answers():
    got = values(_cells())
    count = {k: float(E.count(k)) for k in KEYS}
    first = {k: float(E.index(k) + 1) if k in E else "#N/A" for k in KEYS}
    assert [got[f"C{r}"] for r in range(1, 7)] == [count[KEYS[i]] if F[i] else -1.0 for i in range(6)]
    assert [got[f"D{r}"] for r in range(1, 7)] == [count[KEYS[i]] if G[i] else -1.0 for i in range(6)]
    assert [got[f"H{r}"] for r in range(1, 7)] == [first[KEYS[i]] if G[i] else -1.0 for i in range(6)]
    assert [got[f"I{r}"] for r in range(1, 7)] == [first[KEYS[i]] if F[i] else -1.0 for i in range(6)]


class _Grid:
    shape = (10, 3)

    @staticmethod
    def take(rows, cols) -> Block:
        n = rows.stop - rows.start if isinstance(rows, slice) else len(rows)
        return Block(np.zeros((n, 1), np.int8), np.zeros((n, 1)))


class _Sheet:
    name, grid = "S", _Grid()


class _Book:
    on_read = None

    @staticmethod
    def sheet(name, default):
        return default


def _read_a(rows: list[int]) -> Val:
    """Column A over ``rows`` as a run's ``A1`` written for row 1 reads it."""
    return eval_ref(parse_formula("A1").value, Ctx(_Book(), _Sheet(), np.array(rows), 1, 2))


def test_a_column_read_over_rows_that_are_not_consecutive_has_an_identity_of_those_rows():
    assert _read_a([1, 3, 6]).identity == _read_a([1, 3, 6]).identity
    assert _read_a([1, 3, 6]).identity != _read_a([1, 4, 6]).identity
    assert _read_a([1, 3, 6]).identity != _read_a([1, 6]).identity
    assert _read_a([2, 3, 4]).identity == ("rows", "S", 2, 1, 4)
