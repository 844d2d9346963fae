"""An .xlsx package held in memory, part by part, for surgical rewrites (the writing
counterpart of the read-only :class:`ilt_xl.xlsx.XlsxPackage`).

Commands that change a user's workbook (the headless twins of the macros)
read the zip parts they need, replace only the parts they change, and write a new zip
in which every other part is the same bytes in the same order (copied in pieces from the
source, never held whole: a 200,000-session planner's Sessions sheet inflates to a gigabyte). Nothing is
re-serialised through a spreadsheet model, so charts, shapes, VBA, slicers,
styles and anything else Excel stored survive untouched.

Reading goes through :func:`ilt_xl.xlsx.open_xlsx` (file sniffing, zip-bomb and
DTD guards; it also finds the sheets and tables); writing is atomic: a temporary file in the target's folder replaced
onto the target with ``os.replace``, so a crash never leaves half a workbook.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as safe_et

from ilt_xl.atomic_write import atomic_target
from ilt_xl.xlsx import WorkbookError, open_xlsx
from ilt_xl.xlsx.namespaces import NS_CONTENT_TYPES, NS_DOC_REL, NS_MAIN, NS_PKG_REL

REL_WORKSHEET = NS_DOC_REL + "/worksheet"
REL_TABLE = NS_DOC_REL + "/table"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"


@dataclass(frozen=True)
class StreamedPart:
    """A part written in pieces when the package is saved: ``chunks()`` yields its bytes (it may be
    called more than once); ``size_hint`` is a generous estimate of its size (a part past 2 GiB
    needs zip64, chosen before writing)."""

    chunks: Callable[[], Iterator[bytes]]
    size_hint: int


class OutputError(Exception):
    """The output file cannot be written (folder missing or read-only, file locked)."""


@dataclass(frozen=True)
class Relationship:
    """One relationship of a part: ``target`` is the absolute part name (no leading slash)."""

    id: str
    type: str
    target: str
    external: bool = False


@dataclass(frozen=True)
class TableLocation:
    """Where an Excel table lives: its name as declared, its sheet, the sheet's part and its own part."""

    name: str
    sheet: str
    sheet_part: str
    table_part: str


def prefix_of(text: str, element: str) -> str:
    """The namespace prefix (``"x:"`` or ``""``) the part ``text`` writes ``element`` with: files written
    by the Open XML SDK spell every SpreadsheetML element ``x:name``, and an element added without it
    would belong to no namespace (readers would not see it)."""
    m = re.search(rf"<(\w+:)?{element}\b", text)
    return (m.group(1) or "") if m else ""


def insert_before_end(text: str, element: str, addition: str) -> str:
    """``text`` with ``addition`` just before the closing tag of ``element`` (any prefix)."""
    closing = list(re.finditer(rf"</(?:\w+:)?{element}\s*>", text))
    if not closing:
        raise ValueError(f"no </{element}> in the part")
    at = closing[-1].start()
    return text[:at] + addition + text[at:]


