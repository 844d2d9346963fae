"""Database functions: DSUM, DAVERAGE, DCOUNT, DCOUNTA, DGET, DMAX, DMIN, DPRODUCT, DSTDEV,
DSTDEVP, DVAR and DVARP, as Excel computes them.

``Dxxx(database, field, criteria)``: the database is a reference whose first row labels its fields
and whose other rows are the records (a database of one row is #VALUE!). The field is a label
(text, compared with the labels case-insensitively, the first equal one taken) or a 1-based
column number (truncated; TRUE is 1); anything else, or a label or number that is not there, is
#VALUE!.
DCOUNT and DCOUNTA may omit it: they then count the records that match.

The criteria range has labels in its first row and conditions below: a record matches when it
meets every condition of one row (the rows are OR'ed, the cells of a row AND'ed); a blank
condition asks nothing, so a blank row matches every record. A condition is read as COUNTIFS
reads one (:func:`~ilt_xl.engine.builtins.conditional.criterion_mask`), but for text without an
operator, which matches the values that begin with it ("Berlin" matches "Berlino"; "=Berlin"
matches "Berlin" only). A label compares with the database's labels as their texts do (the label
``true`` is the field labelled TRUE). A condition under a label that is no field of the database
(or a blank label) is a computed criterion: the record matches when it is TRUE. A formula there
with relative references would be computed again for each record; the engine does not, so such a
cell is reported and keeps its cached value.

The values of the field over the matching records are then aggregated as SUM, AVERAGE, MAX, MIN,
PRODUCT, STDEV, STDEVP, VAR and VARP aggregate a range (the same built-ins are called); DCOUNT
counts numbers, DCOUNTA non-blank cells, and DGET returns the one value (#VALUE! when no record
matches, #NUM! when several do).
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.a1_shift import has_relative_parts
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins.aggregate import emptied
from ilt_xl.engine.builtins.conditional import criterion_mask
from ilt_xl.engine.evaluator import Ctx, EvalError, NotVectorisable, Val
from ilt_xl.engine.number_text import number_in_text
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NUM, E_VALUE, ERRORS

_OPERATORS = ("<=", ">=", "<>", "=", "<", ">")

# the function each database function aggregates the matching values with
_AGGREGATES = {"DSUM": "SUM", "DAVERAGE": "AVERAGE", "DMAX": "MAX", "DMIN": "MIN", "DPRODUCT": "PRODUCT",
               "DSTDEV": "STDEV", "DSTDEVP": "STDEVP", "DVAR": "VAR", "DVARP": "VARP"}


class _Refused(Exception):
    """The function's result is this error value."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def label_text(kind: int, num: float, obj) -> str:
    """A label as the text it compares by (lower case): a number as it is shown in General
    format, TRUE/FALSE as such, a blank label as ""."""
    if kind == STR:
        return str(obj).lower()
    if kind == NUM:
        return co.general_text(float(num)).lower()
    if kind == BOOL:
        return "true" if num else "false"
    if kind == ERR:
        return str(obj).lower()
    return ""


def _labels(b: Block) -> list[str]:
    return [label_text(int(b.kind[0, j]), b.num[0, j], b.obj[0, j] if b.kind[0, j] in (STR, ERR) else None)
            for j in range(b.shape[1])]


def field_column(field: Val, labels: list[str]) -> int | None:
    """The 0-based column ``field`` names (None when omitted); raises :class:`_Refused`."""
    if field.shape != (1, 1):
        raise _Refused(E_VALUE)
    kind = int(field.block.kind[0, 0])
    if kind == EMPTY and field.ref is None:
        return None
    if kind == ERR:
        raise _Refused(field.block.obj[0, 0])
    if kind in (NUM, BOOL):         # TRUE is column 1
        k = int(np.trunc(field.block.num[0, 0]))
        if 1 <= k <= len(labels):
            return k - 1
        raise _Refused(E_VALUE)
    if kind == STR:
        wanted = str(field.block.obj[0, 0]).lower()
        if wanted in labels:
            return labels.index(wanted)
    raise _Refused(E_VALUE)


def condition_mask(column: Block, kind: int, num: float, obj) -> np.ndarray:
    """The records (cells of ``column``) meeting one condition of a criteria range."""
    if kind == STR:
        text = str(obj)
        if not text.startswith(_OPERATORS):
            value = number_in_text(text)
            if value is not None:
                return criterion_mask(column, NUM, value, None)
            if text.upper() not in ("TRUE", "FALSE") and text not in ERRORS:
                # text alone matches the values beginning with it: "~" keeps a trailing "~" literal
                return criterion_mask(column, STR, 0.0, (text + "~" if _odd_tildes(text) else text) + "*")
    return criterion_mask(column, kind, num, obj)


