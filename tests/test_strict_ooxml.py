"""Strict Open XML workbooks (Excel's "Strict Open XML Spreadsheet"), and those Excel 2007's beta saved, are
read as what they are: the Transitional elements in other namespaces. Reading commands give the
Transitional file's results; commands that write into the planner refuse them, naming the format."""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
import python_calamine

import broken_workbooks as bw
from corpus_cases import excel_2007_beta, strict
from ilt_xl import WorkbookError, read_planner
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.xlsx import open_xlsx
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN, as_transitional

STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
BETA = "http://schemas.microsoft.com/office/excel/2006/2"


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("strict")
    transitional = bw.write_planner(folder / "transitional.xlsx")
    return transitional, strict(folder / "strict.xlsx", transitional)


def test_strict_names_become_their_transitional_twins_and_others_stay():
    root = ElementTree.fromstring(
        f'<workbook xmlns="{STRICT_MAIN}" xmlns:r="{STRICT_REL}" xmlns:mc="{MC}" mc:Ignorable="x">'
        f'<sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets></workbook>')
    out = as_transitional(root)
    sheet = out.find(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet")
    assert out.tag == f"{{{NS_MAIN}}}workbook" and sheet is not None
    assert sheet.attrib == {"name": "A", "sheetId": "1", f"{{{NS_DOC_REL}}}id": "rId1"}
    assert out.attrib == {f"{{{MC}}}Ignorable": "x"}


def test_a_strict_planner_reads_as_the_transitional_one(pair):
    transitional, strict_file = pair
    with open_xlsx(transitional) as a, open_xlsx(strict_file) as b:
        assert (a.dialect, b.dialect) == (None, "Strict Open XML")
        assert (b.sheets, b.defined_names, b.tables, b.date1904) == (a.sheets, a.defined_names, a.tables, a.date1904)
        assert b.tables and b.defined_names
    a, b = read_planner(transitional), read_planner(strict_file)
    assert b.problems == a.problems == []
    for name, frame in a.tables.items():
        pd.testing.assert_frame_equal(b.tables[name], frame)


def _sheets(path: Path) -> dict[str, list[list]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_recalc_of_a_strict_workbook_computes_what_the_transitional_one_does_and_keeps_it_strict(pair, tmp_path):
    transitional, strict_file = pair
    a = recalculate(transitional, tmp_path / "t.xlsx")
    b = recalculate(strict_file, tmp_path / "s.xlsx")
    assert b.cells_computed == a.cells_computed > 100 and b.kept_count == a.kept_count == 0
    assert _sheets(tmp_path / "s.xlsx") == _sheets(tmp_path / "t.xlsx")
    with zipfile.ZipFile(strict_file) as src, zipfile.ZipFile(tmp_path / "s.xlsx") as out:
        assert out.read("xl/workbook.xml") == src.read("xl/workbook.xml")
        for name in out.namelist():
            if name.endswith((".xml", ".rels")):
                data = out.read(name)
                ElementTree.fromstring(data)                  # well-formed
                if name.startswith("xl/worksheets/sheet"):
                    assert STRICT_MAIN.encode() in data and b"schemas.openxmlformats.org/spreadsheetml" not in data


def test_commands_that_write_into_the_planner_refuse_a_strict_one(pair):
    with pytest.raises(WorkbookError, match="Strict Open XML"):
        PackageEditor(pair[1])
    PackageEditor(pair[0]).close()


def test_excel_2007_beta_names_become_transitional_ones():
    root = ElementTree.fromstring(f'<sst xmlns="{BETA}" count="1"><sstItem><t>Lorem</t></sstItem></sst>')
    out = as_transitional(root)
    assert [el.tag for el in out.iter()] == [f"{{{NS_MAIN}}}sst", f"{{{NS_MAIN}}}si", f"{{{NS_MAIN}}}t"]


def test_an_excel_2007_beta_workbook_recalculates_as_the_transitional_one(pair, tmp_path):
    transitional = pair[0]
    beta = excel_2007_beta(tmp_path / "beta.xlsx", transitional)
    with open_xlsx(transitional) as a, open_xlsx(beta) as b:
        assert (b.dialect, b.sheets, b.defined_names, b.tables) == ("Excel 2007 beta", a.sheets, a.defined_names, a.tables)
    a = recalculate(transitional, tmp_path / "t.xlsx")
    b = recalculate(beta, tmp_path / "b.xlsx")
    assert b.cells_computed == a.cells_computed > 100 and b.kept_count == a.kept_count == 0
    with zipfile.ZipFile(tmp_path / "t.xlsx") as t, zipfile.ZipFile(tmp_path / "b.xlsx") as out:
        sheets = [name for name in t.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets and all(out.read(name).replace(BETA.encode(), NS_MAIN.encode()) == t.read(name) for name in sheets)
    with pytest.raises(WorkbookError, match="Excel 2007 beta"):
        PackageEditor(beta)
