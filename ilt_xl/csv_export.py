"""CSV exports that a spreadsheet cannot run: cells that begin like a formula are escaped.

A CSV opened in Excel or LibreOffice turns a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return into a formula (OWASP "CSV injection": ``=HYPERLINK(...)``, ``=cmd|...``).
Every text cell that begins so is written with a leading apostrophe, which spreadsheets show as
plain text; numbers stay numbers (a negative change is still ``-12.5``). Files are written
atomically (:mod:`ilt_xl.atomic_write`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ilt_xl.atomic_write import atomic_target

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """``value`` as a CSV cell may hold it: text beginning like a formula gets a leading ``'``."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell neutralised (numeric columns untouched)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)
                or pd.api.types.is_datetime64_any_dtype(column.dtype)):
            out[name] = column.map(neutralised).astype(object)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (no index) to ``path`` atomically, formula-like text escaped."""
    path = Path(path)
    with atomic_target(path) as temp:
        safe_frame(frame).to_csv(temp, index=False)
    return path
