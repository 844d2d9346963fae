"""Worksheet function ILT_ALLOCATE: an exact largest-remainder split of a total."""
from __future__ import annotations

import numpy as np

from ilt_xl.core import excel_errors as xe
from ilt_xl.core.rounding import countable, from_minor, largest_remainder, to_minor
from ilt_xl.functions.arguments import coerce_number
from ilt_xl.functions.registry import Arg, worksheet_function

# ROUND-style decimals beyond these would overflow the int64 minor units.
_DECIMALS_RANGE = (-9, 9)


@worksheet_function(
    "ILT_ALLOCATE",
    category="allocation",
    description=(
        "Splits total over weights by largest remainder at decimals places; the parts sum exactly to "
        "ROUND(total, decimals), ties go to the earliest element. All-zero weights give #DIV/0!, a negative "
        "or non-numeric weight #VALUE! (in every cell)."
    ),
    args=[
        Arg("total", "number", "the amount to split"),
        Arg("weights", "range", "a range of weights >= 0 (blanks count 0); the result has its shape"),
        Arg("decimals", "number", "decimal places of the parts, as in ROUND", default=2),
    ],
    returns="number",
    spills=True,
)
def ilt_allocate(total: float, weights: np.ndarray | None, decimals: float):
    if weights is None:
        return xe.VALUE
    values, errors = coerce_number(weights)
    places = int(np.trunc(decimals))
    failure = next((e for e in errors.reshape(-1) if e is not None), None)
    if failure is None and (values < 0).any():
        failure = xe.VALUE
    if failure is None and not (values > 0).any():
        failure = xe.DIV0
    if failure is None and not (_DECIMALS_RANGE[0] <= places <= _DECIMALS_RANGE[1] and countable(total, places)):
        failure = xe.NUM   # decimals out of range, or a total too large to count in those units
    if failure is not None:
        return np.full(weights.shape, failure, dtype=object)
    units = largest_remainder(int(to_minor(total, places)), values.reshape(-1))
    return from_minor(units, places).reshape(weights.shape).astype(object)
