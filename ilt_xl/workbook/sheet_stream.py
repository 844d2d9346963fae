"""A worksheet part read row by row from pieces of its bytes, never whole.

A 200,000-session planner's Sessions sheet inflates to half a gigabyte of XML; the table writer
(:mod:`ilt_xl.workbook.sheet_writer`) reads the part it rewrites twice in pieces (once to learn
what is there, once to write the new part) instead of holding its text and a Python object per
cell. :class:`SheetStream` gives the text before ``<sheetData>`` (:attr:`~SheetStream.head`),
then each ``<row>`` as ``(number, attribute text, inner text)`` (:meth:`~SheetStream.rows`), then
the text after ``</sheetData>`` (:attr:`~SheetStream.tail`).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

from ilt_xl.xlsx.errors import WorkbookError

_ROOT = re.compile(r"<(?:(\w+):)?worksheet\b")
_ROW_NUMBER = re.compile(r"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_KEEP = 64      # characters kept when a piece ends inside a tag: longer than "</prefix:sheetData>"
# comments and processing instructions: whatever they hold (a row, a cell) is none
_NEUTRAL = re.compile(r"<!--.*?-->|<\?.*?\?>", re.S)


class SheetStream:
    """One worksheet part, from ``pieces`` of its bytes (UTF-8, with or without a byte-order mark).

    Raises :class:`~ilt_xl.xlsx.errors.WorkbookError` (``path``, ``where``) when the part is not a
    worksheet, has no complete ``<sheetData>``, is not UTF-8, or numbers a row out of order (Excel
    writes rows ascending and refuses a file that does not).
    """

    def __init__(self, pieces: Iterable[bytes], path, where: str) -> None:
        self.path, self.where = path, where
        self._pieces = self._decoded(pieces)
        self.tail = ""
        buffer = ""
        while True:
            root = _ROOT.search(buffer)
            if root is not None:
                self.prefix = f"{root.group(1)}:" if root.group(1) else ""
                data = re.compile(rf"<{re.escape(self.prefix)}sheetData\b[^>]*?(/?)>").search(buffer, root.end())
                if data is not None:
                    break
            piece = next(self._pieces, None)
            if piece is None:
                raise self._error("not a worksheet part" if root is None else "the worksheet has no <sheetData>")
            buffer += piece
        self.head = buffer[: data.start()]
        self._closed = data.group(1) == "/"
        self._rest = buffer[data.end():]

    def _error(self, what: str) -> WorkbookError:
        return WorkbookError(self.path, f"{self.where}: {what}")

    def _decoded(self, pieces: Iterable[bytes]) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        try:
            for piece in pieces:
                yield decoder.decode(piece)
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise self._error(f"the part is not UTF-8 XML ({exc})") from exc

    def rows(self) -> Iterator[tuple[int, str, str]]:
        """``(row number, attribute text of <row>, inner text)`` of each row, in order; afterwards
        :attr:`tail` holds the text after ``</sheetData>``. A row without ``r`` follows the one before.
        Comments and processing instructions are left out (what they hold is no row nor cell)."""
        if self._closed:
            self.tail = self._rest + "".join(self._pieces)
            return
        p = re.escape(self.prefix)
        next_tag = re.compile(rf"<{p}row\b|</{p}sheetData\s*>|<!--|<\?")
        close = f"</{self.prefix}row>"
        buffer, at, previous = self._rest, 0, 0
        while True:
            found = next_tag.search(buffer, at)
            end = -1
            if found is not None and found.group(0).startswith("</"):
                self.tail = buffer[found.end():] + "".join(self._pieces)
                return
            if found is not None and found.group(0).startswith(("<!", "<?")):
                # a comment or processing instruction between rows: what it holds is no row
                over = buffer.find("-->" if found.group(0) == "<!--" else "?>", found.end())
                if over >= 0:
                    at = over + (3 if found.group(0) == "<!--" else 2)
                    continue
            elif found is not None:
                gt = buffer.find(">", found.end())
                if gt >= 0 and buffer[gt - 1] == "/":
                    attrs, inner, end = buffer[found.end():gt - 1], "", gt + 1
                elif gt >= 0 and (closing := buffer.find(close, gt)) >= 0:
                    attrs, inner, end = buffer[found.end():gt], buffer[gt + 1:closing], closing + len(close)
            if end < 0:         # the row (or the end tag) continues in the next piece
                piece = next(self._pieces, None)
                if piece is None:
                    raise self._error("the worksheet has no <sheetData>" if found is None else "a <row> is not closed")
                keep = found.start() if found is not None else max(at, len(buffer) - _KEEP)
                buffer, at = buffer[keep:] + piece, 0
                continue
            number = _row_number(attrs, previous)
            if number is None or number <= previous:
                raise self._error(f"row {number if number is not None else attrs.strip()!r} is out of order or not "
                                  f"a row number (after row {previous}); open and save the file in Excel")
            previous = number
            yield number, attrs, _NEUTRAL.sub("", inner) if "<!--" in inner or "<?" in inner else inner
            at = end


def _row_number(attrs: str, previous: int) -> int | None:
    found = _ROW_NUMBER.search(attrs)
    if found is None:
        return previous + 1
    text = found.group(1) if found.group(1) is not None else found.group(2)
    return int(text) if text.isdigit() else None
