"""Working-day built-ins: WORKDAY(start, days, [holidays]) and WORKDAY.INTL(start, days, [weekend],
[holidays]) over a whole run of rows.

The holidays are either one fixed range for every row, or each row's own block of one column,
written ``INDEX(col,MATCH(…,0)):INDEX(col,MATCH(…,1))`` (the planner's due dates: the rows of
the session's country in a Holidays table sorted by country). A range operator between per-row
INDEX results has no single area, so that form is recognised here and each row's block read
from the column; rows sharing a block share one business-day calendar. The stepping is the
core's (:func:`ilt_xl.core.calendar.step_workdays`), so the workbook's due dates and the
checklist command's agree.

Excel's errors: an error in an argument propagates (start, then days, then holidays); text or a
logical value among the holidays is #VALUE!; a start before serial 0 or a result outside
Excel's dates is #NUM!; a block reaching outside its column is #REF!.

WORKDAY is lazy, so the dispatcher's 1904 shift (:mod:`ilt_xl.engine.date_system`) never sees
it: in a 1904 workbook its start, holidays and result are moved between the systems here.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.core.calendar import step_workdays
from ilt_xl.core.serial_dates import FIRST_DATE, LAST_DATE, datetime64_to_serial, serial_to_datetime64
from ilt_xl.engine import coercion as co
from ilt_xl.engine.date_system import SHIFT_1904
from ilt_xl.engine.builtins import Thunk, builtin
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val, evaluate
from ilt_xl.engine.formula_tree import Node
from ilt_xl.engine.values import EMPTY, ERR, NUM, STR, Block, E_NUM, E_REF, E_VALUE, XlError

_WEEKDAYS = "1111100"
_NO_ERRORS = (None, None)


# WORKDAY.INTL's weekend numbers: the days off, as a mask of working days from Monday
_WEEKEND_CODES = {1: "1111100", 2: "0111110", 3: "0011111", 4: "1001111", 5: "1100111", 6: "1110011", 7: "1111001",
                  11: "1111110", 12: "0111111", 13: "1011111", 14: "1101111", 15: "1110111", 16: "1111011",
                  17: "1111101"}


def weekend_mask(weekend: Val):
    """The working days (a numpy weekmask, Monday first) of WORKDAY.INTL's ``weekend``: a number
    of :data:`_WEEKEND_CODES` (another number is #NUM!), or seven characters 0/1 from Monday, 1
    for a day off ("0000011"; another text, or seven days off, is #VALUE!); or the error."""
    if weekend.shape != (1, 1):
        return E_VALUE
    b = weekend.block
    kind = b.kind[0, 0]
    if kind == ERR:
        return b.obj[0, 0]
    if kind == STR:
        text = str(b.obj[0, 0])
        if len(text) != 7 or set(text) - {"0", "1"} or text == "1111111":
            return E_VALUE
        return "".join("1" if c == "0" else "0" for c in text)
    if kind == EMPTY:
        return _WEEKDAYS
    return _WEEKEND_CODES.get(int(np.trunc(b.num[0, 0])), E_NUM)


@builtin("WORKDAY", lazy=True)
def workday(args: list[Thunk], ctx: Ctx) -> Val:
    """WORKDAY for the run of ``ctx`` (lazy: the holidays argument's tree is looked at before it is evaluated)."""
    if not 2 <= len(args) <= 3:
        return Val(Block.errors((1, 1), E_VALUE))
    return _workday(args[0], args[1], _WEEKDAYS, args[2] if len(args) == 3 else None, ctx)


@builtin("WORKDAY.INTL", lazy=True)
def workday_intl(args: list[Thunk], ctx: Ctx) -> Val:
    """WORKDAY.INTL(start, days, [weekend], [holidays]): WORKDAY with the days off of ``weekend``
    (:func:`weekend_mask`; omitted, Saturday and Sunday); the weekend's error comes after the
    start's and the days'."""
    if not 2 <= len(args) <= 4:
        return Val(Block.errors((1, 1), E_VALUE))
    weekmask = _WEEKDAYS
    if len(args) > 2 and not args[2].omitted:
        weekend = args[2]()
        if weekend.per_row:
            raise NotVectorisable("WORKDAY.INTL weekend varying by row")
        weekmask = weekend_mask(weekend)
    return _workday(args[0], args[1], weekmask, args[3] if len(args) == 4 else None, ctx)


def _workday(start_arg: Thunk, days_arg: Thunk, weekmask, holidays_arg: Thunk | None, ctx: Ctx) -> Val:
    start, days = start_arg(), days_arg()
    if start.shape != (1, 1) and not start.per_row or days.shape != (1, 1) and not days.per_row:
        raise NotVectorisable("WORKDAY over an array")
    if isinstance(weekmask, XlError):       # the weekend's error, after the start's and the days'
        for v in (start, days):
            if not v.per_row and v.block.kind[0, 0] == ERR:
                return v
        if start.per_row or days.per_row:
            raise NotVectorisable("WORKDAY.INTL with a bad weekend over a run")
        return Val(Block.errors((1, 1), weekmask))
    if holidays_arg is not None and not holidays_arg.omitted:
        group, blocks, hol_errors = _holiday_blocks(holidays_arg, ctx)
    else:
        group, blocks, hol_errors = np.zeros(1, dtype=np.intp), [Block.numbers(np.zeros((0, 1)))], _NO_ERRORS
    per_row = start.per_row or days.per_row or len(group) > 1
    n = ctx.n if per_row else 1
    s_num, s_mask, s_err = co.to_numbers(start.block)
    d_num, d_mask, d_err = co.to_numbers(days.block)
    s_num, d_num = np.broadcast_to(s_num.reshape(-1), n), np.broadcast_to(np.trunc(d_num.reshape(-1)), n)
    group = np.broadcast_to(group, n)
    shift = SHIFT_1904 if ctx.book.model.date1904 else 0
    s_num = s_num + shift
    usable = np.isfinite(s_num) & (s_num >= 0) & (np.abs(d_num) <= (LAST_DATE - FIRST_DATE).astype("int64"))
    anchor = serial_to_datetime64(np.where(usable, s_num, 0.0))
    due = np.full(n, np.nan)
    block_errors = np.full(len(blocks), None, dtype=object)
    for g, b in enumerate(blocks):
        holidays, block_errors[g] = _holiday_dates(b, shift)
        rows = (group == g) & usable
        if block_errors[g] is None and rows.any():
            calendar = np.busdaycalendar(weekmask=weekmask, holidays=holidays)
            due[rows] = datetime64_to_serial(step_workdays(anchor[rows], d_num[rows], calendar)) - shift
    if shift:
        due[due < 0] = np.nan           # before 1904-01-01: no date of the workbook (#NUM!)
    row_block_error = block_errors[group]
    errors = co.first_errors(
        (_flat(s_mask, n), _flat(s_err, n)), (_flat(d_mask, n), _flat(d_err, n)),
        (_flat(hol_errors[0], n), _flat(hol_errors[1], n)),
        (~np.equal(row_block_error, None), row_block_error),
        (np.isnan(due), np.full(n, E_NUM, dtype=object)),
    )
    if errors is None:
        return Val(Block.numbers(due.reshape(-1, 1)), per_row)
    return Val(co.number_block(due.reshape(-1, 1), (errors[0].reshape(-1, 1), errors[1].reshape(-1, 1))), per_row)


def _flat(a: np.ndarray | None, n: int) -> np.ndarray | None:
    return None if a is None else np.broadcast_to(a.reshape(-1), n)


def _holiday_blocks(arg: Thunk, ctx: Ctx) -> tuple[np.ndarray, list[Block], tuple]:
    """(block index per row, the distinct holiday blocks, (error mask, errors) per row or (None, None))."""
    from ilt_xl.engine.functions_dispatch import normalise_name

    node: Node | None = arg.node
    ends = node.args if node is not None and node.kind == "op" and node.value == ":" else ()
    if len(ends) == 2 and all(e.kind == "fn" and normalise_name(e.value) == "INDEX" and len(e.args) == 2 for e in ends):
        areas = [evaluate(e.args[0], ctx) for e in ends]
        a, b = areas
        if a.ref is not None and not a.per_row and a.identity == b.identity and a.shape[1] == 1:
            return _blocks_of_column(a, [evaluate(e.args[1], ctx) for e in ends], ctx)
    value = arg()
    if value.per_row:
        raise NotVectorisable("WORKDAY holidays varying by row")
    return np.zeros(1, dtype=np.intp), [value.block], _NO_ERRORS


def _blocks_of_column(column: Val, positions: list[Val], ctx: Ctx) -> tuple[np.ndarray, list[Block], tuple]:
    """Each row's rows lo..hi of ``column`` (1-based, either order), grouped by (lo, hi)."""
    height = column.shape[0]
    parts = [co.to_numbers(p.block) for p in positions]
    n = max(p.shape[0] for p in positions)
    lo_hi = np.stack([np.broadcast_to(np.trunc(num.reshape(-1)), n) for num, _, _ in parts])
    lo, hi = lo_hi.min(axis=0), lo_hi.max(axis=0)
    errors = co.first_errors(*[(_flat(m, n), _flat(e, n)) for _, m, e in parts if m is not None],
                             ((lo < 1) | (hi > height), np.full(n, E_REF, dtype=object)))
    bad = errors[0] if errors else np.zeros(n, dtype=bool)
    pairs, group = np.unique(np.stack([np.where(bad, 1, lo), np.where(bad, 1, hi)], axis=1).astype(np.int64),
                             axis=0, return_inverse=True)
    blocks = [column.block.take(slice(int(l) - 1, int(h))) for l, h in pairs]
    return group.reshape(-1), blocks, (errors if errors else _NO_ERRORS)


def _holiday_dates(b: Block, shift: float) -> tuple[np.ndarray, object]:
    """(the holidays of a block as datetime64[D], None) or (empty, the Excel error they give);
    ``shift`` moves the block's serials into the 1900 system."""
    kind = b.kind.reshape(-1)
    errs = kind == ERR
    if errs.any():
        return np.array([], dtype="datetime64[D]"), b.obj.reshape(-1)[np.argmax(errs)]
    if ((kind != NUM) & (kind != EMPTY)).any():
        return np.array([], dtype="datetime64[D]"), E_VALUE
    serials = b.num.reshape(-1)[kind == NUM] + shift
    return serial_to_datetime64(serials[serials >= 1]), None
