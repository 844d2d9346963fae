"""Function names as files spell them, and the arguments Excel takes as references only.

``ROW(A5)`` in A5 is no circular reference in Excel, nor is ``OFFSET(B5,-1,0)`` in B5 or
``SUM(C$1:INDEX(C:C,ROW()-1))`` in column C: a function that only needs where a reference is
(ROW, COLUMN, ROWS, COLUMNS, AREAS, ISREF, OFFSET's base, INDEX's area, ``A1#``'s anchor, the
operands of ``:``, CELL's reference for "address", "col" and "row") does not read the cells' values. The cells such a formula does read are
known only when it runs (the area OFFSET, INDEX or ``:`` builds), and are computed first then
(``Book.ensure_computed``, ``Book.on_read``). This module says which arguments those are: the
dispatcher evaluates them as references only, and :func:`value_refs` leaves them out of the
areas a formula is known to read before it runs.
"""
from __future__ import annotations

import re

from ilt_xl.engine.formula_tree import Node, Ref

_PREFIX = re.compile(r"^(?:_XLFN\.|_XLWS\.|_XLUDF\.|_XLL\.)+")
_XLDUDF = re.compile(r"^_XLDUDF_[A-Z0-9]+_(ILT_[A-Z0-9_]+)$")


def normalise_name(name: str) -> str:
    """``_xludf.ILT_FX`` / ``_xll.ILT_FX`` / ``_xldudf_NS_ILT_FX`` / ``ILT.FX`` / ``_xlfn.XLOOKUP`` -> bare name."""
    up = _PREFIX.sub("", name.upper())
    m = _XLDUDF.match(up)
    if m:
        return m.group(1)
    if up.startswith("ILT.") and up.count(".") == 1:
        return "ILT_" + up[4:]
    return up


# argument positions that are references only (their cells' values are not read)
REFERENCE_ARGS: dict[str, tuple[int, ...]] = {
    "ROW": (0,), "COLUMN": (0,), "ROWS": (0,), "COLUMNS": (0,), "AREAS": (0,), "ISREF": (0,),
    "OFFSET": (0,), "INDEX": (0,), "ANCHORARRAY": (0,),
}
# functions that give a reference: as an argument above, they are evaluated as references too
_GIVE_REFERENCES = {"INDEX", "OFFSET", "INDIRECT", "ANCHORARRAY"}
# reference operators: ":" takes its operands as references; " " and "," pass the context on
RANGE_OPS = {":", " ", ","}


def reference_like(node: Node) -> bool:
    """Whether ``node`` evaluates to a reference (a cell, a name, a range operator, INDEX...)."""
    if node.kind in ("ref", "name"):
        return True
    if node.kind == "op":
        return node.value in RANGE_OPS
    return node.kind == "fn" and normalise_name(node.value) in _GIVE_REFERENCES


# CELL's info types that ask only where its reference is (CELL("col",A8:C8) in B8 is no circle)
_CELL_WHERE = {"address", "col", "row"}


def reference_positions(name: str, args: tuple = ()) -> tuple[int, ...]:
    """The argument positions of function ``name`` (normalised; its argument nodes ``args``)
    taken as references only: CELL's reference too when its info type, written in the formula,
    asks only where the reference is."""
    if name == "CELL":
        info = args[0] if args else None
        return (1,) if info is not None and info.kind == "str" and str(info.value).strip().lower() in _CELL_WHERE else ()
    return REFERENCE_ARGS.get(name, ())


def value_refs(tree: Node) -> list[Ref]:
    """The references of ``tree`` whose cells' values the formula reads (every reference but
    those taken as references only). INDEX's area counts as read where INDEX gives a value: it
    reads one of its cells, known only when it runs."""
    out: list[Ref] = []
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:
        node, ref_only = stack.pop()
        kind = node.kind
        if kind == "ref":
            if not ref_only:
                out.append(node.value)
        elif kind == "op" and node.value == ":":
            stack.extend((a, reference_like(a)) for a in node.args)
        elif kind == "op" and node.value in RANGE_OPS:
            stack.extend((a, ref_only) for a in node.args)
        elif kind == "fn":
            name = normalise_name(node.value)
            positions = reference_positions(name, node.args)
            picks = name == "INDEX" and not ref_only        # INDEX giving a value reads its area
            stack.extend((a, i in positions and reference_like(a) and not picks) for i, a in enumerate(node.args))
        else:
            stack.extend((a, False) for a in node.args)
    return out
