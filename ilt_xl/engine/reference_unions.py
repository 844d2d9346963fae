"""Reference unions, ``(A1:A2,C1:C2)``, as the functions that take them read them.

A union is one reference of several areas (a defined name such as a print area is often one).
Excel's functions whose arguments are lists of values (SUM, COUNT, MAX, STDEV, SUBTOTAL ...) read
it as if each area were an argument of its own; those taking one array (LARGE, SMALL, PERCENTILE,
QUARTILE, RANK's ref) read all its cells; INDEX picks an area by its area_num and ROWS/COLUMNS
give #REF! (they are written where they read it); COUNTIF and its kin, which need one area, give
#VALUE!. Any other function sees the union's value, #VALUE!, as Excel shows for a union where one
value is expected (a cell ``=(A1,B1)``).
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine.evaluator import Val
from ilt_xl.engine.values import Block, E_VALUE

# the position from which each argument is a value list (``number1, [number2], ...``)
_SPREAD_FROM = dict.fromkeys(
    ("SUM", "SUMSQ", "COUNT", "COUNTA", "AVERAGE", "AVERAGEA", "MAX", "MAXA", "MIN", "MINA", "PRODUCT", "MEDIAN",
     "MODE", "MODE.SNGL", "MODE.MULT", "STDEV", "STDEV.S", "STDEV.P", "STDEVA", "STDEVP", "STDEVPA", "VAR", "VAR.S",
     "VAR.P", "VARA", "VARP", "VARPA", "GEOMEAN", "HARMEAN", "AVEDEV", "DEVSQ", "KURT", "SKEW", "SKEW.P"), 0)
_SPREAD_FROM["SUBTOTAL"] = 1
# the position of the one array argument that may be a union
_ALL_CELLS_AT = dict.fromkeys(("LARGE", "SMALL", "PERCENTILE", "PERCENTILE.INC", "PERCENTILE.EXC", "QUARTILE",
                               "QUARTILE.INC", "QUARTILE.EXC", "PERCENTRANK", "PERCENTRANK.INC",
                               "PERCENTRANK.EXC"), 0)
_ALL_CELLS_AT.update(dict.fromkeys(("RANK", "RANK.EQ", "RANK.AVG"), 1))
# functions whose ranges must be single areas: a union gives #VALUE!
_ONE_AREA = {"COUNTIF", "COUNTIFS", "SUMIF", "SUMIFS", "AVERAGEIF", "AVERAGEIFS", "MINIFS", "MAXIFS", "COUNTBLANK"}


def read_unions(name: str, args: list[Val]) -> list[Val] | Val:
    """The arguments of the function ``name`` with its unions read as it reads them, or the
    function's value when a union decides it (#VALUE! where one area is required)."""
    if not any(a.areas is not None for a in args):
        return args
    if name in _ONE_AREA:
        return Val(Block.errors((1, 1), E_VALUE))
    start = _SPREAD_FROM.get(name)
    if start is not None:
        out: list[Val] = []
        for i, a in enumerate(args):
            out += list(a.areas) if a.areas is not None and i >= start else [a]
        return out
    at = _ALL_CELLS_AT.get(name)
    if at is not None and at < len(args) and args[at].areas is not None:
        return [*args[:at], all_cells(args[at]), *args[at + 1:]]
    return args


def all_cells(union: Val) -> Val:
    """The values of every cell of a union's areas, area after area (each row by row), as one column."""
    blocks = [a.block for a in union.areas]
    kind = np.concatenate([b.kind.ravel() for b in blocks]).reshape(-1, 1)
    num = np.concatenate([b.num.ravel() for b in blocks]).reshape(-1, 1)
    obj = np.concatenate([b.obj.ravel() for b in blocks]).reshape(-1, 1)
    return Val(Block(kind, num, obj))
