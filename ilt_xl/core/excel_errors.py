"""Excel error values as the strings Excel shows, and helpers to spot them.

Worksheet functions return these strings in place of a bad element rather than
raising, so one bad row never spoils a whole column.
"""
from __future__ import annotations

import numpy as np

NA = "#N/A"
VALUE = "#VALUE!"
DIV0 = "#DIV/0!"
NUM = "#NUM!"
REF = "#REF!"
NAME = "#NAME?"
NULL = "#NULL!"

ALL = (NULL, DIV0, VALUE, REF, NAME, NUM, NA)


def is_error(value: object) -> bool:
    """True when ``value`` is one of Excel's error strings."""
    return isinstance(value, str) and value in ALL


def error_mask(values: np.ndarray) -> np.ndarray:
    """Boolean array, True where an element of ``values`` is an Excel error string."""
    values = np.asarray(values, dtype=object)
    return np.isin(values, ALL)
