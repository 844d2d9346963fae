"""GROUPBY and PIVOTBY: a summary table of ``values`` grouped by row fields (and column fields),
each group aggregated by a lambda (``_xleta.SUM``, ``LAMBDA(x, ...)``), and PERCENTOF.

    GROUPBY(row_fields, values, function, [field_headers], [total_depth], [sort_order],
            [filter_array], [field_relationship])
    PIVOTBY(row_fields, col_fields, values, function, [field_headers], [row_total_depth],
            [row_sort_order], [col_total_depth], [col_sort_order], [filter_array], [relative_to])

Excel's rules, as documented and as Excel-saved workbooks show them:

- ``field_headers``: 0 no headers, 1 headers not shown, 2 no headers but generated ones shown,
  3 headers shown. Omitted: the data has headers when the first value is text and the second a
  number; they are shown by PIVOTBY when it has several row, column or value fields.
- Groups are the distinct keys of the fields, in a hierarchy: each field's keys are sorted within
  their parent's group, ascending in Excel's order unless ``sort_order`` lists the field's number
  negated; a number past the fields (``fields + j``) sorts the last level by the j-th value's
  total instead of its keys.
- ``total_depth``: 0 none, 1 a grand total, 2.. subtotals for the first depth-1 levels as well
  (negative: above their groups instead of below). The grand total is labelled "Total", or
  "Grand Total" when subtotals are shown. A depth past the fields is #VALUE!. Omitted: 1.
- Each cell aggregates the values of the records of its row group and column group; a group pair
  without records is empty text (as Excel saves it). A function of two parameters (PERCENTOF)
  also receives the records it is relative to: PIVOTBY's ``relative_to`` 0 the column's total (default), 1 the row's total,
  2 the grand total, 3 the parent column group, 4 the parent row group.
- ``filter_array`` keeps the records whose (first column) value is TRUE or a non-zero number.
"""
from __future__ import annotations

import functools

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins.dynamic import sort_key
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val

from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_DIV0, E_NUM, E_VALUE, XlError


class _Invalid(Exception):
    """An argument Excel rejects: the result is this error."""

    def __init__(self, error=E_VALUE):
        super().__init__(str(error))
        self.error = error


@builtin("PERCENTOF")
def percentof(args: list[Val], ctx: Ctx) -> Val:
    """PERCENTOF(data_subset, data_all): SUM of the subset over SUM of all; an error in either is
    #NUM! (as Excel-saved workbooks show for every error code)."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    part, whole = (call_by_name("SUM", [a], ctx).block for a in args)
    if part.kind[0, 0] == ERR or whole.kind[0, 0] == ERR:
        return Val(Block.errors((1, 1), E_NUM))
    if whole.num[0, 0] == 0:
        return Val(Block.errors((1, 1), E_DIV0))
    return Val(Block.numbers([[part.num[0, 0] / whole.num[0, 0]]]))


# ---- arguments -----------------------------------------------------------------------------------------

def _given(args: list[Val], i: int) -> Val | None:
    if i >= len(args):
        return None
    v = args[i]
    return None if v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None else v


def _integers(v: Val | None, default: list[int] | None) -> list[int] | None:
    """The whole numbers of a scalar or array argument (INT of each), the default when omitted."""
    if v is None:
        return default
    b = v.block
    if (b.kind == ERR).any():
        raise _Invalid(b.obj[b.kind == ERR][0])
    num, mask, errs = co.to_numbers(b)
    if mask is not None or (b.kind == EMPTY).any():
        raise _Invalid()
    return [int(np.floor(x)) for x in num.ravel()]


def _one_integer(v: Val | None, default: int | None) -> int | None:
    got = _integers(v, None if default is None else [default])
    if got is None:
        return None
    if len(got) != 1:
        raise _Invalid()
    return got[0]


def _lambda(v: Val):
    if v.lam is not None:
        return v.lam
    if v.shape == (1, 1) and v.block.kind[0, 0] == ERR:
        raise _Invalid(v.block.obj[0, 0])
    raise _Invalid()


def _arity(lam) -> int:
    params = getattr(lam, "params", None)
    if params is not None:
        return len(params)
    return 2 if getattr(lam, "name", "") == "PERCENTOF" else 1


def _has_headers(values: Block) -> bool:
    """Excel's guess when field_headers is omitted: the first value is text, the second a number."""
    return values.shape[0] >= 2 and values.kind[0, 0] == STR and values.kind[1, 0] == NUM


def _kept(filter_: Val | None, n: int, skip: int) -> np.ndarray:
    """Rows (0-based, after the header rows) the filter keeps."""
    if filter_ is None:
        return np.arange(n - skip)
    b = filter_.block
    if b.shape[0] != n:
        raise _Invalid()
    col = b.take(slice(skip, None), slice(0, 1))
    if (col.kind == ERR).any() or (col.kind == STR).any():
        raise _Invalid()
    return np.nonzero((col.num.ravel() != 0) & (col.kind.ravel() != EMPTY))[0]


# ---- one axis: the row or the column groups -------------------------------------------------------------

