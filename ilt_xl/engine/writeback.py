"""Write computed values back into a copy of the workbook, losslessly.

Only the ``<c>`` elements of formula cells change (their ``t`` attribute and ``<v>``; with
``values_only`` the ``<f>`` goes too). Every other zip part is copied unchanged, in the same
order, with the same compression and metadata (unchanged parts as their very compressed bytes). In values-only mode ``calcChain.xml`` (which
lists formula cells) is dropped together with its content-type override and relationship.
The output is written to a temporary file in the target folder and renamed into place, so a
failure leaves neither a partial file nor a touched input.
"""
from __future__ import annotations

import copy
import re
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from ilt_xl.atomic_write import atomic_target
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR
from ilt_xl.engine.workbook_model import Sheet, WorkbookModel, parse_area
from ilt_xl.xlsx import WorkbookError, column_index, column_letter
from ilt_xl.xlsx.safezip import SafeZip

# the same layout the scanner reads (document order = the model's formula order)
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(<f\b[^>]*?(?:/>|>[^<]*</f>))(?:<v>[^<]*</v>|<v\s*/>)?</c>')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(?:<v>[^<]*</v>|<v\s*/>)</c>')
_T_ATTR = re.compile(rb'\s+t="[^"]*"')


def _number_values(x: np.ndarray) -> list[bytes]:
    """``<v>`` elements of numbers: the shortest text that reads back to the same double
    (integers without '.0')."""
    whole = (x == np.trunc(x)) & (np.abs(x) < 1e15)
    out = np.empty(len(x), dtype=object)
    # integers through numpy's (fast) int-to-text; numpy's float-to-text is slower than repr
    out[whole] = np.char.add(np.char.add(b"<v>", x[whole].astype(np.int64).astype("S20")), b"</v>").astype(object)
    out[~whole] = [b"<v>%r</v>" % v for v in x[~whole].tolist()]
    return out.tolist()


def value_parts(sheet: Sheet, rows: np.ndarray, cols: np.ndarray, values_only: bool) -> tuple[list, list]:
    """(type attribute, value XML) for each cell (rows/cols 1-based), e.g. (b' t="str"', b'<v>abc</v>').

    Empty results are written as 0, as Excel shows a formula that refers to an empty cell.
    """
    g = sheet.grid
    kind = g.kind[rows - 1, cols - 1]
    num = g.num[rows - 1, cols - 1]
    t = np.empty(len(rows), dtype=object)
    v = np.empty(len(rows), dtype=object)
    numeric = (kind == NUM) | (kind == EMPTY)
    t[numeric] = b""
    if numeric.any():
        v[numeric] = _number_values(np.where(kind[numeric] == EMPTY, 0.0, num[numeric]))
    boolean = kind == BOOL
    t[boolean] = b' t="b"'
    v[boolean] = np.where(num[boolean] != 0, b"<v>1</v>", b"<v>0</v>").tolist() if boolean.any() else []
    for i in np.flatnonzero(kind == ERR):
        t[i] = b' t="e"'
        v[i] = f"<v>{escape(str(g.obj[rows[i] - 1, cols[i] - 1]))}</v>".encode()
    for i in np.flatnonzero(kind == STR):
        text = escape(str(g.obj[rows[i] - 1, cols[i] - 1])).encode("utf-8")
        if values_only:
            t[i], v[i] = b' t="inlineStr"', b'<is><t xml:space="preserve">' + text + b"</t></is>"
        else:
            t[i], v[i] = b' t="str"', b"<v>" + text + b"</v>"
    return t.tolist(), v.tolist()


