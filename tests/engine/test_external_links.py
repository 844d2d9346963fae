"""Cells of linked workbooks ([1]Sheet1!A1) read from the values the workbook stored for them,
as Excel does until the links are updated; a hand-made package holds the external link part."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from handmade import NS, R_NS, write_xlsx

from ilt_xl.engine.recalc import compute
from ilt_xl.engine.workbook_model import load_workbook_model

_LINK = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="{NS}" xmlns:r="{R_NS}">'
         '<externalBook r:id="rId1"><sheetNames><sheetName val="Rates"/><sheetName val="Old"/></sheetNames>'
         '<definedNames><definedName name="Rate" refersTo="=Rates!$A$2"/><definedName name="Local" sheetId="0" '
         'refersTo="=\'Rates\'!$B$1"/><definedName name="Gone" refersTo="#REF!"/></definedNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>2</v></cell><cell r="B1" t="str"><v>EUR</v>'
         '</cell></row><row r="2"><cell r="A2"><v>3.5</v></cell></row></sheetData>'
         '<sheetData sheetId="1" refreshError="1"><row r="1"><cell r="A1"><v>7</v></cell></row></sheetData>'
         '</sheetDataSet></externalBook></externalLink>')
_LINK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
              'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
              '.org/officeDocument/2006/relationships/externalLinkPath" Target="rates.xlsx" TargetMode="External"/>'
              '</Relationships>')


def _with_link(path: Path, rows: str, local_sheet: str = "Sheet1") -> Path:
    """A workbook with one sheet (``rows``) linking to a workbook 'rates.xlsx' whose stored cells
    are Rates!A1 = 2, B1 = "EUR", A2 = 3.5 and, after a failed update, Old!A1 = 7; its names Rate
    (Rates!$A$2), Local (of sheet Rates: Rates!$B$1) and Gone (a definition it did not store)."""
    plain = write_xlsx(path.with_name("plain.xlsx"), {local_sheet: rows})
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename).decode()
            if item.filename == "xl/workbook.xml":
                data = data.replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rId99"/>'
                                                  "</externalReferences>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.openxmlformats.'
                                    'org/officeDocument/2006/relationships/externalLink" '
                                    'Target="externalLinks/externalLink1.xml"/></Relationships>')
            elif item.filename == "[Content_Types].xml":
                data = data.replace("</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="'
                                    'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>')
            z.writestr(item.filename, data)
        z.writestr("xl/externalLinks/externalLink1.xml", _LINK)
        z.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", _LINK_RELS)
    return path


def _f(ref: str, formula: str) -> str:
    return f'<c r="{ref}"><f>{formula}</f><v>0</v></c>'


def test_linked_cells_take_the_values_the_workbook_stored(tmp_path):
    rows = ('<row r="1">' + _f("A1", "[1]Rates!$A$1*10") + _f("B1", "'[1]Rates'!B1&amp;\"!\"")
            + _f("C1", "SUM([1]Rates!A1:A2)") + _f("D1", "[1]Old!A1") + _f("E1", "[1]Old!C9")
            + _f("F1", "IFERROR([1]Old!C9,-1)") + _f("G1", "[1]Rates!Z9") + "</row>")
    model = load_workbook_model(_with_link(tmp_path / "l.xlsx", rows))
    report = compute(model, dt.date(2024, 1, 1))
    assert report.problems == []
    g = model.sheets[0].grid
    got = [g.value(0, j) for j in range(7)]
    assert got[:4] == [20.0, "EUR!", 5.5, 7.0]
    assert str(got[4]) == "#REF!" and got[5] == -1.0     # not stored by a failed update: #REF!
    assert got[6] == 0.0                                 # a blank cell of the linked sheet


def test_a_linked_sheet_is_never_the_workbook_s_own_sheet_of_that_name(tmp_path):
    # the `formulas` parser drops [1]: 'Rates' here would have been this workbook's own sheet
    rows = '<row r="1"><c r="A1"><v>100</v></c>' + _f("B1", "'[1]Rates'!A1+[1]Rates!A2") + "</row>"
    model = load_workbook_model(_with_link(tmp_path / "own.xlsx", rows, local_sheet="Rates"))
    compute(model, dt.date(2024, 1, 1))
    assert model.sheets[0].grid.value(0, 1) == 5.5


def test_names_of_a_linked_workbook_are_what_it_stored_for_them(tmp_path):
    # Excel's cached values in NPOI's ref-56737 and EPPlus's ExtRef workbooks: [1]Defines!NR_To_A1
    # and [1]!NR_Global_B2 read the cells the names refer to, as the link stored them
    rows = ('<row r="1">' + _f("A1", "[1]!Rate*2") + _f("B1", "[1]Rates!Local") + _f("C1", "[1]Old!Rate")
            + _f("D1", "[1]!Gone") + _f("E1", "[1]!Total") + "</row>")
    model = load_workbook_model(_with_link(tmp_path / "n.xlsx", rows))
    report = compute(model, dt.date(2024, 1, 1))
    g = model.sheets[0].grid
    assert [g.value(0, j) for j in range(3)] == [7.0, "EUR", 3.5]
    # a name it stored no definition of, or none at all: kept as cached, never a made-up #NAME?
    assert [(p.cell, p.kind) for p in report.problems] == [("Sheet1!D1", "external link"), ("Sheet1!E1", "external link")]
