"""Implicit intersection in a plain formula: a range where a function takes one value.

A formula that is not an array formula (no ``t="array"`` in the file, the kind Excel 365 shows
with ``@``) gives a function parameter that takes one value the cell of a multi-cell range on
the formula's own row (a one-column range), own column (a one-row range), or both (a block);
#VALUE! when the range does not cross them. The function then sees that one value: in row 7,
``ISERR(B7:D7)`` written in column AF is ``ISERR(#VALUE!)``, TRUE; ``IFERROR(C6:D6,Q6)`` in AF6
gives Q6; ``LEN(B5:B9)`` in row 6 is ``LEN(B6)``. Operators in that position take one value too
(``ISERR(B7:F7*C7)``). Parameters that take ranges or arrays (SUM's, SUMPRODUCT's, a lookup's
table, a criteria range) see the whole range, and so does everything below them: inside
SUMPRODUCT, ``LEN(A1:A3)`` is applied to each cell.

:func:`plain_formula_tree` marks those arguments with the ``@`` operator (Excel's own spelling of
the rule), so the evaluator applies it; :func:`intersect` is that operator over a run of rows.
"""
from __future__ import annotations

import functools

import numpy as np

from ilt_xl.engine.evaluator import Ctx, Val, implicit_intersection
from ilt_xl.engine.formula_tree import Node, parse_formula
from ilt_xl.engine.function_args import RANGE_OPS, normalise_name
from ilt_xl.engine.values import EMPTY, ERR, Block, E_VALUE

_ALL = "all"
# a function: the positions of its parameters that take one value (_ALL: every parameter), or a
# predicate on the position. Functions not listed keep every argument whole (the safe default:
# the result is then intersected only at the end, as before).
_ONE_VALUE: dict[str, object] = {}


def _every(*names: str) -> None:
    for name in names:
        _ONE_VALUE[name] = _ALL


_every(  # mathematics
    "ABS", "ACOS", "ACOSH", "ACOT", "ACOTH", "ARABIC", "ASIN", "ASINH", "ATAN", "ATAN2", "ATANH", "BASE",
    "CEILING", "CEILING.MATH", "CEILING.PRECISE", "COMBIN", "COMBINA", "COS", "COSH", "COT", "COTH", "CSC", "CSCH",
    "DECIMAL", "DEGREES", "EVEN", "EXP", "FACT", "FACTDOUBLE", "FLOOR", "FLOOR.MATH", "FLOOR.PRECISE", "INT",
    "ISO.CEILING", "LN", "LOG", "LOG10", "MOD", "MROUND", "ODD", "POWER", "QUOTIENT", "RADIANS", "RANDBETWEEN",
    "ROMAN", "ROUND", "ROUNDDOWN", "ROUNDUP", "SEC", "SECH", "SIGN", "SIN", "SINH", "SQRT", "SQRTPI", "TAN",
    "TANH", "TRUNC")
_every(  # text
    "CHAR", "CLEAN", "CODE", "CONCATENATE", "DOLLAR", "EXACT", "FIND", "FINDB", "FIXED", "LEFT", "LEFTB", "LEN",
    "LENB", "LOWER", "MID", "MIDB", "NUMBERVALUE", "PROPER", "REPLACE", "REPLACEB", "REPT", "RIGHT", "RIGHTB",
    "SEARCH", "SEARCHB", "SUBSTITUTE", "TEXT", "TRIM", "UNICHAR", "UNICODE", "UPPER", "USDOLLAR", "VALUE",
    "HYPERLINK")
_every(  # dates and times
    "DATE", "DATEDIF", "DATEVALUE", "DAY", "DAYS", "DAYS360", "EDATE", "EOMONTH", "HOUR", "ISOWEEKNUM", "MINUTE",
    "MONTH", "SECOND", "TIME", "TIMEVALUE", "WEEKDAY", "WEEKNUM", "YEAR", "YEARFRAC")
_every(  # information and logic
    "ISBLANK", "ISERR", "ISERROR", "ISEVEN", "ISLOGICAL", "ISNA", "ISNONTEXT", "ISNUMBER", "ISODD", "ISTEXT",
    "ERROR.TYPE", "NOT", "IFERROR", "IFNA", "IFS", "SWITCH", "ADDRESS")
