"""Evaluate formula trees over whole runs of rows (vectorised) or one cell at a time.

A value during evaluation is a :class:`Val`: a :class:`Block` plus whether it varies by row
(``per_row``: shape (n, 1), one element per row of the run) and, for references, the area it
came from. Operators and the hot worksheet functions work on whole blocks; functions without a
vectorised implementation are called from the `formulas` library's function set row by row.
Anything a run cannot do as a whole raises :class:`NotVectorisable`, and the caller evaluates
that run cell by cell with the same code (n = 1).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ilt_xl.engine.external_links import ExternalBooks, is_external, shown
from ilt_xl.engine.formula_tree import MAX_ROW, Node, Ref, iter_nodes, parse_formula
from ilt_xl.engine.values import BOOL, EMPTY, ERR, STR, Block, E_NA, E_NAME, E_REF, E_VALUE
from ilt_xl.engine.workbook_model import Sheet, WorkbookModel
from ilt_xl.xlsx.cells import MAX_COLUMNS


class NotVectorisable(Exception):
    """This formula cannot be evaluated over a run of rows at once; evaluate cell by cell."""


class EvalError(Exception):
    """A formula the engine cannot evaluate (unsupported feature); the message says why and
    ``kind`` groups it in summaries (``unknown function SEQUENCE``); its cells keep their cached values."""

    def __init__(self, message: str, kind: str = "unsupported construct"):
        super().__init__(message)
        self.kind = kind


@dataclass
class Val:
    block: Block
    per_row: bool = False
    ref: tuple | None = None        # (Sheet, r0, c0, r1, c1) when the value is a reference
    cells: tuple | None = None      # (sheet name, r0, c, r1) when a per-row value is a column's
                                    # cells over the run's rows, and the rows' bytes after it when
                                    # they are not consecutive (a lazy IF branch's): lets lookups
                                    # memoise on it, across the columns taking the same branch
    origin: tuple | None = None     # (Sheet, r0, c0, r1, c1) an elementwise result lines up with
                                    # (ROUND(J2:J7,2)): a single cell intersects it like a reference
    tail: int = 0                   # empty rows below the block that the reference also covers
                                    # (whole columns, $T:$T, are read down to the used rows only)
    lam: object = None              # a LAMBDA (callable as lam(args, ctx)); its block is #VALUE!
    areas: tuple | None = None      # the areas (reference Vals) of a union (A1:A2,C1:C2); its block is #VALUE!
    constant_array: bool = False    # an array constant ({1}): an array even with one element
    element: bool = False           # one element of an array a lifted built-in takes one by one
                                    # (a blank one is no omitted argument)

    @property
    def identity(self) -> tuple | None:
        """What the value was read from (a fixed area or a column over the run's rows), else None.

        Two values with the same identity hold the same cells, so work done on one (keys, lookup
        positions) holds for the other."""
        if self.ref is not None:
            sheet, r0, c0, r1, c1 = self.ref
            return "area", sheet.name, r0, c0, r1, c1
        return None if self.cells is None else ("rows", *self.cells)

    @property
    def shape(self):
        return self.block.shape


@dataclass
class Ctx:
    """Where a tree is evaluated: the workbook, the formula's sheet, its rows and anchor row."""

    book: "Book"
    sheet: Sheet
    rows: np.ndarray                # 1-based rows of the run (length n)
    anchor: int                     # the row the tree's relative references were written for
    col: int
    env: dict | None = None         # LET and LAMBDA names in scope (upper case) -> Val
    area: tuple | None = None       # (rows, cols) of the array formula's area, for an array formula
    # the tree's repeated subtrees (common_subtrees.subtree_counts) and their values computed so
    # far, valid for these rows only: a context for other rows needs a memo of its own
    repeats: dict | None = None
    memo: dict | None = None
    # evaluated as a reference only (ROW(A5), OFFSET's base, the operands of ":"): where the cells
    # are, not their values, so reading them computes nothing first (function_args)
    ref_only: bool = False

    @property
    def n(self) -> int:
        return len(self.rows)


def as_reference(ctx: Ctx) -> Ctx:
    """``ctx`` for an argument taken as a reference only. Its values memoised for the run are not
    shared: a subtree read there as a reference only did not compute what it reads."""
    return dataclasses.replace(ctx, ref_only=True, repeats=None, memo=None)


def with_rows(ctx: Ctx, rows: np.ndarray) -> Ctx:
    """``ctx`` for some of its rows (``rows``, ascending): what a lazy branch is evaluated over.
    The values memoised for the run's rows are not for these: the memo starts empty."""
    return dataclasses.replace(ctx, rows=rows, memo={})


class Book:
    """The workbook during evaluation: sheets by name, defined names, options."""

    def __init__(self, model: WorkbookModel, today_serial: float, now_serial: float | None = None,
                 registry: dict | None = None):
        self.model = model
        self.sheets = {s.name.lower(): s for s in model.sheets}
        self.sheet_order = [s.name for s in model.sheets]     # for 3-D references (three_d_refs)
        self.external = ExternalBooks(model.path, len(model.sheets))
        self.today = today_serial
        self.now = today_serial if now_serial is None else now_serial
        self.registry = registry if registry is not None else _default_registry()
        self.names: dict[tuple[int | None, str], str] = {}
        for dn in model.names:
            self.names[(dn.sheet_scope, dn.name.upper())] = dn.value
        self.name_trees: dict[tuple[int | None, str], Node] = {}
        self.lookup_cache: dict = {}
        self.facts: dict = {}       # what never changes during a run (which cells hold which formulas)
        self.on_read = None         # called with (sheet, r0, c0, r1, c1) before a reference is read
        # called with (sheet, r0, c0, r1, c1) before a computed reference (OFFSET, INDIRECT) is read
        self.ensure_computed = lambda *area: None
        self.undefined_called: str | None = None   # a function nothing defines, called since recalc last asked

    def sheet(self, name: str | None, default: Sheet) -> Sheet:
        if name is None:
            return default
        s = self.find_sheet(name)
        if s is None:
            raise EvalError(f"reference to a sheet that does not exist: {name!r}")
        return s

    def find_sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name``: one of the workbook's, or of a linked workbook's (as
        :mod:`ilt_xl.engine.external_links` names them); None when there is none."""
        s = self.sheets.get(name.lower())
        if s is None and is_external(name):
            s = self.external.sheet(name)
        return s

    def external_name_tree(self, sheet: str, name: str) -> Node:
        """The tree of defined name ``name`` of a linked book's sheet ``sheet``, as that book
        stored it (raises :class:`EvalError` when it stored none: the cell keeps its value)."""
        key = ("linked", sheet, name.upper())
        if key not in self.name_trees:
            text = self.external.name_text(sheet, name)
            if text is None:
                raise EvalError(f"{shown(sheet)}!{name}: a name the linked workbook did not store",
                                "external link")
            self.name_trees[key] = parse_formula(text)
        return self.name_trees[key]

    def name_definition(self, sheet_index: int, name: str) -> str | None:
        """The text of defined name ``name`` (upper case) as the sheet at ``sheet_index`` sees it
        (its own name first, then the workbook's), references made absolute; None if undefined."""
        for key in ((sheet_index, name), (None, name)):
            text = self.names.get(key)
            if text is not None:
                return _absolute(text[1:] if text.startswith("=") else text)
        return None

    def name_tree(self, name: str, sheet: Sheet, anchor: int = 1, col: int = 1) -> Node | None:
        """The tree of defined name ``name`` used in a formula on ``sheet`` written for row
        ``anchor`` and column ``col``. A name's relative references are stored relative to A1
        (``Worksheet!$B1`` used in C5 is $B5; ``A$4:A$8`` used in C10 is C$4:C$8; past the grid's
        edge they wrap): moved there. ``Table1[[#This Row],[a]]`` in a name is the row of use."""
        key_local, key_global = (sheet.index, name.upper()), (None, name.upper())
        for key in (key_local, key_global):
            if key in self.names:
                if key not in self.name_trees:
                    self.name_trees[key] = self._name_definition(self.names[key], sheet)
                tree = self.name_trees[key]
                if isinstance(tree, tuple):           # relative: one tree per place of use
                    at = (key, anchor, col)
                    if at not in self.name_trees:
                        self.name_trees[at] = self._name_used_at(*tree, sheet, anchor, col)
                    tree = self.name_trees[at]
                return tree
        table = self.model.tables.get(name.upper())
        if table is not None:
            from ilt_xl.engine.structured_refs import resolve
            return parse_formula(resolve(table, "[#Data]", 0))
        return None

    def _name_definition(self, text: str, sheet: Sheet) -> Node | tuple[str, bool]:
        """A defined name's tree, or (its text, whether structured references are still in it)
        when it depends on where it is used (relative references, a table's [#This Row])."""
        from ilt_xl.engine.a1_shift import has_relative_parts
        from ilt_xl.engine.structured_refs import names_row_of_use, rewrite
        from ilt_xl.engine.three_d_refs import expand as expand_3d
        text = text[1:] if text.startswith("=") else text
        if names_row_of_use(text):
            return text, True
        text = expand_3d(rewrite(text, self.model.tables, sheet.name, 0, 0), self.sheet_order)
        return (text, False) if has_relative_parts(text) else parse_formula(text)

    def _name_used_at(self, text: str, structured: bool, sheet: Sheet, anchor: int, col: int) -> Node:
        """The tree of a name that depends on where it is used (:meth:`_name_definition`), used in a
        formula written for row ``anchor`` and column ``col`` of ``sheet``."""
        from ilt_xl.engine.a1_shift import shift_formula
        from ilt_xl.engine.structured_refs import rewrite
        from ilt_xl.engine.three_d_refs import expand as expand_3d
        text = shift_formula(text, anchor - 1, col - 1, wrap=True)
        if structured:
            text = expand_3d(rewrite(text, self.model.tables, sheet.name, anchor, col), self.sheet_order)
        return parse_formula(text)


def _absolute(text: str) -> str:
    """Defined names are written with $ anchors; treat any left relative as absolute."""
    from ilt_xl.engine.a1_shift import _TOKENS
    return _TOKENS.sub(lambda m: m.group(0) if m.group(2) is None else
                       f"${m.group(2)}${m.group(4)}", text)


def _default_registry() -> dict:
    try:
        from ilt_xl.functions import REGISTRY, SPECS
    except ImportError:
        return {}
    return {name: (func, SPECS.get(name)) for name, func in REGISTRY.items()}


# ---- references ------------------------------------------------------------------------------------

def read_area(sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> Block:
    """Values of an area (1-based inclusive), empty beyond the used grid."""
    nr, nc = sheet.grid.shape
    shape = (r1 - r0 + 1, c1 - c0 + 1)
    if r0 >= 1 and c0 >= 1 and r1 <= nr and c1 <= nc:
        return sheet.grid.take(slice(r0 - 1, r1), slice(c0 - 1, c1))
    kind = np.zeros(shape, np.int8)
    num = np.zeros(shape)
    obj = np.empty(shape, dtype=object)
    if getattr(sheet, "beyond", EMPTY) == ERR:      # a linked sheet whose last update failed
        kind[...], obj[...] = ERR, E_REF
    rr0, rr1 = max(r0, 1), min(r1, nr)
    cc0, cc1 = max(c0, 1), min(c1, nc)
    if rr0 <= rr1 and cc0 <= cc1:
        src = sheet.grid.take(slice(rr0 - 1, rr1), slice(cc0 - 1, cc1))
        dst = (slice(rr0 - r0, rr1 - r0 + 1), slice(cc0 - c0, cc1 - c0 + 1))
        kind[dst], num[dst], obj[dst] = src.kind, src.num, src.obj
    return Block(kind, num, obj)


def area_value(ctx: Ctx, sheet: Sheet, r0: int, c0: int, r1: int, c1: int, tail: int = 0) -> Val:
    """The value of a reference to an area (1-based inclusive); the book's ``on_read`` hook hears of
    it first (cycle evaluation computes cells on demand there), unless only the reference is wanted."""
    if ctx.book.on_read is not None and not ctx.ref_only:
        ctx.book.on_read(sheet, r0, c0, r1, c1)
    return Val(read_area(sheet, r0, c0, r1, c1), False, (sheet, r0, c0, r1, c1), tail=tail)


def computed_area_value(ctx: Ctx, sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> Val:
    """The value of an area a formula built when it ran (OFFSET, INDIRECT, INDEX, ``A1:INDEX(..)``;
    #REF! off the grid). The dependency graph could not know it: the formulas writing into it are
    computed first (``Book.ensure_computed``), unless only the reference is wanted."""
    if not (1 <= r0 <= r1 <= MAX_ROW and 1 <= c0 <= c1 <= MAX_COLUMNS):
        return Val(Block.errors((1, 1), E_REF))
    if not ctx.ref_only:
        ctx.book.ensure_computed(sheet, r0, c0, r1, c1)
    return area_value(ctx, sheet, r0, c0, r1, c1)


def eval_ref(ref: Ref, ctx: Ctx) -> Val:
    sheet = ctx.book.sheet(ref.sheet, ctx.sheet)
    r0, r1 = ref.r0, ref.r1
    if ref.whole_cols:
        r1 = max(sheet.n_rows, 1)
        return area_value(ctx, sheet, 1, ref.c0, r1, ref.c1, tail=MAX_ROW - r1)
    if not (ref.rel0 or ref.rel1):
        return area_value(ctx, sheet, r0, ref.c0, r1, ref.c1)
    if ctx.n == 1:
        d = int(ctx.rows[0]) - ctx.anchor
        r0, r1 = r0 + (d if ref.rel0 else 0), r1 + (d if ref.rel1 else 0)
        if r0 < 1 or r1 < 1:
            return Val(Block.errors((1, 1), E_REF))
        return area_value(ctx, sheet, min(r0, r1), ref.c0, max(r0, r1), ref.c1)
    if not (ref.rel0 and ref.rel1 and r0 == r1 and ref.c0 == ref.c1):
        raise NotVectorisable("a range that moves with the row")
    rows = ctx.rows + (r0 - ctx.anchor)
    if rows.min() < 1:
        raise NotVectorisable("relative reference above row 1")
    nr, nc = sheet.grid.shape
    c = ref.c0
    consecutive = rows[-1] - rows[0] == len(rows) - 1
    # the rows themselves name a branch's rows: the Sessions columns computing only where
    # [@Status]<>"Cancelled" then share their keys and lookup positions (conditional.memoised)
    cells = (sheet.name, int(rows[0]), c, int(rows[-1])) + (() if consecutive else (rows.astype(np.int64, copy=False).tobytes(),))
    inside = rows <= nr
    if c > nc or not inside.any():
        return Val(Block(np.zeros((ctx.n, 1), np.int8), np.zeros((ctx.n, 1)), np.empty((ctx.n, 1), object)), True, cells=cells)
    if inside.all() and consecutive:
        blk = sheet.grid.take(slice(int(rows[0]) - 1, int(rows[-1])), slice(c - 1, c))
    else:
        idx = np.minimum(rows, nr) - 1
        blk = sheet.grid.take(idx, slice(c - 1, c))
        blk = Block(np.where(inside[:, None], blk.kind, EMPTY).astype(np.int8), np.where(inside[:, None], blk.num, 0.0), blk.obj)
    return Val(blk, True, cells=cells)


# ---- evaluation ------------------------------------------------------------------------------------

# operators and functions register how they evaluate their nodes ("op", "fn"): they build on this
# module, so it does not import them
_HANDLERS: dict = {}


def register_node(kind: str, handler) -> None:
    _HANDLERS[kind] = handler


def evaluate(node: Node, ctx: Ctx) -> Val:
    kind = node.kind
    if kind == "ref":
        return eval_ref(node.value, ctx)
    if kind == "num":
        return Val(Block.numbers([[node.value]]))
    if kind == "str":       # text, even when it reads like an error ("#N/A")
        return Val(Block(np.full((1, 1), STR, np.int8), np.zeros((1, 1)), np.full((1, 1), node.value, object)))
    if kind == "bool":
        return Val(Block(np.full((1, 1), BOOL, np.int8), np.full((1, 1), float(node.value))))
    if kind == "err":
        return Val(Block.errors((1, 1), node.value))
    if kind == "empty":
        return Val(Block(np.zeros((1, 1), np.int8), np.zeros((1, 1)), np.empty((1, 1), object)))
    if kind == "name":
        if ctx.env is not None and node.value.upper() in ctx.env:
            return ctx.env[node.value.upper()]
        if node.args and is_external(node.args[0].value):        # [1]Defines!Rate: a linked book's name
            return evaluate(ctx.book.external_name_tree(node.args[0].value, node.value), ctx)
        tree = ctx.book.name_tree(node.value, ctx.sheet, ctx.anchor, ctx.col)
        if tree is None:
            return Val(Block.errors((1, 1), E_NAME))     # a name the workbook does not define: Excel's #NAME?
        return evaluate(tree, ctx)
    if kind == "array":
        return _array_constant(node, ctx)
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise EvalError(f"no evaluator for {kind!r} nodes (import ilt_xl.engine.recalc, which loads them)")
    if ctx.repeats is not None:
        number = ctx.repeats.get(id(node))
        if number is not None:
            return _once(number, handler, node, ctx)
    return handler(node, ctx)


def _once(number: int, handler, node: Node, ctx: Ctx) -> Val:
    """A repeated subtree's value, computed on its first occurrence. Its arrays are made read-only:
    a caller changing one in place would change the value every other occurrence sees."""
    memo = ctx.memo
    if memo is None:
        memo = ctx.memo = {}
    val = memo.get(number)
    if val is None:
        val = memo[number] = handler(node, ctx)
        b = val.block
        for a in (b.kind, b.num, b._obj):
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
    return val


def _array_constant(node: Node, ctx: Ctx) -> Val:
    def flat(n):
        if n.kind == "array":
            return [flat(a) for a in n.args]
        return evaluate(n, ctx).block.value()
    rows = flat(node)
    if rows and not isinstance(rows[0], list):
        rows = [rows]
    rows = [r if isinstance(r, list) else [r] for r in rows]
    return Val(Block.from_objects(np.array(rows, dtype=object)), constant_array=True)


def broadcast_pair(a: Val, b: Val) -> bool:
    """Check that two operands can be combined elementwise over the run; returns per_row of the result."""
    if a.per_row and b.per_row:
        return True
    for x, y in ((a, b), (b, a)):
        if x.per_row and y.shape != (1, 1):
            raise NotVectorisable("a per-row value combined with an array")
    # a column against a row spreads over both (A1:A3*B1:D1 is 3x3); sizes that differ otherwise
    # are padded with #N/A first by the operators (pad_together)
    if any(x != y and x != 1 and y != 1 for x, y in zip(a.shape, b.shape)):
        raise EvalError(f"arrays of shapes {a.shape} and {b.shape} cannot be combined")
    return a.per_row or b.per_row


def pad_together(*vals: Val) -> tuple[Val, ...]:
    """Arrays combined element by element (an operator's two operands, IF's condition and
    branches), each grown with #N/A to the largest size along a dimension where two of them differ
    and neither is 1 (Excel's rule: {1,2,3}+{10,20} is {11,22,#N/A})."""
    if any(v.per_row for v in vals):
        return vals
    target = tuple(max(grown) if len(grown) > 1 else None
                   for grown in ({n for n in sizes if n != 1} for sizes in zip(*(v.shape for v in vals))))
    if target == (None, None):
        return vals
    return tuple(_padded(v, target) for v in vals)


def pad_to(v: Val, shape: tuple[int, int]) -> Val:
    """``v`` grown with #N/A to ``shape`` along each dimension where it is neither 1 nor larger."""
    return _padded(v, tuple(t if 1 != n < t else None for n, t in zip(v.shape, shape)))


def _padded(v: Val, target: tuple) -> Val:
    rows = target[0] if target[0] is not None and v.shape[0] != 1 else v.shape[0]
    cols = target[1] if target[1] is not None and v.shape[1] != 1 else v.shape[1]
    if (rows, cols) == v.shape:
        return v
    b = v.block
    out = Block.errors((rows, cols), E_NA)
    r, c = b.shape
    out.kind[:r, :c], out.num[:r, :c], out.obj[:r, :c] = b.kind, b.num, b.obj
    return Val(out)


def implicit_intersection(val: Val, row: int, col: int) -> Block:
    """The one value a single cell shows for a multi-cell value (Excel's implicit intersection):
    the element on the formula's row of a one-column area, on its column of a one-row area, on
    both of a block; #VALUE! when the area does not cross them (rows of a whole column below its
    used rows are empty); an array without an area gives its first element."""
    b = val.block
    area = val.ref if val.ref is not None else val.origin
    if area is not None:
        _, r0, c0, r1, c1 = area
        if b.shape == (1, 1):
            return b
        i = 0 if r0 == r1 else row - r0
        j = 0 if c0 == c1 else col - c0
        if not (0 <= i <= r1 + val.tail - r0 and 0 <= j <= c1 - c0):
            return Block.errors((1, 1), E_VALUE)
        if i >= b.shape[0]:
            return Block(np.zeros((1, 1), np.int8), np.zeros((1, 1)), np.empty((1, 1), object))
        return b.take(slice(i, i + 1), slice(j, j + 1))
    return b.take(slice(0, 1), slice(0, 1))


def lined_up_area(shape: tuple, *vals: Val) -> tuple | None:
    """The area an elementwise result of ``shape`` lines up with: that of the first operand of the
    same shape read from an area (for :func:`implicit_intersection`)."""
    for v in vals:
        area = v.ref if v.ref is not None else v.origin
        if area is not None and v.shape == shape:
            return area
    return None


def collect_names(node: Node) -> list[str]:
    return [n.value for n in iter_nodes(node) if n.kind == "name"]