def rels_name(part: str) -> str:
    """The relationships part of ``part``: ``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


class PackageEditor:
    """Every part of an .xlsx: read with :meth:`read`, replace with :meth:`write`, save with :meth:`save`.

    Raises :class:`~ilt_xl.xlsx.WorkbookError` when ``path`` is not a usable
    .xlsx package.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Kept open until saved (or closed): a part is read when first asked for.
        self._source = package = open_xlsx(self.path)
        try:
            if package.dialect:
                # It is read as Transitional; parts written back would mix the two dialects.
                raise WorkbookError(self.path, f"this is a {package.dialect} workbook: ilt-xl reads it (check, "
                                    "report, recalc, ics) but does not write into it; save it in Excel as "
                                    "'Excel Workbook (*.xlsx)'")
            self._infos = {info.filename: info for info in package.zip.zip.infolist()}
            # None: not read, unchanged; a StreamedPart: made in pieces when saved
            self._data: dict[str, bytes | StreamedPart | None] = dict.fromkeys(self._infos)
            self.workbook_part = package.workbook_part
            self.date1904 = package.date1904
            sheet_parts = {s.name: s.part for s in package.sheets}
            self._tables = {t.name.casefold(): TableLocation(t.name, t.sheet, sheet_parts[t.sheet], t.part)
                            for t in package.tables}
            self._sheets = dict(sheet_parts)
            self.changed: set[str] = set()
            self._refuse_damaged_parts()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the source file (done by :meth:`save`); parts not read by then cannot be."""
        self._source.close()

    def _refuse_damaged_parts(self) -> None:
        """Refuse a package whose XML parts are not well-formed: they would be copied into the output,
        which must be a valid workbook. Worksheets are left to the reader, which checks every one as
        it scans it (a sheet may inflate to a gigabyte: parsed once)."""
        self._source.refuse_damaged_parts(worksheets=False)

    # -- parts ---------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._data)

    def stored_name(self, name: str) -> str:
        """The name ``name`` is stored under: OPC part names compare case-insensitively, so a
        relationship to ``worksheets/Sheet7.xml`` finds ``worksheets/sheet7.xml`` (``name`` itself
        when no part matches)."""
        if name in self._data:
            return name
        folded = name.casefold()
        return next((n for n in self._data if n.casefold() == folded), name)

    def has(self, name: str) -> bool:
        return self.stored_name(name) in self._data

    def read(self, name: str) -> bytes:
        name = self.stored_name(name)
        if name not in self._data:
            raise WorkbookError(self.path, f"part {name} is missing from the package")
        data = self._data[name]
        if data is None:
            data = self._data[name] = self._source.zip.read(name)
        elif isinstance(data, StreamedPart):   # an edit of an edited part: made whole once
            data = self._data[name] = b"".join(data.chunks())
        return data

    def source_of(self, name: str) -> Callable[[], Iterator[bytes]]:
        """Part ``name`` as it is now, to be read (more than once) in pieces: for a part too big to
        hold whole. What it reads stays the same when the part is written afterwards."""
        name = self.stored_name(name)
        if name not in self._data:
            raise WorkbookError(self.path, f"part {name} is missing from the package")
        data = self._data[name]
        if data is None:
            return lambda: self._source.zip.chunks(name)
        if isinstance(data, StreamedPart):
            return data.chunks
        return lambda: iter((data,))

    def write_streamed(self, name: str, chunks: Callable[[], Iterator[bytes]], size_hint: int) -> None:
        """Replace (or add) part ``name`` with the bytes ``chunks()`` yields when the package is saved."""
        name = self.stored_name(name)
        self._data[name] = StreamedPart(chunks, size_hint)
        self.changed.add(name)

    def text(self, name: str) -> str:
        """Part ``name`` decoded as UTF-8 XML (Excel writes nothing else)."""
        data = self.read(name)
        try:
            return data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WorkbookError(self.path, f"part {name} is not UTF-8 XML ({exc})") from exc

    def xml(self, name: str):
        """Part ``name`` parsed (read-only) with DTDs and entities forbidden."""
        try:
            return safe_et.fromstring(self.read(name), forbid_dtd=True)
        except WorkbookError:
            raise
        except Exception as exc:  # defusedxml and expat raise several types; all mean "unusable"
            raise WorkbookError(self.path, f"part {name} is not well-formed, safe XML ({exc})") from exc

    def write(self, name: str, data: bytes | str) -> None:
        """Replace (or add) part ``name``; only such parts differ in the saved file."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = self.stored_name(name)
        if name not in self._data or self.read(name) != data:
            self._data[name] = data
            self.changed.add(name)

    def remove(self, name: str) -> None:
        """Delete part ``name`` with its content-type override and the workbook's relationship to it."""
        name = self.stored_name(name)
        if name not in self._data:
            return
        del self._data[name]
        self.changed.add(name)
        types = self.text("[Content_Types].xml")
        self.write("[Content_Types].xml", re.sub(rf'<(?:\w+:)?Override\b[^>]*PartName="/{re.escape(name)}"[^>]*/>', "", types))
        owner = rels_name(self.workbook_part)
        for rel in self.relationships(self.workbook_part):
            if rel.target == name:
                text = self.text(owner)
                self.write(owner, re.sub(rf'<(?:\w+:)?Relationship\b[^>]*\bId="{re.escape(rel.id)}"[^>]*/>', "", text))

    # -- relationships and workbook structure -------------------------------------------------
    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` (empty when it has none)."""
        name = rels_name(part)
        if not self.has(name):
            return []
        folder = posixpath.dirname(part)
        out = []
        for rel in self.xml(name):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append(Relationship(rel.get("Id", ""), rel.get("Type", ""), target, external))
        return out

    def add_relationship(self, part: str, rel_type: str, target_part: str) -> str:
        """Add a relationship from ``part`` to ``target_part``; returns its new id."""
        name = rels_name(part)
        taken = {r.id for r in self.relationships(part)}
        number = 1
        while f"rId{number}" in taken:
            number += 1
        rel_id = f"rId{number}"
        if self.has(name):
            text = self.text(name)
            element = (f'<{prefix_of(text, "Relationships")}Relationship Id="{rel_id}" Type={quoteattr(rel_type)} '
                       f'Target={quoteattr(_relative(part, target_part))}/>')
            self.write(name, insert_before_end(text, "Relationships", element))
        else:
            element = (f'<Relationship Id="{rel_id}" Type={quoteattr(rel_type)} '
                       f'Target={quoteattr(_relative(part, target_part))}/>')
            self.write(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             f'<Relationships xmlns="{NS_PKG_REL}">{element}</Relationships>')
        return rel_id

    def add_content_type(self, part: str, content_type: str) -> None:
        """Declare ``part``'s content type with an Override in ``[Content_Types].xml``."""
        text = self.text("[Content_Types].xml")
        if f'PartName="/{part}"' in text:
            return
        self.write("[Content_Types].xml", insert_before_end(
            text, "Types", f'<{prefix_of(text, "Types")}Override PartName={quoteattr("/" + part)} '
                           f'ContentType={quoteattr(content_type)}/>'))

    def sheets(self) -> dict[str, str]:
        """Worksheet name -> worksheet part, in workbook order (chart sheets left out)."""
        return dict(self._sheets)

    def table(self, name: str) -> TableLocation:
        """Where table ``name`` lives (case-insensitive); ``WorkbookError`` naming the tables there are."""
        found = self._tables.get(name.casefold())
        if found is None:
            have = ", ".join(sorted(t.name for t in self._tables.values())) or "none"
            raise WorkbookError(self.path, f"the workbook has no table named {name} (tables: {have})")
        return found

    def has_table(self, name: str) -> bool:
        return name.casefold() in self._tables

    def register(self, sheet: str, sheet_part: str, table: TableLocation | None = None) -> None:
        """Record a sheet (and its table) added to the package."""
        self._sheets[sheet] = sheet_part
        if table is not None:
            self._tables[table.name.casefold()] = table

    # -- output --------------------------------------------------------------------------------
    def save(self, target: str | Path, before_replace: Callable[[], None] | None = None) -> Path:
        """Write the package to ``target`` atomically; unchanged parts keep their bytes and order.
        ``before_replace()`` runs once the new file is complete, just before it replaces ``target``
        (it may raise to abandon the write).

        Raises :class:`OutputError` when the target folder cannot take the file (or is not a regular file).
        """
        target = Path(target)
        try:
            with atomic_target(target) as temp:
                self._write_zip(temp)
                self.close()        # before the new file takes the place of the source (in place)
                if before_replace is not None:
                    before_replace()
        except OSError as exc:
            raise OutputError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
        finally:
            self.close()
        return target

    def _write_zip(self, temp: Path) -> None:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in self._data.items():
                info = self._infos.get(name)
                if info is None:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                else:
                    info = _fresh_info(info)
                if isinstance(data, StreamedPart):
                    with out.open(info, "w", force_zip64=data.size_hint > zipfile.ZIP64_LIMIT // 2) as part:
                        for chunk in data.chunks():
                            part.write(chunk)
                    continue
                if data is not None:
                    out.writestr(info, data)
                    continue
                info.file_size = self._infos[name].file_size    # lets zipfile choose zip64 for a huge part
                with out.open(info, "w") as part:
                    for chunk in self._source.zip.chunks(name):
                        part.write(chunk)


def _fresh_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A copy of ``info`` keeping name, date, compression and attributes (sizes are recomputed)."""
    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = info.compress_type
    fresh.external_attr = info.external_attr
    fresh.create_system = info.create_system
    return fresh


_NEW_PART_NUMBER = re.compile(r"(\d+)\.xml$")


def free_part_name(package: PackageEditor, folder: str, stem: str) -> str:
    """The first ``folder/stemN.xml`` not in ``package`` (N from 1)."""
    taken = {int(m.group(1)) for name in package.names if name.startswith(f"{folder}/{stem}")
             if (m := _NEW_PART_NUMBER.search(name))}
    number = 1
    while number in taken:
        number += 1
    return f"{folder}/{stem}{number}.xml"