_every(  # financial: every parameter a number or a date
    "FV", "PV", "PMT", "IPMT", "PPMT", "NPER", "RATE", "CUMIPMT", "CUMPRINC", "DB", "DDB", "SLN", "SYD", "VDB",
    "EFFECT", "NOMINAL", "ISPMT", "PDURATION", "RRI", "DOLLARDE", "DOLLARFR", "TBILLEQ", "TBILLPRICE",
    "TBILLYIELD", "ACCRINT", "ACCRINTM", "COUPDAYBS", "COUPDAYS", "COUPDAYSNC", "COUPNCD", "COUPNUM", "COUPPCD",
    "DISC", "DURATION", "MDURATION", "INTRATE", "PRICE", "PRICEDISC", "PRICEMAT", "RECEIVED", "YIELD",
    "YIELDDISC", "YIELDMAT")
_every(  # statistical distributions
    "NORM.DIST", "NORM.INV", "NORM.S.DIST", "NORM.S.INV", "NORMDIST", "NORMINV", "NORMSDIST", "NORMSINV",
    "LOGNORM.DIST", "LOGNORM.INV", "LOGNORMDIST", "LOGINV", "EXPON.DIST", "EXPONDIST", "GAMMA.DIST", "GAMMA.INV",
    "GAMMADIST", "GAMMAINV", "GAMMALN", "GAMMALN.PRECISE", "GAMMA", "BETA.DIST", "BETA.INV", "BETADIST",
    "BETAINV", "BINOM.DIST", "BINOMDIST", "BINOM.DIST.RANGE", "BINOM.INV", "CRITBINOM", "NEGBINOM.DIST", "NEGBINOMDIST",
    "POISSON.DIST", "POISSON", "T.DIST", "T.DIST.2T", "T.DIST.RT", "TDIST", "T.INV", "T.INV.2T", "TINV",
    "CHISQ.DIST", "CHISQ.DIST.RT", "CHIDIST", "CHISQ.INV", "CHISQ.INV.RT", "CHIINV", "F.DIST", "F.DIST.RT",
    "FDIST", "F.INV", "F.INV.RT", "FINV", "WEIBULL", "WEIBULL.DIST", "CONFIDENCE", "CONFIDENCE.NORM",
    "CONFIDENCE.T", "STANDARDIZE", "FISHER", "FISHERINV", "PERMUT", "PERMUTATIONA", "PHI", "GAUSS",
    "HYPGEOM.DIST", "HYPGEOMDIST")
_ONE_VALUE.update({
    "IF": (0,), "CHOOSE": (0,),
    "NPV": (0,), "XNPV": (0,), "IRR": (1,), "XIRR": (2,), "MIRR": (1, 2), "FVSCHEDULE": (0,),
    "SERIESSUM": (0, 1, 2),
    "FORECAST": (0,), "FORECAST.LINEAR": (0,),
    "LARGE": (1,), "SMALL": (1,), "PERCENTILE": (1,), "PERCENTILE.INC": (1,), "PERCENTILE.EXC": (1,),
    "QUARTILE": (1,), "QUARTILE.INC": (1,), "QUARTILE.EXC": (1,), "TRIMMEAN": (1,),
    "PERCENTRANK": (1, 2), "PERCENTRANK.INC": (1, 2), "PERCENTRANK.EXC": (1, 2),
    "RANK": (0, 2), "RANK.EQ": (0, 2), "RANK.AVG": (0, 2),
    "VLOOKUP": (0, 2, 3), "HLOOKUP": (0, 2, 3), "MATCH": (0, 2), "LOOKUP": (0,), "INDEX": (1, 2, 3),
    "OFFSET": (1, 2, 3, 4),
    **{name: (1,) for name in ("DAVERAGE", "DCOUNT", "DCOUNTA", "DGET", "DMAX", "DMIN", "DPRODUCT", "DSTDEV",
                               "DSTDEVP", "DSUM", "DVAR", "DVARP")},      # a database function's field
    "NETWORKDAYS": (0, 1), "NETWORKDAYS.INTL": (0, 1, 2), "WORKDAY": (0, 1), "WORKDAY.INTL": (0, 1, 2),
    # criteria: COUNTIF(range, criteria), SUMIF(range, criteria, [sum_range]), and the pairs of the *IFS
    "COUNTIF": (1,), "SUMIF": (1,), "AVERAGEIF": (1,),
    "COUNTIFS": lambda i: i % 2 == 1,
    "SUMIFS": lambda i: i >= 2 and i % 2 == 0, "AVERAGEIFS": lambda i: i >= 2 and i % 2 == 0,
    "MAXIFS": lambda i: i >= 2 and i % 2 == 0, "MINIFS": lambda i: i >= 2 and i % 2 == 0,
})
# operators whose operands take one value each in a plain formula
_VALUE_OPS = {"+", "-", "*", "/", "^", "&", "=", "<>", "<", "<=", ">", ">=", "u-", "u+", "%"}
# nodes that can give a multi-cell reference (a function giving a reference: INDEX, OFFSET...)
_GIVE_AREAS = {"INDEX", "OFFSET", "INDIRECT"}


