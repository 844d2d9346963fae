"""A per-cell sequence whose values repeat, held as an int32 code per cell into the distinct values.

A calculated column repeats one formula text (and one ``<f>`` element) on every row: as a list,
the 10 million formula cells of a 200,000-session planner cost 8 bytes a cell per such list
(texts, array refs, attributes), 80 MB each, and as many again while they were built. Here a
cell costs its code (4 bytes), and codes can be shared between sequences of the same cells.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

_BATCH = 1 << 16     # codes turned into Python ints at a time while iterating


def code_type(distinct: int) -> type:
    """The narrowest integer type of codes into ``distinct`` values (a calculated column's cells
    take one byte each, not four)."""
    return np.uint8 if distinct <= 1 << 8 else np.uint16 if distinct <= 1 << 16 else np.int32


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values)``: a code per value, in order of first appearance, and the
    distinct values. pandas is imported on the first call, not with this module: the sheet scan
    groups with it only on its numpy paths (no compiled locator, colliding keys), and the command
    line forks the load's helper (second_core) once the scan's modules are imported, so that the
    helper scans while this process imports pandas (0.25-0.35 s) and the rest of the command."""
    import pandas as pd

    return pd.factorize(values)


class CodedValues(Sequence):
    """``distinct[codes[i]]`` for each cell ``i``: a read-only sequence (``len``, indexing,
    iteration, ``count``, equality with any sequence of the same values)."""

    __slots__ = ("codes", "distinct")

    def __init__(self, codes: np.ndarray, distinct: list) -> None:
        self.codes = np.asarray(codes)      # of any integer type (code_type: as narrow as will do)
        self.distinct = distinct

    @classmethod
    def of(cls, values: Sequence) -> CodedValues:
        """Each cell a code of its own (for the few cells of the careful path and tests)."""
        return cls(np.arange(len(values), dtype=np.int32), list(values))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.distinct[k] for k in self.codes[i].tolist()]
        return self.distinct[self.codes[i]]

    def __iter__(self) -> Iterator:
        get = self.distinct.__getitem__
        for a in range(0, len(self.codes), _BATCH):
            yield from map(get, self.codes[a:a + _BATCH].tolist())

    def __eq__(self, other) -> bool:
        if isinstance(other, CodedValues):
            return len(self) == len(other) and list(self) == list(other)
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None

    def count(self, value) -> int:
        """How many cells hold ``value`` (counted once per distinct value)."""
        counts = self.counts()
        return int(sum(counts[k] for k, v in enumerate(self.distinct) if v == value))

    def counts(self) -> np.ndarray:
        """Cells per distinct value."""
        return np.bincount(self.codes, minlength=len(self.distinct)) if len(self.codes) else np.zeros(len(self.distinct), np.int64)

    def used(self) -> list:
        """The distinct values some cell holds."""
        return [self.distinct[k] for k in np.flatnonzero(self.counts()).tolist()]

    def __repr__(self) -> str:
        return f"CodedValues({len(self)} cells, {len(self.distinct)} distinct)"


def distinct_codes(values: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(code per cell, the distinct values as an object array) of ``values`` (a list, whose cells
    then each get a code of their own, or :class:`CodedValues`). Equal codes mean equal values;
    equal values may have different codes."""
    coded = values if isinstance(values, CodedValues) else CodedValues.of(values)
    return coded.codes, _objects(coded.distinct)


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
