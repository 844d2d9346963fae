"""Write a table's body rows straight into a saved workbook's sheet XML.

openpyxl spends tens of microseconds per cell, which makes a 20,000-session planner take most
of a minute. The builder therefore lets openpyxl write each table's header and one styled
template row (row 2), and this module replaces that row with every body row, built column by
column as strings: numbers and dates as ``<v>``, text as inline strings, calculated columns as
one Excel shared formula per column (the text once, in the first body row, ``<f t="shared"
ref="X2:X9" si="n">``; every other row ``<f t="shared" si="n"/>``). A structured reference to
``[#This Row]`` means the same in every row, so no row needs its own text: a 200,000-session
Sessions sheet holds 27 formula texts instead of 5.4 million (2.4 GB of XML). The template row supplies each column's style id, so the cells
look exactly as openpyxl would have written them.

The rewrite also pins the package timestamps (zip entries and docProps/core.xml), so the same
input always gives the same bytes.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ilt_xl.core.serial_dates import datetime64_to_serial
from ilt_xl.schema import Column, ColumnType, Table
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN, NS_PKG_REL
from ilt_xl.xlsx.xml_text import XML_INVALID, xml_text

PINNED_TIME = (2026, 1, 1, 0, 0, 0)
_PINNED_W3CDTF = "2026-01-01T00:00:00Z"
_MAIN = f"{{{NS_MAIN}}}"
_REL = f"{{{NS_DOC_REL}}}"
_PKG_REL = f"{{{NS_PKG_REL}}}"
_PRESERVE = ' xml:space="preserve"'
_STYLE = re.compile(r'<c r="([A-Z]+)2" s="(\d+)"')


def cell_bodies(series: pd.Series | None, column: Column, n: int) -> list[str]:
    """What follows ``<c r=".." s=".."`` for each of ``n`` cells of an input column:
    ``/>`` for a blank, else the typed value and the closing tag."""
    if series is None:
        return ["/>"] * n
    if column.type is ColumnType.DATE:
        return _numbers(datetime64_to_serial(pd.to_datetime(series).to_numpy(dtype="datetime64[D]")))
    if column.type is ColumnType.TIME:
        return _numbers(np.array([_day_fraction(v) for v in series], dtype="float64"))
    if column.type.is_numeric:
        return _numbers(pd.to_numeric(series).to_numpy(dtype="float64"))
    # Text: every string kept as written (the country code "NA" is Namibia, never missing).
    text = series.astype(object)
    blank = text.isna().to_numpy() | (text == "").to_numpy()
    text = text.where(~blank, "").astype(str)
    escaped = text.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")
    special = text.str.contains(r"_x[0-9A-Fa-f]{4}_|" + XML_INVALID.pattern).to_numpy()
    if special.any():   # rare: spelled _xHHHH_ as Excel does, cell by cell
        escaped = escaped.where(~special, text.map(xml_text))
    spaced = (text != text.str.strip()).to_numpy()
    return [
        "/>" if b else f' t="inlineStr"><is><t{_PRESERVE if p else ""}>{e}</t></is></c>'
        for b, p, e in zip(blank.tolist(), spaced.tolist(), escaped.tolist())
    ]


def _numbers(values: np.ndarray) -> list[str]:
    if np.isinf(values).any():
        raise ValueError(f"row {int(np.argmax(np.isinf(values))) + 1} holds an infinite number")
    out = []
    for v in values.tolist():
        if v != v:  # NaN: blank
            out.append("/>")
        else:
            out.append(f' t="n"><v>{int(v) if v.is_integer() else repr(v)}</v></c>')
    return out


def _day_fraction(value: object) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if hasattr(value, "hour"):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400.0
    return float(value)


_CHUNK_ROWS = 5_000     # rows built and written at a time: memory stays flat however long the table


def body_rows_xml(table: Table, frame: pd.DataFrame, styles: Mapping[str, int], first_row: int = 2,
                  last_row: int | None = None) -> str:
    """The ``<row>`` elements of ``table`` holding ``frame``, the first numbered ``first_row``;
    ``styles`` maps column letter to style id. The table's body ends at ``last_row`` (default: the
    frame's last row): each calculated column is one shared formula over rows 2 to ``last_row``,
    its master in row 2 (in the chunk that holds row 2)."""
    n = len(frame)
    last_row = first_row + n - 1 if last_row is None else last_row
    rows = [str(r) for r in range(first_row, first_row + n)]
    columns = []
    group = 0           # the shared formula's si: the calculated columns numbered from 0, left to right
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        head = f'<c r="{letter}'
        tail = f'" s="{styles[letter]}"'
        if column.calculated:
            user = f'><f t="shared" si="{group}"/></c>'
            cells = [f"{head}{r}{tail}{user}" for r in rows]
            if first_row == 2 and n:
                shared_ref = f"{letter}2:{letter}{last_row}" if last_row > 2 else f"{letter}2"
                cells[0] = (f'{head}2{tail}><f t="shared" ref="{shared_ref}" si="{group}">'
                            f"{escape(table.formula_of(column.name)[1:])}</f></c>")
            columns.append(cells)
            group += 1
        else:
            series = frame[column.name] if column.name in frame.columns else None
            try:
                bodies = cell_bodies(series, column, n)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{table.name}.{column.name} ({column.type.value}): {exc}") from None
            columns.append([f"{head}{r}{tail}{b}" for r, b in zip(rows, bodies)])
    return "".join(f'<row r="{r}">' + "".join(cells) + "</row>" for r, cells in zip(rows, zip(*columns)))


def _body_chunks(table: Table, frame: pd.DataFrame, styles: Mapping[str, int]) -> Iterator[bytes]:
    """The body rows as UTF-8, :data:`_CHUNK_ROWS` rows at a time (a 200,000-session table's rows
    built at once took gigabytes: every cell a string, formulas spelled out in each)."""
    for start in range(0, len(frame), _CHUNK_ROWS):
        yield body_rows_xml(table, frame.iloc[start:start + _CHUNK_ROWS], styles, first_row=start + 2,
                            last_row=len(frame) + 1).encode("utf-8")


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip part name, from workbook.xml and its relationships."""
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target").lstrip("/") for r in rels.iter(f"{_PKG_REL}Relationship")}
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    return {s.get("name"): targets[s.get(f"{_REL}id")] for s in workbook.iter(f"{_MAIN}sheet")}


