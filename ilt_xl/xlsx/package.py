"""An .xlsx package opened safely, with its structure: sheets, defined names and Excel tables.

:func:`open_xlsx` refuses anything that is not a usable .xlsx/.xlsm with one
:class:`WorkbookError` naming the file and the reason; the returned
:class:`XlsxPackage` lists what the workbook declares, read from its XML with
defusedxml (never from guessed positions).
"""
from __future__ import annotations

import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from ilt_xl.xlsx.cells import CellRange
from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN, dialect
from ilt_xl.xlsx.part_scan import PartScan, scan_part
from ilt_xl.xlsx.safezip import SafeZip, xml_damage
from ilt_xl.xlsx.sniff import non_zip_reason

_M = f"{{{NS_MAIN}}}"
_OFFICE_DOCUMENT = "/officeDocument"
_SNIFF_BYTES = 8 << 10


@dataclass(frozen=True)
class SheetInfo:
    """A worksheet: its tab name, its part in the zip and whether it is hidden
    (``state`` is ``visible``, ``hidden`` or ``veryHidden``)."""

    name: str
    part: str
    state: str = "visible"

    @property
    def hidden(self) -> bool:
        return self.state != "visible"


@dataclass(frozen=True)
class DefinedName:
    """A workbook name. ``sheet_scope`` is the sheet index for a sheet-local name, else None."""

    name: str
    value: str
    sheet_scope: int | None = None


@dataclass(frozen=True)
class TableColumn:
    """A column of an Excel table; ``formula`` is its calculated-column formula if it declares one."""

    name: str
    formula: str | None = None


@dataclass(frozen=True)
class TableInfo:
    """An Excel table (ListObject) as declared in ``xl/tables/tableN.xml``.

    ``ref`` spans header, data and totals rows. ``first_data_row`` and
    ``last_data_row`` are Excel row numbers (``last < first`` for a table with no data rows).
    """

    name: str
    sheet: str
    part: str
    ref: CellRange
    header_rows: int
    totals_rows: int
    columns: tuple[TableColumn, ...]
    filtering: bool = False         # its autoFilter filters by some column

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def first_data_row(self) -> int:
        return self.ref.first_row + self.header_rows

    @property
    def last_data_row(self) -> int:
        return self.ref.last_row - self.totals_rows

    @property
    def data_rows(self) -> int:
        return max(self.last_data_row - self.first_data_row + 1, 0)


