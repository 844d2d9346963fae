"""A column compared with one text (``[@Id]=""`` at the start of every calculated column) is
compared once per workbook: the other columns asking it of the same cells take the memoised signs."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "builtins"))
from formula_values import values  # noqa: E402

from ilt_xl.engine import coercion  # noqa: E402

A = ["x", "", "X", None, 3, True, "#N/A", "y"]


def test_columns_comparing_the_same_cells_with_a_text_compare_them_once(monkeypatch):
    calls = []
    compare = coercion.compare_blocks
    monkeypatch.setattr(coercion, "compare_blocks", lambda a, b: calls.append(b.obj[0, 0] if b.obj is not None
                                                                                   else None) or compare(a, b))
    cells = {}
    for i, v in enumerate(A):
        r = i + 1
        if v is not None:
            cells[f"A{r}"] = v
        cells[f"B{r}"] = f'=IF(A{r}="",0,1)'
        cells[f"C{r}"] = f'=IF(A{r}="","e","f")'
        cells[f"D{r}"] = f'=A{r}="x"'
        cells[f"E{r}"] = f'=A{r}<>"X"'
        cells[f"F{r}"] = f'=A{r}>"w"'
    got = values(cells)
    na = "#N/A"         # A7 holds the error: every comparison of it gives it
    assert [got[f"B{r}"] for r in range(1, 9)] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, na, 1.0]    # "" and empty
    assert [got[f"C{r}"] for r in range(1, 9)] == ["f", "e", "f", "e", "f", "f", na, "f"]
    assert [got[f"D{r}"] for r in range(1, 9)] == [True, False, True, False, False, False, na, False]
    assert [got[f"E{r}"] for r in range(1, 9)] == [False, True, False, True, True, True, na, True]
    # numbers < texts < booleans; "y" > "w"
    assert [got[f"F{r}"] for r in range(1, 9)] == [True, False, True, False, False, True, na, True]
    assert sorted(calls) == ["", "w", "x"]        # "x" and "X" are one question: texts compare in lower case