class _Axis:
    """The groups along rows or columns: the records' keys per field, the order and the totals."""

    def __init__(self, fields: Block | None, records: np.ndarray, depth: int, order: list[int], n_values: int):
        self.k = 0 if fields is None else fields.shape[1]
        self.n = len(records)
        self.keys = [] if fields is None else [tuple(fields.value(int(i), j) for j in range(self.k)) for i in records]
        if abs(depth) > self.k + 1 and self.k:
            raise _Invalid()
        self.depth = depth
        self.direction = [1] * self.k
        self.by_value = None            # (value index, direction) sorting the last level
        seen = set()
        for s in order:
            a = abs(s)
            if s == 0 or a in seen or a > self.k + n_values:
                raise _Invalid()
            seen.add(a)
            if a <= self.k:
                self.direction[a - 1] = 1 if s > 0 else -1
            else:
                self.by_value = (a - self.k - 1, 1 if s > 0 else -1)

    @property
    def subtotal_levels(self) -> set[int]:
        return set(range(1, min(abs(self.depth), self.k)))

    @property
    def total_label(self) -> str:
        return "Grand Total" if self.subtotal_levels else "Total"

    def entries(self, value_of) -> list[tuple]:
        """The groups in display order: key prefixes (() is the grand total), totals placed by depth."""
        if self.k == 0:
            return [()]
        tree: dict = {}
        for key in dict.fromkeys(self.keys):
            node = tree
            for part in key:
                node = node.setdefault(part, {})
        out: list[tuple] = []
        above = self.depth < 0

        def walk(prefix: tuple, node: dict) -> None:
            level = len(prefix)
            shown = level == self.k or (level in self.subtotal_levels) or (level == 0 and self.depth != 0)
            if shown and above and level < self.k:
                out.append(prefix)
            for child in self._ordered(prefix, list(node), value_of):
                walk(prefix + (child,), node[child])
            if shown and (not above or level == self.k):
                out.append(prefix)
        walk((), tree)
        return out

    def _ordered(self, prefix: tuple, children: list, value_of) -> list:
        level = len(prefix)
        if level == self.k:
            return []
        if self.by_value is not None and level == self.k - 1:
            j, direction = self.by_value
            key = lambda c: _value_sort_key(value_of(prefix + (c,), j))  # noqa: E731
        else:
            direction = self.direction[level]
            key = lambda c: self._key_sort(prefix + (c,))  # noqa: E731

        def compare(a, b):
            ka, kb = key(a), key(b)
            return direction * ((ka > kb) - (ka < kb))
        return sorted(children, key=functools.cmp_to_key(compare))

    @staticmethod
    def _key_sort(prefix: tuple):
        return _value_sort_key(prefix[-1])

    def member(self, prefix: tuple) -> np.ndarray:
        """Which records (positions in the kept records) belong to the group ``prefix``."""
        if not prefix:
            return np.ones(self.n, bool)
        p = len(prefix)
        return np.fromiter((k[:p] == prefix for k in self.keys), bool, self.n)


def _value_sort_key(v):
    """Excel's sort order of one Python value (numbers, text, booleans, errors, blanks)."""
    if isinstance(v, XlError):
        return sort_key(ERR, 0.0, v)
    if v is None:
        return sort_key(EMPTY, 0.0, None)
    if isinstance(v, bool):
        return sort_key(BOOL, float(v), None)
    if isinstance(v, float):
        return sort_key(NUM, v, None)
    if isinstance(v, str):
        return sort_key(STR, 0.0, v)
    return sort_key(ERR, 0.0, v)


# ---- the table -----------------------------------------------------------------------------------------

class _Table:
    """The aggregated cells: one per (row group, column group, value field), memoised."""

    def __init__(self, values: Block, records: np.ndarray, rows: _Axis, cols: _Axis, lam, relative_to: int, ctx):
        self.values, self.records, self.rows, self.cols = values, records, rows, cols
        self.lam, self.two = lam, _arity(lam) == 2
        self.relative_to, self.ctx = relative_to, ctx
        self.memo: dict = {}
        self.members: dict = {}

    def _member(self, axis: _Axis, prefix: tuple) -> np.ndarray:
        key = (id(axis), prefix)
        if key not in self.members:
            self.members[key] = axis.member(prefix)
        return self.members[key]

    def _column(self, mask: np.ndarray, j: int) -> Val:
        rows = self.records[mask]
        return Val(self.values.take(rows, slice(j, j + 1)))

    def cell(self, row: tuple, col: tuple, j: int):
        key = (row, col, j)
        if key not in self.memo:
            self.memo[key] = self._compute(row, col, j)
        return self.memo[key]

    def _compute(self, row: tuple, col: tuple, j: int):
        mask = self._member(self.rows, row) & self._member(self.cols, col)
        if not mask.any():
            return ""               # no records: Excel shows (and saves) empty text
        args = [self._column(mask, j)]
        if self.two:
            whole_row, whole_col = {0: ((), col), 1: (row, ()), 2: ((), ()), 3: (row, col[:-1]),
                                    4: (row[:-1], col)}[self.relative_to]
            args.append(self._column(self._member(self.rows, whole_row) & self._member(self.cols, whole_col), j))
        result = self.lam(args, self.ctx)
        if result.lam is not None or result.shape != (1, 1):
            return E_VALUE              # a function must give one value per group (Excel's #CALC!)
        return result.block.value(0, 0)