def patch_sheet_xml(data: bytes, sheet: Sheet, values_only: bool, source: str | Path) -> bytes:
    """The sheet part with every formula cell's cached value filled (or its formula replaced).

    The formula cells appear in the part in the order the scanner listed them, so their new
    values are computed for all cells at once and spliced in with one split of the bytes.
    ``source`` names the workbook in an error.
    """
    parts = _FORMULA_CELL.split(data)   # text, letters, row, attrs, <f>, text, ...
    letters, rows_b, attrs, f_els = parts[1::5], parts[2::5], parts[3::5], parts[4::5]
    f = sheet.formulas
    n = len(f.rows)
    rows = np.array(rows_b, dtype="S7").astype(np.int64) if rows_b else np.zeros(0, np.int64)
    if len(rows) != n or not np.array_equal(rows, f.rows):
        raise WorkbookError(source, f"sheet {sheet.name}: {n} formula cells but {len(rows)} could be patched "
                            "(unusual XML layout); nothing was written")
    t, v = value_parts(sheet, f.rows, f.cols, values_only)
    cache: dict[bytes, bytes] = {}
    for a in set(attrs):
        cache[a] = _T_ATTR.sub(b"", a)
    if values_only:
        f_els = [b""] * n
    # one join over interleaved pieces (slice assignments run in C): per cell
    # <c r=" letters row " attrs t > f v </c> then the text up to the next formula cell
    out: list[bytes] = [b""] * (11 * n + 1)
    out[0] = parts[0]
    out[1::11] = [b'<c r="'] * n
    out[2::11] = letters
    out[3::11] = rows_b
    out[4::11] = [b'"'] * n
    out[5::11] = [cache[a] for a in attrs]
    out[6::11] = t
    out[7::11] = [b">"] * n
    out[8::11] = f_els
    out[9::11] = v
    out[10::11] = [b"</c>"] * n
    out[11::11] = parts[5::5]
    result = b"".join(out)
    if any(a for a in f.array_refs):
        result = _patch_array_areas(result, sheet)
    return result


_ROW = re.compile(rb'<row r="([0-9]+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})[0-9]+"')


