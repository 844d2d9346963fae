"""Hand-made xlsx packages whose sheet XML the test writes byte for byte.

openpyxl cannot write what the engine must cope with (cached values of formulas Excel computed,
prefixed namespaces, pretty-printed XML, part names in another case, date1904), so these
workbooks are assembled from raw parts: :func:`write_xlsx` takes each sheet's ``<sheetData>``
content (or the whole part) and writes a minimal, valid package around it.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WB_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_WS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def sheet_xml(rows: str) -> str:
    """A worksheet part around ``rows`` (the content of ``<sheetData>``)."""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS}" xmlns:r="{R_NS}"><sheetData>{rows}</sheetData></worksheet>')


def write_xlsx(path: Path, sheets: dict[str, str], *, whole_parts: bool = False, date1904: bool = False,
               names: dict[str, str] | None = None, macros: bool = False,
               part_name=lambda i: f"xl/worksheets/sheet{i}.xml") -> Path:
    """Write a workbook with ``sheets`` (name -> ``<sheetData>`` content, or the whole worksheet
    part when ``whole_parts``); ``names`` are workbook-level defined names (name -> formula)."""
    parts = {name: (xml if whole_parts else sheet_xml(xml)) for name, xml in sheets.items()}
    overrides = "".join(f'<Override PartName="/{part_name(i)}" ContentType="{_WS_TYPE}"/>'
                        for i in range(1, len(parts) + 1))
    content_types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     + ('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if macros else "")
                     + f'<Override PartName="/xl/workbook.xml" ContentType="{_XLSM_TYPE if macros else _WB_TYPE}"/>'
                     f'{overrides}</Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    sheet_els = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(parts, 1))
    defined = "".join(f'<definedName name="{n}">{v}</definedName>' for n, v in (names or {}).items())
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<workbook xmlns="{NS}" xmlns:r="{R_NS}">'
                + ('<workbookPr date1904="1"/>' if date1904 else "")
                + f'<sheets>{sheet_els}</sheets>'
                + (f'<definedNames>{defined}</definedNames>' if defined else "") + '</workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         f'relationships/worksheet" Target="/{part_name(i)}"/>' for i in range(1, len(parts) + 1))
               + ('<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                  'Target="vbaProject.bin"/>' if macros else "")
               + '</Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        for i, xml in enumerate(parts.values(), 1):
            z.writestr(part_name(i), xml)
        if macros:      # the project's bytes are never read: what matters is that the workbook has one
            z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def read_part(path: Path, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)
