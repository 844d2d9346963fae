"""The fast scanner refuses every worksheet part expat refuses (it checks well-formedness without
parsing the cells it cuts out: see ilt_xl/engine/scan_check.py), and only those."""
from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from ilt_xl.engine.sheet_scan import SheetNotWellFormed, scan_sheet_xml
from ilt_xl.xlsx import WorkbookError
from ilt_xl.xlsx.safezip import xml_damage

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"
HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PART = (HEAD + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1" spans="1:3"><c r="A1" t="inlineStr"><is><t>caf\xc3\xa9 &amp; co</t></is></c>'
        b'<c r="B1" s="2"><v>1.5</v></c><c r="C1" t="str"><f>A1&amp;"!"</f><v>caf\xc3\xa9 &amp; co!</v></c></row>'
        b'<row r="2"><c r="A2"><v>2</v></c><c r="B2" s="3"><f t="shared" ref="B2:B3" si="0">A2*2</f><v>4</v></c></row>'
        b'<row r="3"><c r="A3"><v>3</v></c><c r="B3" s="3"><f t="shared" si="0"/><v>6</v></c></row>'
        b'</sheetData><tableParts count="0"/></worksheet>')


def _refused(part: bytes) -> str | None:
    try:
        scan_sheet_xml(part, "p.xlsx", "S")
    except SheetNotWellFormed as exc:
        return exc.damage
    return None


def test_the_well_formed_part_is_read_by_the_fast_path():
    cells = scan_sheet_xml(PART, "p.xlsx", "S")
    assert cells.pieces is not None and cells.cut is None
    assert cells.f_rows.tolist() == [1, 2, 3] and len(cells.v_rows) == 4


@pytest.mark.parametrize("old, new", [
    (b"<t>caf\xc3\xa9", b"<t>caf\x18"),                        # a control character in a text
    (b"<v>1.5</v>", b"<v>1\x0b5</v>"),
    (b"<v>caf\xc3\xa9", b"<v>caf\xd9"),                        # not UTF-8
    (b"<v>caf\xc3\xa9", b"<v>caf\xef\xbf\xbe"),                # U+FFFE
    (b"&amp; co</t>", b"&co; co</t>"),                          # an entity XML does not define
    (b"&amp; co</t>", b"& co</t>"),
    (b"&amp; co!</v>", b"&#1; co!</v>"),                        # a reference to a character XML refuses
    (b"<v>4</v>", b"<v>]]></v>"),
    (b'<c r="B1" s="2">', b'<c r="B1" s="2>'),                 # the attributes of a value cell
    (b'<c r="B2" s="3">', b'<c r="B2" s="3" s="4">'),           # ... of a formula cell
    (b'<c r="B1" s="2">', b'<c r="B1" x:s="2">'),              # an unbound prefix
    (b'<f t="shared" si="0"/>', b'<f t="shared si="0"/>'),      # the <f> element
    (b'<f>A1&amp;"!"</f>', b'<f>A1&"!"</f>'),
    (b'<row r="2">', b'<row r="2" x="'),                         # cells inside an attribute value
    (b'<row r="3">', b'<row r="3" '),                           # cells inside a tag
    (b"</sheetData>", b"</sheetDRta>"),                         # the markup around the cells
    (b'<tableParts count="0"/>', b'<tableParts count="0">'),
    (b"</worksheet>", b""),
])
def test_damage_in_or_around_the_cells_is_refused(old, new):
    assert PART.count(old) >= 1
    damaged = PART.replace(old, new, 1)
    assert xml_damage(damaged) is not None, "the case must be damage expat sees"
    assert _refused(damaged) is not None
    def chunks():
        return iter([damaged[:100], damaged[100:]])
    with pytest.raises(WorkbookError, match="is damaged: its XML is not well-formed"):
        scan_sheet_xml(chunks(), "p.xlsx", "S", read_again=lambda: damaged, chunks_again=chunks)


@pytest.mark.parametrize("old, new", [
    (b"<sheetData>", b"<sheetData><!-- a comment -->"),         # doubtful: expat decides, and accepts
    (b"<tableParts", b"<extLst><ext><![CDATA[x]]></ext></extLst><tableParts"),
    (b"<v>caf\xc3\xa9 &amp; co!</v>", b"<v>caf&#233; &amp; co!</v>"),
    (b"caf\xc3\xa9 &amp; co</t>", b"&#x1F600; &lt;&gt;&quot;&apos;</t>"),
])
def test_well_formed_parts_pass_whatever_their_content(old, new):
    part = PART.replace(old, new, 1)
    assert xml_damage(part) is None
    cells = scan_sheet_xml(part, "p.xlsx", "S")
    assert cells.f_rows.tolist() == [1, 2, 3]


def test_random_byte_flips_are_refused_exactly_when_expat_refuses_them():
    """The fuzzer's way, seeded: single bytes of the example's smaller sheets replaced, biased to
    the characters that break markup; no part expat refuses may get through the fast path."""
    with zipfile.ZipFile(EXAMPLE) as z:
        parts = [data for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                 and len(data := z.read(n)) < 200_000]
    rng = random.Random(20261201)
    refused = 0
    for _ in range(400):
        data = bytearray(rng.choice(parts))
        for _ in range(rng.choice((1, 1, 2))):
            data[rng.randrange(len(data))] = rng.choice((rng.randrange(256), *b'<>&"/', 0x18, 0xD9))
        damaged = bytes(data)
        truth = xml_damage(damaged)
        try:
            scan_sheet_xml(damaged, "p.xlsx", "S")
            fast = None
        except SheetNotWellFormed as exc:
            fast = exc.damage
            assert truth is not None, f"refused a well-formed part: {fast}"
        except (WorkbookError, ValueError):
            continue        # well-formed, but cells the engine cannot read (a bad reference): refused too
        assert (fast is None) == (truth is None), truth
        refused += fast is not None
    assert refused > 100
