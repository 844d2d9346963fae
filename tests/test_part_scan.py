"""The streamed scan of a worksheet part: the same facts whatever the pieces it arrives in."""
from __future__ import annotations

from ilt_xl.xlsx.part_scan import scan_part
from ilt_xl.xlsx.safezip import xml_damage

SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main"><sheetData>'
         b'<row r="1"><c r="A1" t="inlineStr"><is><t>Id</t></is></c><c r="AB1"><v>2</v></c></row>'
         b'<row r="7"><c r="C7" s="1"><v>3.5</v></c><c r="XFD7" s="2"/></row>'
         b'<row r="40"><c r="B40" s="3"/></row>'
         b'</sheetData><mergeCells count="2"><mergeCell ref="A1:B1"/><mergeCell ref="C7:D8"/></mergeCells>'
         b'</worksheet>')


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_the_scan_is_the_same_in_any_pieces():
    whole = scan_part([SHEET], lambda: [SHEET])
    # content reaches row 7 (row 40 and XFD7 are formatted but empty) and column AB (28)
    assert (whole.last_content_row, whole.last_content_column) == (7, 28)
    assert whole.merged == ("A1:B1", "C7:D8") and whole.damage is None
    for size in (1, 7, 64):
        assert scan_part(_pieces(SHEET, size), lambda s=size: _pieces(SHEET, s)) == whole


def test_damaged_xml_is_reported_with_expat_words():
    damaged = SHEET.replace(b"</row>", b"", 1)
    scan = scan_part(_pieces(damaged, 16), lambda: _pieces(damaged, 16))
    assert scan.damage and "mismatched tag" in scan.damage


def test_an_unbound_namespace_prefix_is_damage():
    # plain expat accepts <y:c/> with no xmlns:y; ElementTree, Excel and the fuzzer's check do not
    damaged = SHEET.replace(b'<c r="AB1">', b'<y:c r="AB1">').replace(b"</c></row>", b"</y:c></row>", 1)
    assert b"<y:c" in damaged and b"</y:c>" in damaged
    scan = scan_part(_pieces(damaged, 16), lambda: _pieces(damaged, 16))
    assert scan.damage and "unbound prefix" in scan.damage
    assert xml_damage(damaged) == xml_damage(iter(_pieces(damaged, 5))) == scan.damage
    assert xml_damage(SHEET) is None and xml_damage(iter(_pieces(SHEET, 5))) is None
