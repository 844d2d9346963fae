"""What each row's criterion of a per-row *IFS criterion asks: a plain equality, or a comparison
with a number (``"<="&[@StartDate]``), read once per distinct text.

A calculated column's criterion built per row has no cells to memoise on, and its 20,000 texts
repeat ~1,000 distinct dates: the hash and binary-search paths of ``builtins.conditional`` both
need to know, row by row, which form it has. One factorisation and one Python pass over the
distinct texts answer both (they were two of each). The forms follow ``criterion_mask``, the
reference scan: a text with an operator is never a plain equality; "TRUE"/"FALSE", error texts
and wildcards go to the scan.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ilt_xl.engine.ranked_counts import OPERATORS
from ilt_xl.engine.values import BOOL, EMPTY, ERRORS, NUM, STR, Block

_TWO_CHARACTER_OPERATORS = ("<=", ">=", "<>")
_NEITHER = (False, -1, 0.0)


class CriterionForms(NamedTuple):
    """Per row: ``plain`` (an equality the hash path answers), ``ops`` (index in
    :data:`~ilt_xl.engine.ranked_counts.OPERATORS` of a comparison with a number, else -1) and
    ``bounds`` (that number, else 0)."""

    plain: np.ndarray
    ops: np.ndarray
    bounds: np.ndarray


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text or "~" in text


def text_form(u) -> tuple[bool, int, float]:
    """(plain equality, operator index or -1, bound) of one criterion text, as ``criterion_mask``
    reads it: the operator is the longest of ``<= >= <> = < >`` the text starts with."""
    if not isinstance(u, str) or u == "":
        return _NEITHER
    if u[0] in "<>=":
        op = u[:2] if u[:2] in _TWO_CHARACTER_OPERATORS else u[0]
        if op not in OPERATORS:
            return _NEITHER
        try:
            bound = float(u[len(op):])
        except ValueError:
            return _NEITHER
        return _NEITHER if bound != bound else (False, OPERATORS.index(op), bound)
    # "TRUE"/"FALSE" match booleans, "#N/A" the error: the scan reads those
    plain = not has_wildcard(u) and u.upper() not in ("TRUE", "FALSE") and u not in ERRORS
    return plain, -1, 0.0


_NOT_PLAIN_START = frozenset(("", "<", ">", "="))
_BOOLEAN_TEXTS = frozenset(("TRUE", "FALSE"))


def plain_texts(texts: list) -> np.ndarray:
    """Per text, whether it is a plain equality (``text_form``'s first element), in one pass
    without a call per text: ids and names, the common criteria, are all plain."""
    return np.array([isinstance(u, str) and u[:1] not in _NOT_PLAIN_START and "*" not in u and "?" not in u
                     and "~" not in u and u.upper() not in _BOOLEAN_TEXTS and u not in ERRORS for u in texts], bool)


def criterion_forms(b: Block) -> CriterionForms:
    """The forms of a per-row criterion block (one column). An empty cell is a plain equality: it
    matches what 0 matches. Only the texts that are no plain equality are read by ``text_form``."""
    k = b.kind[:, 0]
    codes, distinct = pd.factorize(np.where(k == STR, b.obj[:, 0], None), use_na_sentinel=True)
    texts = distinct.tolist()
    plain = np.zeros(len(texts) + 1, bool)      # last: code -1, not a text
    ops = np.full(len(texts) + 1, -1, np.int8)
    bounds = np.zeros(len(texts) + 1)
    plain[:-1] = plain_texts(texts)
    others = np.flatnonzero(~plain[:-1])
    if len(others):
        forms = [text_form(texts[i]) for i in others.tolist()]
        ops[others] = [f[1] for f in forms]
        bounds[others] = [f[2] for f in forms]
    return CriterionForms((k == NUM) | (k == BOOL) | (k == EMPTY) | plain[codes], ops[codes], bounds[codes])
