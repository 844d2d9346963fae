"""A workbook's memo of work done on values read straight from cells (keys, groups, lookup
positions, comparisons), shared by every run that reads the same cells: the built-ins and the
operators keep what they derive from a column or a range here (``Book.lookup_cache``)."""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.evaluator import Ctx, Val


def memoised(ctx: Ctx, what: str | tuple, vals: tuple[Val, ...], build):
    """Per-workbook memo of work on values read straight from cells (keys, indexes, lookup
    positions), keyed on what they were read from (:attr:`Val.identity`). Cells are final once read,
    since the runs writing them were evaluated first; cycles switch the memo off
    (``book.lookup_cache = None``) as their cells change while they are evaluated. Memoised arrays
    are made read-only, so that a caller changing one in place fails instead of corrupting it."""
    ids = tuple(v.identity for v in vals)
    if ctx.book.lookup_cache is None or None in ids:
        return build()
    key = (what, ids)
    hit = ctx.book.lookup_cache.get(key)
    if hit is None:
        hit = ctx.book.lookup_cache[key] = _read_only(build())
    return hit


def _read_only(hit):
    for part in hit if isinstance(hit, tuple) else (hit,):
        if isinstance(part, np.ndarray):
            part.setflags(write=False)
    return hit


def memoised_per_row(ctx: Ctx, what: str, val: Val, build, take):
    """:func:`memoised` of what is read row by row from one per-row value (``build()``: one element
    per row, in arrays). When ``val`` is a column over some rows of a run (a lazy IF branch's:
    ``[@SessionId]`` where ``[@Status]="Cancelled"``) and the same column was memoised over
    consecutive rows holding them all (the whole run, by another column), the rows' part is taken
    from that (``take(whole, positions)``) instead of built again."""
    ident = val.identity
    cache = ctx.book.lookup_cache
    if cache is None or ident is None or ident[0] != "rows":
        return memoised(ctx, what, (val,), build)
    key = (what, (ident,))
    hit = cache.get(key)
    if hit is not None:
        return hit
    sheet, r0, c, r1 = ident[1:5]
    spans = cache.setdefault(("spans", what, sheet, c), [])
    if len(ident) > 5:          # some rows: a span holding them all?
        whole = next(((s0, s1) for s0, s1 in spans if s0 <= r0 and r1 <= s1), None)
        if whole is not None:
            hit = take(cache[(what, (("rows", sheet, whole[0], c, whole[1]),))],
                       np.frombuffer(ident[5], np.int64) - whole[0])
    cache[key] = hit = _read_only(hit if hit is not None else build())
    if len(ident) == 5:         # consecutive rows: others may take theirs from it
        spans.append((r0, r1))
    return hit
