"""Formula text -> a small expression tree: tokens (:mod:`formula_tokens`) read by precedence.

Excel's operators, tightest first: the reference operators ``:`` (range), space (intersection)
and ``,`` (union, inside brackets); the prefixes ``-`` ``+`` ``@``; ``%``; ``^``; ``*`` ``/``;
``+`` ``-``; ``&``; the comparisons ``= < > <= >= <>``. All binary operators group from the
left (``2^3^2`` is ``(2^3)^2``, as in Excel); a prefix binds tighter than ``^`` (``-2^2`` is 4).
A run of signs is one operator: ``--x`` is ``u--`` (minus twice: a number), ``-+-x`` too, ``---x``
is ``u-``, ``+x`` is ``u+``; between two operands ``a--b`` is ``a+b``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from ilt_xl.engine.formula_tokens import GROUP, FormulaError, tokens
from ilt_xl.engine.values import ERRORS, E_NAME
from ilt_xl.xlsx import column_index

__all__ = ["FormulaError", "MAX_ROW", "Node", "Ref", "iter_nodes", "parse_formula"]

MAX_ROW = 1048576
MAX_COL = 16384


@dataclass(frozen=True)
class Ref:
    """A reference: sheet (None = the formula's own), 1-based inclusive bounds, relative-row flags.

    ``whole_cols`` marks ``A:C`` style references, whose rows are clamped to the used area.
    """

    sheet: str | None
    r0: int
    c0: int
    r1: int
    c1: int
    rel0: bool = False
    rel1: bool = False
    whole_cols: bool = False


@dataclass(frozen=True)
class Node:
    """One tree node: kind is 'num', 'str', 'bool', 'err', 'empty', 'ref', 'name', 'op', 'fn', 'array'."""

    kind: str
    value: object = None
    args: tuple = ()


# binary operators and their precedence (higher binds tighter); ' ' is the intersection
_BINARY = {":": 8, " ": 8, "^": 5, "*": 4, "/": 4, "+": 3, "-": 3, "&": 2,
           "=": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "<>": 1}
_PREFIX_BINDS = 8       # a prefix's operand: the reference operators only (``-A1:B2`` is ``-(A1:B2)``)
_PERCENT = 6
_OPERAND_START = frozenset(("str", "err", "num", "bool", "ref", "name", "func", "(", "{", "sheet"))
_TO_XLWS = {"LAMBDA", "LET", "ANCHORARRAY"}       # stored as _xlfn.LET: called as _XLFN._XLWS.LET
_EMPTY = Node("empty")


def _ref(sheet, kind: str, m, g: int, relative: bool = True) -> Node:
    """The node of a reference token whose groups start at ``g``. A row is relative (moves with
    the formula's row) when written without ``$`` in capitals, as Excel writes cells."""
    if kind == "cell":
        col, dollar_row, row = m.group(g + 1, g + 2, g + 3)
        r, c = int(row), column_index(col)
        rel = relative and not dollar_row and col.isupper()
        return Node("ref", Ref(sheet, r, c, r, c, rel, rel, False))
    if kind == "area":
        _, col0, dol0, row0, _, col1, dol1, row1 = m.group(*range(g + 1, g + 9))
        r0, r1 = int(row0), int(row1)
        upper = relative and col0.isupper() and col1.isupper()
        return Node("ref", Ref(sheet, r0, column_index(col0), r1, column_index(col1),
                               upper and not dol0, upper and not dol1, r0 <= 1 and r1 >= MAX_ROW))
    if kind == "cols":
        return Node("ref", Ref(sheet, 1, column_index(m.group(g + 1)), MAX_ROW, column_index(m.group(g + 2)),
                               False, False, True))
    r0, r1 = int(m.group(g + 1)), int(m.group(g + 2))        # rows
    return Node("ref", Ref(sheet, r0, 1, r1, MAX_COL, False, False, r0 <= 1 and r1 >= MAX_ROW))


def _sheet_name(m) -> str:
    """The sheet name of a sheet prefix token (a quoted name's ``''`` is one quote)."""
    return m.group("qsheet").replace("''", "'") if m.lastgroup == "qsheet" else m.group("sheet")


def _constant_reference(text: str) -> Node | None:
    """The reference or name that the constant text of ``INDIRECT("...")`` spells, or None: the
    text of one reference (sheet prefix allowed, no spaces, no ``$``-less row taken as relative:
    the text does not move with the formula) or of one defined name."""
    if '"' in text or not text:
        return None
    try:
        found = tokens(text)
    except FormulaError:
        return None
    sheet = None
    if len(found) == 2 and found[0].lastgroup in ("sheet", "qsheet"):
        sheet = _sheet_name(found[0])
        found = found[1:]
    if len(found) != 1:
        return None
    kind = found[0].lastgroup
    if kind in ("area", "cols", "rows") or (kind == "cell" and not found[0].group(kind).endswith("#")):
        return _ref(sheet, kind, found[0], GROUP[kind], relative=False)
    if kind == "name" and found[0].group(kind)[:7].upper() != "_XLETA.":
        return Node("name", found[0].group(kind))
    return None


def _union(items: list[Node]) -> Node:
    """``a,b,c`` in brackets (or a whole defined name): the union ``a,(b,c)``."""
    node = items[-1]
    for item in reversed(items[:-1]):
        node = Node("op", ",", (item, node))
    return node


class _Reader:
    """Reads the token list by precedence climbing; one instance per formula."""

    def __init__(self, text: str):
        self.toks = []          # (kind, value, space before)
        space = False
        index = GROUP
        for m in tokens(text):
            kind = m.lastgroup
            if kind == "ws":
                space = True
                continue
            if kind in ("sheet", "qsheet"):
                self.toks.append(("sheet", _sheet_name(m), space))
            elif kind in ("cell", "area", "cols", "rows"):
                if kind == "cell" and m.group(kind).endswith("#"):    # A1#: the spill of A1, a name the evaluator knows
                    self.toks.append(("name", m.group(kind).replace("$", "").upper(), space))
                else:
                    self.toks.append(("ref", (kind, m, index[kind]), space))
            elif kind == "op":
                self.toks.append((m.group(kind), None, space))
            else:
                self.toks.append((kind, m.group(kind), space))
            space = False
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def peek_at(self, ahead: int):
        """(kind, space before) of the token ``ahead`` places on, or None."""
        at = self.i + ahead
        return (self.toks[at][0], self.toks[at][2]) if at < len(self.toks) else None

    def take(self, kind: str | None = None):
        if self.i >= len(self.toks) or (kind is not None and self.toks[self.i][0] != kind):
            raise FormulaError(f"expected {kind or 'more'} at token {self.i}")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expression(self, min_prec: int = 0) -> Node:
        left = self.prefix()
        while self.i < len(self.toks):
            kind, _, space = self.toks[self.i]
            if kind in _OPERAND_START:     # a space between references is their intersection
                if not space or self.toks[self.i - 1][0] not in ("ref", "name", ")"):
                    raise FormulaError(f"an operand follows an operand at token {self.i}")
                kind = " "
                if _BINARY[kind] < min_prec:
                    return left
                left = Node("op", " ", (left, self.expression(_BINARY[kind] + 1)))
                continue
            if kind == "%":
                if _PERCENT < min_prec:
                    return left
                self.i += 1
                left = Node("op", "%", (left,))
                continue
            prec = _BINARY.get(kind)
            if prec is None or prec < min_prec:
                return left
            self.i += 1
            if kind in "+-":
                kind = self._signs(kind)[0]
            left = Node("op", kind, (left, self.expression(prec + 1)))
        return left

    def _signs(self, first: str) -> tuple[str, int]:
        """A run of signs after ``first`` (already taken): ('+' or '-' by the count of minus signs, that count)."""
        minus = first == "-"
        while self.peek() in ("+", "-"):
            minus += self.take()[0] == "-"
        return ("-" if minus % 2 else "+"), minus

    def prefix(self) -> Node:
        kind, value, _ = self.take()
        if kind in ("+", "-"):
            sign, minus = self._signs(kind)
            name = "u-" if sign == "-" else ("u--" if minus else "u+")
            return Node("op", name, (self.expression(_PREFIX_BINDS),))
        if kind == "@":
            return Node("op", "@", (self.expression(_PREFIX_BINDS),))
        if kind == "sheet":
            return self.qualified(value)
        if kind == "ref":
            return _ref(None, *value)
        if kind == "num":
            return Node("num", float(value))
        if kind == "str":
            return Node("str", value[1:-1].replace('""', '"'))
        if kind == "bool":
            return Node("bool", value.upper() == "TRUE")
        if kind == "err":
            return Node("err", ERRORS.get(value.upper(), E_NAME))
        if kind == "name":
            if value[:7].upper() == "_XLETA.":       # an eta lambda (_xleta.SUM): the function SUM as a value
                return Node("fn", "_XLFN._XLWS.ETA", (Node("str", value[7:]),))
            return Node("name", value)
        if kind == "func":
            return self.call(value)
        if kind == "(":
            items = self.items(")")
            if not items:
                raise FormulaError("empty brackets")
            return _union(items)
        if kind == "{":
            return self.array()
        raise FormulaError(f"unexpected {kind!r} at token {self.i - 1}")

    def qualified(self, sheet: str) -> Node:
        """What follows a sheet prefix: a reference, an error, or a name, which keeps its sheet as its
        argument (a sheet's own names are put in place before parsing: three_d_refs; what is left is a
        name of a linked workbook's sheet, or one no sheet defines)."""
        kind, value, space = self.take()
        if space:
            raise FormulaError("a space after a sheet prefix")
        if kind == "ref":
            return _ref(sheet, *value)
        if kind == "err":
            return Node("err", ERRORS.get(value.upper(), E_NAME))
        if kind == "name" and not value[:7].upper() == "_XLETA.":
            return Node("name", value, (Node("str", sheet),))
        raise FormulaError(f"{kind!r} after the sheet prefix {sheet!r}")

    def items(self, close: str, separators: str = ",") -> list[Node]:
        """Comma-separated expressions up to ``close`` (taken); an item left out is an empty node."""
        out: list[Node] = []
        if self.peek() == close:
            self.i += 1
            return out
        while True:
            out.append(_EMPTY if self.peek() in (",", close) else self.expression())
            kind = self.take()[0]
            if kind == close:
                return out
            if kind not in separators:
                raise FormulaError(f"expected ',' or {close!r}, found {kind!r}")

    def call(self, name: str) -> Node:
        name = name.upper()
        if name == "INDIRECT" and self.toks[self.i:self.i + 2] and self.toks[self.i][0] == "str" \
                and not self.toks[self.i][2] and self.peek_at(1) == (")", False):
            constant = _constant_reference(self.toks[self.i][1][1:-1])
            if constant is not None:        # INDIRECT("Data!B2:C5"): that reference, fixed
                self.i += 2
                return constant
        base = name[6:] if name.startswith("_XLFN.") else name
        if base in _TO_XLWS:
            name = "_XLFN._XLWS." + base
        node = Node("array" if name == "ARRAY" else "fn", name, tuple(self.items(")")))
        if base == "LAMBDA" and self.peek() == "(" and not self.toks[self.i][2]:    # LAMBDA(x,x+1)(2)
            self.i += 1
            node = Node("fn", "_XLFN._XLWS.LAMBDACALL", (node, *self.items(")")))
        return node

    def array(self) -> Node:
        rows, row = [], []
        while True:
            row.append(self.expression())
            kind = self.take()[0]
            if kind == ",":
                continue
            if kind not in (";", "}"):
                raise FormulaError(f"expected ',', ';' or '}}' in an array, found {kind!r}")
            if rows and len(row) != len(rows[0].args):
                raise FormulaError("array rows of different lengths")
            rows.append(Node("array", "ARRAY", tuple(row)))
            row = []
            if kind == "}":
                return Node("array", "ARRAY", tuple(rows))


@functools.lru_cache(maxsize=65536)
def parse_formula(text: str) -> Node:
    """The tree of formula ``text`` (without the leading '='); raises :class:`FormulaError` when
    the text is no formula."""
    reader = _Reader(text)
    if not reader.toks:
        raise FormulaError("an empty formula")
    items = [reader.expression()]
    while reader.peek() == ",":         # Sheet1!$1:$1,Sheet1!$A:$A (a defined name): a union
        reader.i += 1
        items.append(reader.expression())
    tree = _union(items)
    if reader.i != len(reader.toks):
        raise FormulaError(f"unexpected {reader.toks[reader.i][0]!r} at token {reader.i}")
    return tree


def iter_nodes(node: Node):
    """All nodes of a tree, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.args)