class XlsxPackage:
    """A checked .xlsx package: :attr:`sheets`, :attr:`defined_names`, :attr:`tables`.

    Parts are read through :attr:`zip` (a :class:`SafeZip`). Close it, or use it as a
    context manager.
    """

    def __init__(self, path: Path, zip_: SafeZip) -> None:
        self.path = path
        self.zip = zip_
        self._calamine = None  # opened by ilt_xl.xlsx.values when cell values are first read
        self._scans: dict[str, PartScan] = {}
        self.workbook_part = self._workbook_part()
        root = self.zip.xml(self.workbook_part)
        if root.tag != f"{_M}workbook":
            raise self._refuse(f"the workbook part {self.workbook_part} is not a SpreadsheetML workbook "
                               f"(its root element is {root.tag})")
        # Read as Transitional (same elements, other namespaces); writers that edit parts keep to Transitional.
        self.dialect: str | None = dialect(self.zip.read(self.workbook_part))
        rels = self.rels_of(self.workbook_part)
        pr = root.find(f"{_M}workbookPr")
        # Mac workbooks may count days from 1904-01-01: serial 0 is then 1904-01-01, not 1899-12-30.
        self.date1904: bool = pr is not None and pr.get("date1904", "0").strip().lower() in ("1", "true")
        self.sheets: tuple[SheetInfo, ...] = self._sheets(root, rels)
        self.defined_names: tuple[DefinedName, ...] = self._defined_names(root)
        self.tables: tuple[TableInfo, ...] = tuple(t for s in self.sheets for t in self._tables_of(s))

    def __enter__(self) -> "XlsxPackage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None
        self.zip.close()

    def scan(self, part: str) -> PartScan:
        """The :class:`~ilt_xl.xlsx.part_scan.PartScan` of worksheet part ``part``, made once (one
        streamed pass: the part is never whole in memory)."""
        if part not in self._scans:
            self._scans[part] = scan_part(self.zip.chunks(part), lambda: self.zip.chunks(part))
        return self._scans[part]

    def refuse_damaged_parts(self, *, worksheets: bool = True) -> None:
        """Raise :class:`WorkbookError` naming the first XML or relationships part that is not
        well-formed: a command would copy it into its output, which must be a valid workbook, and a
        reader may read it leniently. Each part is parsed streamed (never whole in memory); worksheets
        through their :meth:`scan` (made once, shared with the reader), or not at all with
        ``worksheets=False``, for a caller that checks them as it reads them."""
        sheet_names = {s.part: s.name for s in self.sheets}
        for part in self.zip.names:
            if not part.endswith((".xml", ".rels")):
                continue            # .vml is not XML as Excel writes it (unclosed <br>); binaries are not XML
            if part in sheet_names:
                if worksheets and (damage := self.scan(part).damage):
                    raise self._refuse(f"sheet {sheet_names[part]} ({part}) is damaged: its XML is not "
                                       f"well-formed (parser says: {damage})")
            elif damage := xml_damage(self.zip.chunks(part)):
                raise self._refuse(f"part {part} is damaged: its XML is not well-formed (parser says: {damage})")

    def sheet(self, name: str) -> SheetInfo | None:
        """The sheet named ``name`` (Excel compares tab names case-insensitively), or None."""
        folded = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == folded), None)

    def table(self, name: str) -> TableInfo | None:
        """The table named ``name`` (case-insensitive, as in Excel), or None."""
        folded = name.casefold()
        return next((t for t in self.tables if t.name.casefold() == folded), None)

    def defined_name(self, name: str) -> DefinedName | None:
        """The workbook-scoped name ``name`` (case-insensitive), or None."""
        folded = name.casefold()
        return next((d for d in self.defined_names if d.name.casefold() == folded and d.sheet_scope is None), None)

    def rels_of(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationships of ``part``: id -> (type suffix such as ``worksheet``, target part name).
        External targets are left out."""
        folder, base = posixpath.split(part)
        rels_part = self.zip.stored_name(posixpath.join(folder, "_rels", base + ".rels"))
        if not self.zip.has(rels_part):
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self.zip.xml(rels_part):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], self.zip.stored_name(full))
        return out

    def _refuse(self, reason: str) -> WorkbookError:
        return WorkbookError(self.path, reason)

    def _workbook_part(self) -> str:
        if self.zip.has("mimetype") and b"opendocument" in self.zip.read("mimetype"):
            raise self._refuse("this is an OpenDocument file (.ods), not an .xlsx; "
                               "save it as Excel 2007-365 (.xlsx) in LibreOffice")
        if not self.zip.has("[Content_Types].xml"):
            raise self._refuse("this zip is not an Office document (it has no [Content_Types].xml)")
        for kind, target in self.rels_of("").values():
            if kind == _OFFICE_DOCUMENT.strip("/"):
                if target.endswith(".bin"):
                    raise self._refuse("this is a binary workbook (.xlsb); save it as .xlsx")
                if not target.startswith("xl/"):
                    raise self._refuse(f"this is an Office document but not a workbook (its main part is {target})")
                if not self.zip.has(target):
                    raise self._refuse(f"the workbook part {target} is missing from the package")
                return target
        if self.zip.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise self._refuse("this zip is not an Excel workbook (it has no workbook part)")

    def _sheets(self, root: Element, rels: dict[str, tuple[str, str]]) -> tuple[SheetInfo, ...]:
        out = []
        for el in root.iter(f"{_M}sheet"):
            kind, target = rels.get(el.get(f"{{{NS_DOC_REL}}}id", ""), ("", ""))
            if kind != "worksheet":
                continue  # chart sheets and dialog sheets hold no tables
            out.append(SheetInfo(el.get("name", ""), target, el.get("state", "visible")))
        return tuple(out)

    def _defined_names(self, root: Element) -> tuple[DefinedName, ...]:
        out = []
        for el in root.iter(f"{_M}definedName"):
            scope = el.get("localSheetId")
            out.append(DefinedName(el.get("name", ""), (el.text or "").strip(), int(scope) if scope is not None else None))
        return tuple(out)

    def _tables_of(self, sheet: SheetInfo) -> list[TableInfo]:
        out = []
        for kind, target in self.rels_of(sheet.part).values():
            if kind != "table" or not self.zip.has(target):
                continue
            el = self.zip.xml(target)
            name = el.get("displayName") or el.get("name") or ""
            try:
                ref = CellRange.parse(el.get("ref", ""))
                header_rows = int(el.get("headerRowCount", "1"))
                totals_rows = int(el.get("totalsRowCount", "0"))
            except ValueError as exc:
                raise self._refuse(f"table {name} on sheet {sheet.name} has a bad range ({exc})") from exc
            columns = tuple(
                TableColumn(c.get("name", ""), _text(c.find(f"{_M}calculatedColumnFormula")))
                for c in el.iter(f"{_M}tableColumn")
            )
            auto_filter = el.find(f"{_M}autoFilter")
            filtering = auto_filter is not None and auto_filter.find(f"{_M}filterColumn") is not None
            out.append(TableInfo(name, sheet.name, target, ref, header_rows, totals_rows, columns, filtering))
        return out


def _text(el: Element | None) -> str | None:
    return None if el is None else (el.text or "")


def not_regular_reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (missing, a folder, a FIFO or device that would block or
    never end), or None for a regular file (symbolic links followed)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "this is a folder, not a workbook file"
    if not stat.S_ISREG(mode):
        return "this is not a regular file (a pipe, socket or device), not a workbook file"
    return None


def open_xlsx(path: str | Path, *, other_readers: bool = True) -> XlsxPackage:
    """Open ``path`` as an .xlsx/.xlsm package after the safety checks of :mod:`ilt_xl.xlsx.safezip`.

    ``other_readers=False`` promises that parts are read through the package only (never by
    calamine or openpyxl), which lets the opening skip proving honest sizes by a whole inflate.

    Raises :class:`WorkbookError` with one clear reason for: a missing file or a folder;
    an empty, CSV/text, HTML, XML, PDF, .xls, .ods or .xlsb file; a password-protected
    workbook; a truncated or corrupt zip; a zip bomb; XML with a DTD (entity attacks).
    """
    path = Path(path)
    reason = not_regular_reason(path)
    if reason:
        raise WorkbookError(path, reason)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise WorkbookError(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    reason = non_zip_reason(path, head)
    if reason:
        raise WorkbookError(path, reason)
    zip_ = SafeZip(path)
    try:
        zip_.check_honest_sizes(inflate=other_readers)
        return XlsxPackage(path, zip_)
    except BaseException:
        zip_.close()
        raise