def _write_filled_sheet(out: zipfile.ZipFile, info: zipfile.ZipInfo, sheet_xml: str, table: Table,
                        frame: pd.DataFrame) -> None:
    """Write the sheet part ``info`` into ``out`` with ``frame``'s rows in place of the template row,
    streamed: the part is never whole in memory."""
    start = sheet_xml.index('<row r="2"')
    end = sheet_xml.index("</row>", start) + len("</row>")
    styles = {letter: int(s) for letter, s in _STYLE.findall(sheet_xml[start:end])}
    # Readers that trust the used range (read-only openpyxl, some viewers) find it here.
    dimension = f'<dimension ref="A1:{get_column_letter(len(table.columns))}{len(frame) + 1}" />'
    head = sheet_xml[:start].replace("<sheetViews>", dimension + "<sheetViews>", 1).encode("utf-8")
    chunks = _body_chunks(table, frame, styles)
    first = next(chunks, b"")
    # A part past 2 GiB needs the zip64 extension, which must be chosen before writing; the first
    # chunk's size, with a margin, tells (small planners keep the plain zip entry, byte for byte).
    rows_per_byte = min(len(frame), _CHUNK_ROWS) / max(len(first), 1)
    large = len(frame) / rows_per_byte * 1.5 > zipfile.ZIP64_LIMIT
    with out.open(info, "w", force_zip64=large) as part:
        part.write(head)
        part.write(first)
        for chunk in chunks:
            part.write(chunk)
        part.write(sheet_xml[end:].encode("utf-8"))


def fill_tables(path: str | Path, filled: Mapping[str, tuple[Table, pd.DataFrame]]) -> None:
    """Rewrite the workbook at ``path`` in place: each sheet named in ``filled`` gets the rows of
    its DataFrame in place of its template row; every zip entry gets the pinned timestamp."""
    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        parts = _sheet_parts(archive)
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    replaced = {parts[name]: (table, frame) for name, (table, frame) in filled.items()}
    # Level 1 deflates the long, repetitive formula XML several times faster than the default.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            pinned = zipfile.ZipInfo(info.filename, date_time=PINNED_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            pinned._compresslevel = 1     # ZipFile.open() takes the level from the entry (no public setter before 3.13)
            if info.filename in replaced:
                _write_filled_sheet(out, pinned, data.decode("utf-8"), *replaced[info.filename])
                continue
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + _PINNED_W3CDTF.encode(), data)
            out.writestr(pinned, data)
