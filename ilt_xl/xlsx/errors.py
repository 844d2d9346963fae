"""The one exception for a file that cannot be used as a workbook at all.

Problems *inside* a readable workbook (a bad value, a missing column) are
:class:`ilt_xl.workbook.problems.Problem` rows, not exceptions; this is for the
file itself: not a workbook, corrupt, encrypted or unsafe.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WorkbookError(Exception):
    """A file that cannot be opened as an .xlsx workbook.

    ``file`` is the path as given, ``reason`` one sentence a user can act on;
    ``str(error)`` is ``"FILE: REASON"``.
    """

    def __init__(self, file: str | Path, reason: str) -> None:
        self.file = str(file)
        self.reason = reason
        super().__init__(f"{self.file}: {reason}")

    def __reduce__(self):   # rebuilt from file and reason when it comes back from a worker process
        return type(self), (self.file, self.reason)


@contextmanager
def named_as(source: str | Path, staged: str | Path) -> Iterator[None]:
    """Re-raise a :class:`WorkbookError` about ``staged``, a copy a command made of ``source`` in a
    hidden staging folder, as an error about ``source``: the user knows the file they gave."""
    try:
        yield
    except WorkbookError as exc:
        if Path(exc.file) != Path(staged):
            raise
        raise WorkbookError(source, exc.reason) from None
