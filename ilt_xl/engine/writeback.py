"""Write computed values back into a copy of the workbook, losslessly.

Only the ``<c>`` elements of formula cells change (their ``t`` attribute and ``<v>``; with
``values_only`` the ``<f>`` goes too). Every other zip part is copied unchanged, in the same
order, with the same compression and metadata. In values-only mode ``calcChain.xml`` (which
lists formula cells) is dropped together with its content-type override and relationship.
The output is written to a temporary file in the target folder and renamed into place, so a
failure leaves neither a partial file nor a touched input.
"""
from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from ilt_xl.engine import xlsx_zip
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR
from ilt_xl.engine.workbook_model import WorkbookModel, Sheet, col_to_index, index_to_col
from ilt_xl.engine.xlsx_zip import WorkbookError

# the same layout the scanner reads (document order = the model's formula order)
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(<f\b[^>]*?(?:/>|>[^<]*</f>))(?:<v>[^<]*</v>|<v\s*/>)?</c>')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(?:<v>[^<]*</v>|<v\s*/>)</c>')
_T_ATTR = re.compile(rb'\s+t="[^"]*"')


def _number_text(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def cell_value_xml(sheet: Sheet, row: int, col: int, values_only: bool) -> tuple[bytes, bytes]:
    """(type attribute, value XML) of a computed cell, e.g. (b' t="str"', b'<v>abc</v>')."""
    g = sheet.grid
    k = g.kind[row - 1, col - 1]
    if k == NUM or k == EMPTY:
        return b"", f"<v>{_number_text(float(g.num[row - 1, col - 1]))}</v>".encode()
    if k == BOOL:
        return b' t="b"', b"<v>1</v>" if g.num[row - 1, col - 1] else b"<v>0</v>"
    if k == ERR:
        return b' t="e"', f"<v>{escape(str(g.obj[row - 1, col - 1]))}</v>".encode()
    text = escape(str(g.obj[row - 1, col - 1])).encode("utf-8")
    if values_only:
        return b' t="inlineStr"', b'<is><t xml:space="preserve">' + text + b"</t></is>"
    return b' t="str"', b"<v>" + text + b"</v>"


def patch_sheet_xml(data: bytes, sheet: Sheet, values_only: bool) -> bytes:
    """The sheet part with every formula cell's cached value filled (or its formula replaced)."""
    count = 0
    cache: dict[bytes, bytes] = {}

    def repl(m: re.Match) -> bytes:
        nonlocal count
        count += 1
        letters, row, attrs, f_el = m.group(1), m.group(2), m.group(3), m.group(4)
        t, v = cell_value_xml(sheet, int(row), col_to_index(letters.decode()), values_only)
        base = cache.get(attrs)
        if base is None:
            base = cache[attrs] = _T_ATTR.sub(b"", attrs)
        return b'<c r="' + letters + row + b'"' + base + t + b">" + (b"" if values_only else f_el) + v + b"</c>"

    out = _FORMULA_CELL.sub(repl, data)
    if count != len(sheet.formulas.rows):
        raise WorkbookError(f"sheet {sheet.name}: {len(sheet.formulas.rows)} formula cells but {count} could be "
                            "patched (unusual XML layout); nothing was written")
    areas = [a for a in sheet.formulas.array_refs if a]
    if areas:
        out = _patch_array_areas(out, sheet, values_only)
    return out


def _patch_array_areas(data: bytes, sheet: Sheet, values_only: bool) -> bytes:
    """Cells inside an array formula's area (other than its anchor) hold plain values: refresh them."""
    from ilt_xl.engine.workbook_model import parse_area
    areas = [parse_area(a) for a in sheet.formulas.array_refs if a]

    def repl(m: re.Match) -> bytes:
        r, c = int(m.group(2)), col_to_index(m.group(1).decode())
        if not any(r0 <= r <= r1 and c0 <= c <= c1 for r0, c0, r1, c1 in areas):
            return m.group(0)
        t, v = cell_value_xml(sheet, r, c, True)
        return b'<c r="' + m.group(1) + m.group(2) + b'"' + _T_ATTR.sub(b"", m.group(3)) + t + b">" + v + b"</c>"

    return _VALUE_CELL.sub(repl, data)


def _drop_calc_chain(name: str, data: bytes) -> bytes:
    if name == "[Content_Types].xml":
        return re.sub(rb'<Override[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', b"", data)
    if name == "xl/_rels/workbook.xml.rels":
        return re.sub(rb'<Relationship[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', b"", data)
    return data


def write_values(source: str | Path, output: str | Path, model: WorkbookModel, values_only: bool = False) -> None:
    """Copy ``source`` to ``output`` with the computed values of ``model`` patched into its sheets."""
    output = Path(output)
    by_part = {s.part: s for s in model.sheets if len(s.formulas.rows)}
    folder = output.resolve().parent
    if not folder.is_dir():
        raise OSError(f"output folder does not exist: {folder}")
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with xlsx_zip.open_package(source) as zin, zipfile.ZipFile(tmp, "w") as zout:
            for info in zin.infolist():
                if values_only and info.filename == "xl/calcChain.xml":
                    continue
                data = xlsx_zip.read_part(zin, info.filename)
                sheet = by_part.get(info.filename)
                if sheet is not None:
                    data = patch_sheet_xml(data, sheet, values_only)
                elif values_only:
                    data = _drop_calc_chain(info.filename, data)
                zout.writestr(info, data, compress_type=info.compress_type,
                              compresslevel=1 if sheet is not None else None)
        os.chmod(tmp, os.stat(source).st_mode & 0o777)
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