def _takes_one_value(name: str, i: int) -> bool:
    rule = _ONE_VALUE.get(name)
    if rule is None:
        return False
    if rule is _ALL:
        return True
    if callable(rule):
        return rule(i)
    return i in rule


def _may_be_area(node: Node) -> bool:
    if node.kind == "ref":
        ref = node.value
        return ref.r0 != ref.r1 or ref.c0 != ref.c1
    if node.kind == "name":
        return True
    if node.kind == "op":
        return node.value in RANGE_OPS
    return node.kind == "fn" and normalise_name(node.value) in _GIVE_AREAS


def _one_value(node: Node) -> Node:
    """``node`` in a place that takes one value: an area is intersected (``@``), an operator's
    operands are in such a place too, and so are a function's one-value parameters."""
    if _may_be_area(node):
        return Node("op", "@", (node,))
    return _mark(node)


def _mark(node: Node) -> Node:
    """``node`` with the one-value places below it marked (``node`` itself when none is)."""
    if node.kind == "op" and node.value in _VALUE_OPS:
        args = tuple(_one_value(a) for a in node.args)
    elif node.kind == "fn":
        name = normalise_name(node.value)
        if name not in _ONE_VALUE:
            return node
        args = tuple(_one_value(a) if _takes_one_value(name, i) and a.kind != "empty" else a
                     for i, a in enumerate(node.args))
    else:
        return node
    if all(a is b for a, b in zip(args, node.args)):
        return node
    return Node(node.kind, node.value, args)


@functools.lru_cache(maxsize=65536)
def plain_formula_tree(text: str) -> Node:
    """The tree of a plain (not array) formula ``text``: :func:`parse_formula`'s, with the
    arguments Excel intersects with the formula's cell marked by ``@``. The same object as
    ``parse_formula(text)`` when there are none (most formulas)."""
    tree = parse_formula(text)
    return _mark(tree) if tree.kind in ("op", "fn") else tree


def intersect(val: Val, ctx: Ctx) -> Val:
    """``@``: the value on the formula's row and column of a multi-cell reference, for every row
    of the run (a one-column area varies by row; a one-row area is the same value for all);
    #VALUE! where the area does not cross them. An array that is no reference gives its first
    element; one value stays as it is."""
    if val.per_row or val.shape == (1, 1):
        return val
    area = val.ref if val.ref is not None else val.origin
    if ctx.n == 1 or area is None:
        return Val(implicit_intersection(val, int(ctx.rows[0]), ctx.col))
    _, r0, c0, r1, c1 = area
    if r0 == r1:                                        # one row: the formula's column, whatever the row
        return Val(implicit_intersection(val, r0, ctx.col))
    col = 0 if c0 == c1 else ctx.col - c0
    if not 0 <= col <= c1 - c0:
        return Val(Block.errors((1, 1), E_VALUE))
    b = val.block
    offset = ctx.rows - r0
    inside = (offset >= 0) & (offset <= r1 + val.tail - r0)
    read = inside & (offset < b.shape[0])               # rows below a whole column's used rows are empty
    at = np.where(read, offset, 0)
    kind = np.where(read, b.kind[at, col], EMPTY).astype(np.int8)
    num = np.where(read, b.num[at, col], 0.0)
    obj = np.where(read, b.obj[at, col], None)
    kind[~inside], obj[~inside] = ERR, E_VALUE
    n = ctx.n
    return Val(Block(kind.reshape(n, 1), num.reshape(n, 1), obj.reshape(n, 1)), True)
