"""A formula's repeated subexpressions are evaluated once per evaluation, with the same results."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "builtins"))

from formula_values import value, values  # noqa: E402

from ilt_xl.engine.common_subtrees import subtree_counts  # noqa: E402
from ilt_xl.engine.formula_tree import iter_nodes, parse_formula  # noqa: E402


def _shared_functions(text: str) -> list[str]:
    tree = parse_formula(text)
    repeats = subtree_counts(tree)[0] or {}
    return sorted(str(n.value) for n in iter_nodes(tree) if id(n) in repeats)


def test_equal_subtrees_get_one_number_and_different_ones_none():
    tree = parse_formula("SUM(A1:A3)*2+SUM(A1:A3)-SUM(A1:A4)")
    repeats = subtree_counts(tree)[0]
    sums = [n for n in iter_nodes(tree) if n.kind == "fn"]
    assert len(sums) == 3
    numbers = [repeats.get(id(n)) for n in sums]
    assert numbers.count(None) == 1                   # SUM(A1:A4) occurs once
    assert len({x for x in numbers if x is not None}) == 1
    assert subtree_counts(parse_formula("SUM(A1:A3)+1"))[0] is None


def test_random_functions_and_names_are_never_shared():
    assert _shared_functions("RAND()-RAND()") == []
    assert _shared_functions("RANDBETWEEN(1,9)+RANDBETWEEN(1,9)") == []
    assert _shared_functions("SUM(Prices)+SUM(Prices)") == []          # a name (a LET variable in a scope)
    assert _shared_functions("ABS(A1)+ABS(A1)") == ["ABS", "ABS"]


def test_repeated_subexpressions_give_the_values_computed_separately():
    # hand-computed: each occurrence has the value it would have alone
    got = values({"A1": 2, "A2": 5, "A3": -1,
                  "B1": "=ABS(A1)*10+ABS(A1)", "B2": "=ABS(A2)*10+ABS(A2)", "B3": "=ABS(A3)*10+ABS(A3)",
                  "C1": "=IF(SUM(A1:A3)>5,SUM(A1:A3),-SUM(A1:A3))"})
    assert (got["B1"], got["B2"], got["B3"], got["C1"]) == (22.0, 55.0, 11.0, 6.0)
    # a LET variable means something else in each scope: never taken for the other
    assert value("=_xlfn.LET(_xlpm.x,1,_xlpm.x+1)+_xlfn.LET(_xlpm.x,2,_xlpm.x+1)") == 5.0
    # each RAND() draws its own number
    assert value("=RAND()-RAND()") != 0.0


def test_distinct_calls_count_a_repeated_subtree_once():
    assert subtree_counts(parse_formula("SUM(A1:A3)+SUM(A1:A3)*2"))[1] == 3       # SUM, *, +
    assert subtree_counts(parse_formula("SUM(A1:A3)+SUM(A1:A4)*2"))[1] == 4
    assert subtree_counts(parse_formula("A1"))[1] == 0
