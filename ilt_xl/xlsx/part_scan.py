"""One streamed pass over a worksheet part: how far its cells with content reach, its merged
ranges, and whether its XML is well-formed.

The reader needs these three facts of every sheet it reads. A 200,000-session planner's Sessions
part inflates to a gigabyte: reading it whole for each fact (as the reader once did, three times)
took three gigabytes at the peak. Here the part is inflated in pieces of a few megabytes, each
piece cut at its last ``<`` so no tag is split, and fed to expat and a few regular expressions.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ilt_xl.xlsx.cells import column_index
from ilt_xl.xlsx.safezip import XmlCheck

# A cell with content: an opening <c> tag that is not self-closed (a formatted empty cell, even at
# XFD1048576, is <c r=".." s=".."/> and costs calamine nothing).
_CONTENT_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d+)"[^>]*(?<!/)>')
_WIDE_CONTENT_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{2,3})\d+"[^>]*(?<!/)>')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row r="(\d+)"')
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([^"]*)"')
# Escapes of U+D800 and above (_xFFFF_, _xD83C_): Excel decodes them, calamine leaves them as typed
_HIGH_ESCAPE = re.compile(rb"_x[D-Fd-f][0-9A-Fa-f]{3}_")


@dataclass(frozen=True)
class PartScan:
    """What :func:`scan_part` found: the lowest row and right-most column holding a cell with
    content (0 when none), the ``ref`` of each merged range, expat's complaint when the XML is
    not well-formed (None when it is), whether the text holds ``_xHHHH_`` escapes of U+D800 and
    above (which calamine does not decode), and whether it holds CDATA sections (whose text
    calamine reads as blank)."""

    last_content_row: int
    last_content_column: int
    merged: tuple[str, ...]
    damage: str | None
    high_escapes: bool = False
    cdata: bool = False

    @property
    def misread_by_calamine(self) -> bool:
        """Whether calamine reads some cell of the part otherwise than Excel does."""
        return self.high_escapes or self.cdata


def _pieces(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """``chunks`` regrouped so that each piece ends just before a ``<`` (no tag is cut in two)."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut <= 0:
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _widest(data: bytes) -> int:
    letters = set(_WIDE_CONTENT_CELL.findall(data))
    return max((column_index(c.decode()) for c in letters), default=0)


def scan_part(chunks: Iterable[bytes], rescan: Callable[[], Iterable[bytes]]) -> PartScan:
    """Scan a worksheet part given as ``chunks`` of its bytes; ``rescan()`` gives the chunks again,
    needed only when rows are numbered below the last cell with content (formatted empty rows, or a
    crafted file whose rows are out of order), so every cell must be looked at."""
    check = XmlCheck()
    max_row = widest = 0
    last_with_content = b""     # the last piece holding a cell with content: rows come in order
    merged: list[str] = []
    high_escapes = cdata = False
    for piece in _pieces(chunks):
        check.feed(piece)
        max_row = max(max_row, max(map(int, _ROW_NUMBER.findall(piece)), default=0))
        widest = max(widest, _widest(piece))
        if _CONTENT_CELL.search(piece) is not None:
            last_with_content = piece
        high_escapes = high_escapes or _HIGH_ESCAPE.search(piece) is not None
        cdata = cdata or b"<![CDATA[" in piece      # a piece starts at a "<": no section is cut in two
        if b"mergeCell" in piece:
            merged.extend(ref.decode("ascii", "replace") for ref in _MERGE_REF.findall(piece))
    check.feed(b"", True)
    last_row = max((int(m.group(2)) for m in _CONTENT_CELL.finditer(last_with_content)), default=0)
    if max_row > last_row:
        last_row = max((int(m.group(2)) for piece in _pieces(rescan()) for m in _CONTENT_CELL.finditer(piece)),
                       default=0)
    last_column = widest or (26 if last_row else 0)      # one-letter columns only: Z at most
    return PartScan(last_row, last_column, tuple(merged), check.damage, high_escapes, cdata)