def _summary(row_fields: Val, col_fields: Val | None, values: Val, function: Val, headers: Val | None,
             row_depth: Val | None, row_order: Val | None, col_depth: Val | None, col_order: Val | None,
             filter_: Val | None, relative_to: Val | None, ctx: Ctx, pivot: bool) -> Val:
    given = [v for v in (row_fields, col_fields, values, filter_) if v is not None]
    if any(v.per_row for v in given):
        raise NotVectorisable("GROUPBY/PIVOTBY over per-row values")
    lam = _lambda(function)
    n = values.shape[0]
    if row_fields.shape[0] != n or (col_fields is not None and col_fields.shape[0] != n):
        raise _Invalid()
    kv = values.shape[1]
    h = _one_integer(headers, None)
    if h is None:
        h = 1 if _has_headers(values.block) else 0
        if pivot and (row_fields.shape[1] > 1 or kv > 1 or col_fields.shape[1] > 1):
            h += 2
    if h not in (0, 1, 2, 3):
        raise _Invalid()
    if h == 2:
        raise EvalError("GROUPBY/PIVOTBY with generated field names (field_headers 2) is not supported",
                        "unsupported argument of GROUPBY/PIVOTBY")
    skip = 1 if h in (1, 3) else 0
    records = _kept(filter_, n, skip) + skip
    if not len(records):
        raise _Invalid()                # nothing to group (Excel's #CALC!, #VALUE! here)
    rel = _one_integer(relative_to, 0)
    if rel not in (0, 1, 2, 3, 4):
        raise _Invalid()
    rows = _Axis(row_fields.block, records, _one_integer(row_depth, 1), _integers(row_order, [1]), kv)
    cols = _Axis(col_fields.block if col_fields is not None else None, records,
                 _one_integer(col_depth, 1) if pivot else 0, _integers(col_order, [1]) if pivot else [], kv)
    table = _Table(values.block, records, rows, cols, lam, rel, ctx)
    row_entries = rows.entries(lambda prefix, j: table.cell(prefix, (), j))
    col_entries = cols.entries(lambda prefix, j: table.cell((), prefix, j))
    return Val(Block.from_objects(_layout(table, row_entries, col_entries, row_fields.block, col_fields, values.block,
                                          h == 3, pivot)))


def _layout(table: _Table, row_entries: list, col_entries: list, row_fields: Block, col_fields: Val | None,
            values: Block, show: bool, pivot: bool) -> np.ndarray:
    rows, cols = table.rows, table.cols
    kr, kc, kv = rows.k, cols.k, values.shape[1]
    top = (kc + (2 if show else 0)) if pivot else (1 if show else 0)
    out = np.full((top + len(row_entries), kr + kv * len(col_entries)), "", dtype=object)
    if show:
        names = top - 1
        out[names, :kr] = [row_fields.value(0, j) for j in range(kr)]
        value_names = [values.value(0, j) for j in range(kv)]
        for e in range(len(col_entries)):
            out[names, kr + e * kv:kr + (e + 1) * kv] = value_names
        if pivot:
            out[0, kr] = ", ".join(co.general_text(v) if isinstance(v, float) else str(v)
                                   for v in (col_fields.block.value(0, j) for j in range(kc)))
    key_row0 = 1 if (pivot and show) else 0
    for e, prefix in enumerate(col_entries):
        c0 = kr + e * kv
        if pivot:
            if not prefix:
                out[key_row0, c0:c0 + kv] = cols.total_label
            for level, part in enumerate(prefix):
                out[key_row0 + level, c0:c0 + kv] = part
    for i, prefix in enumerate(row_entries):
        r = top + i
        if not prefix:
            out[r, 0] = rows.total_label
        out[r, :len(prefix)] = list(prefix) if prefix else out[r, :0]
        for e, col in enumerate(col_entries):
            for j in range(kv):
                out[r, kr + e * kv + j] = table.cell(prefix, col, j)
    return out


def _run(call) -> Val:
    try:
        return call()
    except _Invalid as exc:
        return Val(Block.errors((1, 1), exc.error))


@builtin("GROUPBY")
def groupby(args: list[Val], ctx: Ctx) -> Val:
    if not 3 <= len(args) <= 8:
        return Val(Block.errors((1, 1), E_VALUE))
    g = functools.partial(_given, args)
    return _run(lambda: _summary(args[0], None, args[1], args[2], g(3), g(4), g(5), None, None, g(6), None,
                                 ctx, pivot=False))


@builtin("PIVOTBY")
def pivotby(args: list[Val], ctx: Ctx) -> Val:
    if not 4 <= len(args) <= 11:
        return Val(Block.errors((1, 1), E_VALUE))
    g = functools.partial(_given, args)
    return _run(lambda: _summary(args[0], args[1], args[2], args[3], g(4), g(5), g(6), g(7), g(8), g(9), g(10),
                                 ctx, pivot=True))