def _odd_tildes(text: str) -> bool:
    """Whether ``text`` ends in an escape character with nothing to escape (``a~``)."""
    n = len(text) - len(text.rstrip("~"))
    return n % 2 == 1


def _has_condition(b: Block, i: int, j: int) -> bool:
    k = b.kind[i, j]
    return k != EMPTY and not (k == STR and b.obj[i, j] == "")


def _relative_formula(ctx: Ctx, criteria: Val, i: int, j: int) -> bool:
    """Whether the criteria cell (i, j) holds a formula with relative references."""
    if criteria.ref is None:
        return False
    sheet, r0, c0, _, _ = criteria.ref
    f = sheet.formulas
    at = np.flatnonzero((f.rows == r0 + i) & (f.cols == c0 + j))
    return len(at) > 0 and bool(f.texts[int(at[0])]) and has_relative_parts(f.texts[int(at[0])])


def matching_records(ctx: Ctx, records: Block, labels: list[str], criteria: Val) -> np.ndarray:
    """Boolean mask of the records meeting the criteria range (rows OR'ed, cells AND'ed)."""
    c = criteria.block
    if c.shape[0] < 2:
        raise _Refused(E_VALUE)
    heads = _labels(c)
    out = np.zeros(records.shape[0], bool)
    for i in range(1, c.shape[0]):
        row = np.ones(records.shape[0], bool)
        for j, head in enumerate(heads):
            if not _has_condition(c, i, j):
                continue
            kind, num = int(c.kind[i, j]), float(c.num[i, j])
            obj = c.obj[i, j] if kind in (STR, ERR) else None
            if head and head in labels:
                col = labels.index(head)
                row &= condition_mask(records.take(slice(None), slice(col, col + 1)), kind, num, obj)[:, 0]
            elif _relative_formula(ctx, criteria, i, j):
                raise EvalError("a computed criterion (a formula with relative references under a label that is "
                                "no field of the database) is computed again for each record in Excel",
                                "computed database criterion")
            else:
                row &= kind == BOOL and num != 0.0     # a computed criterion: the same for every record
        out |= row
    return out


def _database(name: str):
    def fn(args: list[Val], ctx: Ctx) -> Val:
        if len(args) != 3:
            return Val(Block.errors((1, 1), E_VALUE))
        database, field, criteria = args
        if any(a.per_row for a in args):
            raise NotVectorisable("a database function per row")
        if database.ref is None:
            b = database.block
            return Val(Block.errors((1, 1), b.obj[0, 0] if b.shape == (1, 1) and b.kind[0, 0] == ERR else E_VALUE))
        if criteria.ref is None and criteria.shape == (1, 1) and criteria.block.kind[0, 0] == ERR:
            return Val(Block.errors((1, 1), criteria.block.obj[0, 0]))
        db = database.block
        if db.shape[0] < 2:
            return Val(Block.errors((1, 1), E_VALUE))
        labels = _labels(db)
        try:
            col = field_column(field, labels)
            if col is None and name not in ("DCOUNT", "DCOUNTA"):
                raise _Refused(E_VALUE)
            records = db.take(slice(1, None))
            match = matching_records(ctx, records, labels, criteria)
        except _Refused as exc:
            return Val(Block.errors((1, 1), exc.error))
        if col is None:
            return Val(Block.numbers([[float(match.sum())]]))
        values = records.take(slice(None), slice(col, col + 1))
        kinds = values.kind[:, 0]
        if name == "DCOUNT":
            return Val(Block.numbers([[float((match & (kinds == NUM)).sum())]]))
        if name == "DCOUNTA":
            return Val(Block.numbers([[float((match & (kinds != EMPTY)).sum())]]))
        if name == "DGET":
            found = np.flatnonzero(match)
            if len(found) != 1:
                return Val(Block.errors((1, 1), E_VALUE if len(found) == 0 else E_NUM))
            one = values.take(slice(int(found[0]), int(found[0]) + 1))
            return Val(Block.numbers([[0.0]]) if one.kind[0, 0] == EMPTY else one)
        sheet, r0, c0, r1, _ = database.ref
        column = Val(values, False, (sheet, r0 + 1, c0 + col, r1, c0 + col))
        return call_by_name(_AGGREGATES[name], [emptied(column, ~match[:, None])], ctx)
    return fn


for _name in (*_AGGREGATES, "DCOUNT", "DCOUNTA", "DGET"):
    builtin(_name)(_database(_name))
