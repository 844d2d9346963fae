"""Cells of other workbooks (``[1]Sheet1!$A$1``), read from the values Excel stored for them.

A workbook that links to another keeps, in ``xl/externalLinks/externalLinkN.xml``, the values of
the linked cells as they were when the links were last updated; Excel recalculates with those
until the links are updated (it does not open the other file). The engine does the same: the
formula text names the book by its number ([1] is the first ``<externalReference>``), the
reference is rewritten to a sheet name of its own (:func:`sheet_name`) and the book's stored
cells become a read-only sheet. A cell the book did not store, in a sheet whose last update
failed (``refreshError``), is #REF!, as in Excel. The book's defined names are stored too
(``[1]Defines!Rate``: what they refer to, in that book's sheets).
"""
from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import numpy as np

from ilt_xl.engine.values import BOOL, EMPTY, ERR, ERRORS, NUM, STR, Block, E_REF
from ilt_xl.engine.workbook_model import FormulaCells, Sheet
from ilt_xl.xlsx import column_index, open_xlsx
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN

MARK = "\u2065"     # invisible: cannot occur in a sheet name Excel writes
_M = f"{{{NS_MAIN}}}"
_CELL = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
# a sheet prefix in a linked book's name ('My sheet'! or Sheet1!, not #REF!), text literals skipped
_OWN_SHEET = re.compile(r'"(?:[^"]|"")*"' r"|(?<![\w#])(?:'((?:[^']|'')+)'|([^\W\d][\w.]*))!")


def sheet_name(book: str, sheet: str) -> str:
    """The engine's name for sheet ``sheet`` of external book number ``book`` (as text: "1")."""
    return f"{MARK}{book}{MARK}{sheet}"


def is_external(name: str) -> bool:
    return name.startswith(MARK)


def shown(name: str) -> str:
    """:func:`sheet_name`'s name as the formula wrote it: ``[1]Sheet1``."""
    book, _, sheet = name[len(MARK):].partition(MARK)
    return f"[{book}]{sheet}"


class ExternalSheet(Sheet):
    """A sheet of a linked workbook: its stored cells; ``beyond`` is what a cell it did not store
    holds (empty, or #REF! after a failed update)."""

    beyond: int = EMPTY


class ExternalBooks:
    """The linked workbooks of the workbook at ``path``, read on first use."""

    def __init__(self, path: str, first_index: int):
        self.path, self.first_index = path, first_index
        self._books: dict[str, dict[str, ExternalSheet]] | None = None
        # per book: (index of the sheet it belongs to, or None for the book's, NAME) -> refersTo
        self._names: dict[str, dict[tuple[int | None, str], str]] = {}

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (:func:`sheet_name`), or None when the book or sheet is unknown."""
        book, _, sheet = name[len(MARK):].partition(MARK)
        return self._read_once().get(book, {}).get(sheet.lower())

    def _read_once(self) -> dict[str, dict[str, ExternalSheet]]:
        if self._books is None:
            self._books = self._read()
        return self._books

    def name_text(self, sheet: str, name: str) -> str | None:
        """The formula text of defined name ``name`` as sheet ``sheet`` (:func:`sheet_name`; of no
        sheet: the book's own names) of a linked book sees it (the sheet's own name first, then the
        book's), its references made the engine's names of that book's sheets; None when the book
        defines no such name."""
        book, _, own = sheet[len(MARK):].partition(MARK)
        books = self._read_once()
        found = self.sheet(sheet) if own else None
        if own and found is None:
            return None
        index = found.index - min(s.index for s in books[book].values()) if found is not None else None
        names = self._names.get(book, {})
        text = names.get((index, name.upper()), names.get((None, name.upper())))
        if text is None or text.strip().lstrip("=").upper() == "#REF!":
            # a name the book stored no definition of (a formula of the other book: #REF! in its
            # place, while the cells using it may still hold what it gave when the link was live)
            return None
        text = text[1:] if text.startswith("=") else text

        def moved(m: re.Match) -> str:
            if m.group(1) is None and m.group(2) is None:
                return m.group(0)       # text
            prefix = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
            return "'" + sheet_name(book, prefix).replace("'", "''") + "'!"
        return _OWN_SHEET.sub(moved, text)

    def _read(self) -> dict[str, dict[str, ExternalSheet]]:
        out: dict[str, dict[str, ExternalSheet]] = {}
        index = self.first_index
        with open_xlsx(self.path, other_readers=False) as pkg:
            rels = pkg.rels_of(pkg.workbook_part)
            refs = pkg.zip.xml(pkg.workbook_part).find(f"{_M}externalReferences")
            for number, ref in enumerate(refs if refs is not None else [], start=1):
                kind, part = rels.get(ref.get(f"{{{NS_DOC_REL}}}id", ""), ("", ""))
                if kind != "externalLink" or not pkg.zip.has(part):
                    continue
                book = pkg.zip.xml(part).find(f"{_M}externalBook")
                if book is None:
                    continue
                self._names[str(number)] = {
                    (int(dn.get("sheetId")) if (dn.get("sheetId") or "").isdigit() else None, dn.get("name", "").upper()):
                        dn.get("refersTo", "") for dn in book.iter(f"{_M}definedName")}
                sheets = {}
                for sheet in _sheets(book, str(number), index):
                    sheets[sheet.name.rpartition(MARK)[2].lower()] = sheet
                    index += 1
                out[str(number)] = sheets
        return out


def _sheets(book: Element, number: str, index: int) -> list[ExternalSheet]:
    names = [el.get("val", "") for el in book.iter(f"{_M}sheetName")]
    data = {}
    for sd in book.iter(f"{_M}sheetData"):
        data[int(sd.get("sheetId", "-1"))] = sd
    out = []
    for i, name in enumerate(names):
        sd = data.get(i)
        cells = []
        for cell in sd.iter(f"{_M}cell") if sd is not None else ():
            m = _CELL.fullmatch(cell.get("r", ""))
            v = cell.find(f"{_M}v")
            if m and v is not None:
                cells.append((int(m.group(2)), column_index(m.group(1).upper()), cell.get("t", "n"), v.text or ""))
        failed = sd is not None and sd.get("refreshError", "0").strip().lower() in ("1", "true")
        sheet = ExternalSheet(sheet_name(number, name), "", index + i, _grid(cells, failed), _NO_FORMULAS)
        sheet.beyond = ERR if failed else EMPTY
        out.append(sheet)
    return out


_NO_FORMULAS = FormulaCells(np.zeros(0, np.int64), np.zeros(0, np.int64), [], [], np.zeros(0, bool))


def _grid(cells: list[tuple[int, int, str, str]], failed: bool) -> Block:
    shape = (max((r for r, *_ in cells), default=0), max((c for _, c, *_ in cells), default=0))
    kind = np.full(shape, ERR if failed else EMPTY, np.int8)
    num = np.zeros(shape)
    obj = np.full(shape, E_REF if failed else None, dtype=object)
    for r, c, t, text in cells:
        i, j = r - 1, c - 1
        obj[i, j] = None
        if t == "b":
            kind[i, j], num[i, j] = BOOL, float(text.strip() in ("1", "true"))
        elif t == "e":
            kind[i, j], obj[i, j] = ERR, ERRORS.get(text.strip(), E_REF)
        elif t in ("str", "s", "inlineStr"):
            kind[i, j], obj[i, j] = STR, text
        else:
            try:
                kind[i, j], num[i, j] = NUM, float(text)
            except ValueError:
                kind[i, j], obj[i, j] = ERR, E_REF
    return Block(kind, num, obj)
