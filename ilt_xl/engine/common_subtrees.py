"""Subexpressions a formula repeats, so that one evaluation computes each of them once.

Formulas written for Excel 2010 (no LET) repeat themselves: the planner's day-rate columns hold the
same ``COUNTIFS(Rates[ResourceType], "Room", ..., "<="&[@StartDate])`` six times and the same
``INDEX(Rates[Currency], MATCH(...))`` four. Within one evaluation of a formula (one run of rows,
or one cell) identical subtrees read the same cells over the same rows, so they have the same
value: :func:`subtree_counts` finds them once per tree, and the evaluator computes each once
and hands the same value to every place it occurs (see ``evaluator.evaluate``).

Left out, so that sharing never changes a result: subtrees holding a name (a LET or LAMBDA
variable means something else in each scope; a defined name may hold one) and subtrees calling
a random function (each RAND() draws its own number).
"""
from __future__ import annotations

from ilt_xl.engine.formula_tree import Node

# functions whose every call gives a new value, whatever their arguments
_RANDOM = frozenset({"RAND", "RANDBETWEEN", "RANDARRAY"})
_SHARED_KINDS = frozenset({"fn", "op"})


def is_random(name: str) -> bool:
    up = name.upper()
    return up.rsplit(".", 1)[-1] in _RANDOM      # _xlfn.RANDARRAY as well


def subtree_counts(tree: Node) -> tuple[dict[int, int] | None, int]:
    """(repeated, calls) of ``tree``, in one pass. ``repeated``: ``{id(node): number}`` of the
    function and operator nodes whose subtree occurs more than once in it (equal subtrees get the
    same number), or None when nothing repeats; the ids are those of the nodes of ``tree``, which
    must stay alive while the result is used. ``calls``: how many function and operator calls
    evaluating ``tree`` makes once its repeated subtrees are computed once (each a pass over the
    rows of a run)."""
    number_of: dict[int, int] = {}      # id(node) -> number of its distinct subtree
    shareable: dict[int, bool] = {}     # id(node) -> no name, no random function inside
    numbers: dict[tuple, int] = {}
    count: dict[int, int] = {}          # number -> occurrences (function and operator subtrees)
    order = _post_order(tree)
    for node in order:
        key = (node.kind, node.value, tuple(number_of[id(a)] for a in node.args))
        try:
            n = numbers.setdefault(key, len(numbers))
        except TypeError:           # a value that cannot be compared (none known): share nothing
            return None, sum(node.kind in _SHARED_KINDS for node in order)
        number_of[id(node)] = n
        ok = node.kind != "name" and not (node.kind == "fn" and is_random(str(node.value)))
        shareable[id(node)] = ok and all(shareable[id(a)] for a in node.args)
        if node.kind in _SHARED_KINDS:
            count[n] = count.get(n, 0) + 1
    repeated = {i: n for i, n in number_of.items() if count.get(n, 0) > 1 and shareable[i]}
    return repeated or None, len(count)


def _post_order(tree: Node) -> list[Node]:
    """The nodes of ``tree``, children before parents (without recursion: trees may be 2,000
    levels deep)."""
    order: list[Node] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.args)
    order.reverse()
    return order
