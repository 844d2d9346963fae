"""An .xlsx package held in memory, part by part, for surgical rewrites.

Commands that change a user's workbook (the headless twins of the macros)
read every zip part, replace only the parts they change, and write a new zip
in which every other part is the same bytes in the same order. Nothing is
re-serialised through a spreadsheet model, so charts, shapes, VBA, slicers,
styles and anything else Excel stored survive untouched.

Reading goes through :class:`ilt_xl.xlsx.safezip.SafeZip` (zip-bomb and DTD
guards); writing is atomic: a temporary file in the target's folder replaced
onto the target with ``os.replace``, so a crash never leaves half a workbook.
"""
from __future__ import annotations

import os
import posixpath
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as safe_et

from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.safezip import SafeZip

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_WORKSHEET = NS_DOC_REL + "/worksheet"
REL_TABLE = NS_DOC_REL + "/table"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"


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
class TableInfo:
    """Where an Excel table lives: its sheet and its table part."""

    name: str
    sheet: str
    sheet_part: str
    table_part: str


def rels_name(part: str) -> str:
    """The relationships part of ``part``: ``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


class XlsxPackage:
    """Every part of an .xlsx: read with :meth:`read`, replace with :meth:`write`, save with :meth:`save`.

    Raises :class:`~ilt_xl.xlsx.errors.WorkbookError` when ``path`` is not a
    usable .xlsx package.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with SafeZip(self.path) as zipped:
            zipped.check_honest_sizes()
            self._infos = {info.filename: info for info in zipped.zip.infolist()}
            self._data = {name: zipped.read(name) for name in self._infos}
        self.changed: set[str] = set()
        for required in ("[Content_Types].xml", "xl/workbook.xml"):
            if required not in self._data:
                raise WorkbookError(self.path, f"part {required} is missing: this is not an Excel workbook")

    # -- parts ---------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._data)

    def has(self, name: str) -> bool:
        return name in self._data

    def read(self, name: str) -> bytes:
        try:
            return self._data[name]
        except KeyError as exc:
            raise WorkbookError(self.path, f"part {name} is missing from the package") from exc

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
        if self._data.get(name) != data:
            self._data[name] = data
            self.changed.add(name)

    def remove(self, name: str) -> None:
        """Delete part ``name`` with its content-type override and the workbook's relationship to it."""
        if name not in self._data:
            return
        del self._data[name]
        self.changed.add(name)
        types = self.text("[Content_Types].xml")
        self.write("[Content_Types].xml", re.sub(rf'<Override\b[^>]*PartName="/{re.escape(name)}"[^>]*/>', "", types))
        owner = rels_name("xl/workbook.xml")
        for rel in self.relationships("xl/workbook.xml"):
            if rel.target == name:
                text = self.text(owner)
                self.write(owner, re.sub(rf'<Relationship\b[^>]*\bId="{re.escape(rel.id)}"[^>]*/>', "", text))

    # -- relationships and workbook structure -------------------------------------------------
    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` (empty when it has none)."""
        name = rels_name(part)
        if name not in self._data:
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
        element = (f'<Relationship Id="{rel_id}" Type={quoteattr(rel_type)} '
                   f'Target={quoteattr(_relative(part, target_part))}/>')
        if name in self._data:
            text = self.text(name)
            closing = text.rindex("</Relationships>")
            self.write(name, text[:closing] + element + text[closing:])
        else:
            self.write(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             f'<Relationships xmlns="{NS_PKG_REL}">{element}</Relationships>')
        return rel_id

    def add_content_type(self, part: str, content_type: str) -> None:
        """Declare ``part``'s content type with an Override in ``[Content_Types].xml``."""
        text = self.text("[Content_Types].xml")
        if f'PartName="/{part}"' in text:
            return
        closing = text.rindex("</Types>")
        self.write("[Content_Types].xml", text[:closing]
                   + f'<Override PartName={quoteattr("/" + part)} ContentType={quoteattr(content_type)}/>'
                   + text[closing:])

    def sheets(self) -> dict[str, str]:
        """Worksheet name -> worksheet part, in workbook order (chart sheets left out)."""
        rels = {r.id: r for r in self.relationships("xl/workbook.xml")}
        out = {}
        for sheet in self.xml("xl/workbook.xml").iter(f"{{{NS_MAIN}}}sheet"):
            rel = rels.get(sheet.get(f"{{{NS_DOC_REL}}}id", ""))
            if rel is not None and rel.type == REL_WORKSHEET:
                out[sheet.get("name", "")] = rel.target
        return out

    def tables(self) -> dict[str, TableInfo]:
        """Table name (upper-cased, as Excel compares them) -> where the table lives."""
        out = {}
        for sheet, sheet_part in self.sheets().items():
            for rel in self.relationships(sheet_part):
                if rel.type != REL_TABLE or rel.external:
                    continue
                root = self.xml(rel.target)
                name = root.get("displayName") or root.get("name") or ""
                out[name.upper()] = TableInfo(name, sheet, sheet_part, rel.target)
        return out

    def table(self, name: str) -> TableInfo:
        """Where table ``name`` lives; ``WorkbookError`` naming the tables there are when it is absent."""
        found = self.tables().get(name.upper())
        if found is None:
            have = ", ".join(sorted(t.name for t in self.tables().values())) or "none"
            raise WorkbookError(self.path, f"the workbook has no table named {name} (tables: {have})")
        return found

    # -- output --------------------------------------------------------------------------------
    def save(self, target: str | Path) -> Path:
        """Write the package to ``target`` atomically; unchanged parts keep their bytes and order.

        Raises :class:`OutputError` when the target folder cannot take the file.
        """
        target = Path(target)
        folder = target.resolve().parent
        try:
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write in {folder} ({exc.strerror or exc})") from exc
        try:
            with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
                for name, data in self._data.items():
                    info = self._infos.get(name)
                    if info is None:
                        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                        info.compress_type = zipfile.ZIP_DEFLATED
                    else:
                        info = _fresh_info(info)
                    out.writestr(info, data)
            os.replace(temp, target)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise OutputError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target


def _fresh_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A copy of ``info`` keeping name, date, compression and attributes (sizes are recomputed)."""
    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = info.compress_type
    fresh.external_attr = info.external_attr
    fresh.create_system = info.create_system
    return fresh


_NEW_PART_NUMBER = re.compile(r"(\d+)\.xml$")


def free_part_name(package: XlsxPackage, folder: str, stem: str) -> str:
    """The first ``folder/stemN.xml`` not in ``package`` (N from 1)."""
    taken = {int(m.group(1)) for name in package.names if name.startswith(f"{folder}/{stem}")
             if (m := _NEW_PART_NUMBER.search(name))}
    number = 1
    while number in taken:
        number += 1
    return f"{folder}/{stem}{number}.xml"