def _patch_array_areas(data: bytes, sheet: Sheet) -> bytes:
    """Cells inside an array formula's area other than its anchor hold plain values: refresh the
    ones present and insert the missing ones (openpyxl writes the anchor cell only)."""
    areas = [parse_area(a) for a in sheet.formulas.array_refs if a]
    anchors = set(zip(sheet.formulas.rows.tolist(), sheet.formulas.cols.tolist()))
    wanted = {(r, c) for r0, c0, r1, c1 in areas for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - anchors

    def cell_xml(r: int, c: int) -> bytes:
        t, v = value_parts(sheet, np.array([r]), np.array([c]), True)
        return f'<c r="{column_letter(c)}{r}"'.encode() + t[0] + b">" + v[0] + b"</c>"

    def repl(m: re.Match) -> bytes:
        r, c = int(m.group(2)), column_index(m.group(1).decode())
        if (r, c) not in wanted:
            return m.group(0)
        wanted.discard((r, c))
        t, v = value_parts(sheet, np.array([r]), np.array([c]), True)
        return b'<c r="' + m.group(1) + m.group(2) + b'"' + _T_ATTR.sub(b"", m.group(3)) + t[0] + b">" + v[0] + b"</c>"

    data = _VALUE_CELL.sub(repl, data)
    if not wanted:
        return data
    by_row: dict[int, list[int]] = {}
    for r, c in sorted(wanted):
        by_row.setdefault(r, []).append(c)

    def row_repl(m: re.Match) -> bytes:
        r = int(m.group(1))
        cols = by_row.pop(r, None)
        if not cols:
            return m.group(0)
        whole = m.group(0)
        if whole.endswith(b"/>"):
            return whole[:-2] + b">" + b"".join(cell_xml(r, c) for c in cols) + b"</row>"
        body = m.group(2)
        start = m.start(2) - m.start(0)
        pieces, pos = [], 0
        for c in cols:
            insert_at = len(body)
            for cm in _CELL_REF.finditer(body):
                if column_index(cm.group(1).decode()) > c:
                    insert_at = cm.start()
                    break
            pieces.append((insert_at, cell_xml(r, c)))
        for at, xml in sorted(pieces, key=lambda p: -p[0]):
            body = body[:at] + xml + body[at:]
        return whole[:start] + body + b"</row>"

    data = _ROW.sub(row_repl, data)
    if by_row:   # rows that do not exist yet, in row order before the rows that follow them
        new_rows = {r: f'<row r="{r}">'.encode() + b"".join(cell_xml(r, c) for c in cols) + b"</row>"
                    for r, cols in by_row.items()}

        def insert_rows(m: re.Match) -> bytes:
            r = int(m.group(1))
            before = [new_rows.pop(k) for k in sorted(k for k in list(new_rows) if k < r)]
            return b"".join(before) + m.group(0)

        data = _ROW.sub(insert_rows, data)
        rest = b"".join(new_rows[k] for k in sorted(new_rows))
        if rest:
            data = data.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
            data = data.replace(b"</sheetData>", rest + b"</sheetData>", 1)
    return data


_CALC_CHAIN_REFERRERS = ("[Content_Types].xml", "xl/_rels/workbook.xml.rels")


def _drop_calc_chain(name: str, data: bytes) -> bytes:
    if name == "[Content_Types].xml":
        return re.sub(rb'<Override[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', b"", data)
    if name == "xl/_rels/workbook.xml.rels":
        return re.sub(rb'<Relationship[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', b"", data)
    return data


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DATA_DESCRIPTOR = 0x08


def _copy_compressed(zin: zipfile.ZipFile, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Copy one member's compressed bytes as they are (no inflate/deflate). False when the member
    is of a kind this does not handle (encrypted, zip64), so the caller re-deflates it instead."""
    if info.flag_bits & 0x01 or info.file_size >= 0xFFFFFFFF or info.compress_size >= 0xFFFFFFFF:
        return False
    zin.fp.seek(info.header_offset)
    header = zin.fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return False
    fields = _LOCAL_HEADER.unpack(header)
    zin.fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    raw = zin.fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        return False
    out = copy.copy(info)
    out.flag_bits &= ~_DATA_DESCRIPTOR
    out.extra = b""
    zout.fp.seek(zout.start_dir)
    out.header_offset = zout.start_dir
    zout.fp.write(out.FileHeader())
    zout.fp.write(raw)
    zout.start_dir = zout.fp.tell()
    zout.filelist.append(out)
    zout.NameToInfo[out.filename] = out
    zout._didModify = True
    return True


def _part_bytes(package: SafeZip, info: zipfile.ZipInfo, sheet: Sheet | None) -> bytes:
    """The uncompressed bytes of a part: the sheet XML kept from loading when it is the same part
    (same CRC-32 and size), so a big sheet is not inflated twice; else read from the package."""
    if sheet is not None and sheet.xml is not None and sheet.xml_crc == (info.CRC, info.file_size):
        return sheet.xml
    return package.read(info.filename)


def write_values(source: str | Path, output: str | Path, model: WorkbookModel, values_only: bool = False) -> None:
    """Copy ``source`` to ``output`` with the computed values of ``model`` patched into its sheets."""
    output = Path(output)
    by_part = {s.part: s for s in model.sheets if len(s.formulas.rows)}
    folder = output.resolve().parent
    if not folder.is_dir():
        raise OSError(f"output folder does not exist: {folder}")
    with atomic_target(output) as tmp, SafeZip(source) as package, zipfile.ZipFile(tmp, "w") as zout:
        zin = package.zip
        for info in zin.infolist():
            if values_only and info.filename == "xl/calcChain.xml":
                continue
            sheet = by_part.get(info.filename)
            edited = sheet is not None or (values_only and info.filename in _CALC_CHAIN_REFERRERS)
            if not edited and _copy_compressed(zin, zout, info):
                continue
            data = _part_bytes(package, info, sheet)
            if sheet is not None:
                data = patch_sheet_xml(data, sheet, values_only, source)
            elif values_only:
                data = _drop_calc_chain(info.filename, data)
            # big parts are deflated fast; the bytes inside are what must not change
            zout.writestr(info, data, compress_type=info.compress_type,
                          compresslevel=1 if len(data) > (1 << 20) else None)
