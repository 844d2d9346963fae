"""Lossless write-back: every zip part other than the sheets' XML is byte-identical after recalc;
atomic writes leave nothing partial and never touch the input."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import types
import zipfile

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation

from ilt_xl.engine import cell_locator, cell_pieces, writeback
from ilt_xl.engine.recalc import recalculate
from ilt_xl.xlsx import WorkbookError

TODAY = dt.date(2025, 3, 1)


def _rich_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Item", "Qty", "Price", "Total"])
    for i in range(1, 6):
        ws.append([f"I{i}", i, 2.5 * i, f"=B{i + 1}*C{i + 1}"])
    ws["F1"] = "=SUM(D2:D6)"
    ws["A1"].comment = Comment("what an item is", "ilt-xl")
    dv = DataValidation(type="list", formula1='"I1,I2,I3"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("A2:A6")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=6), titles_from_data=True)
    ws.add_chart(chart, "H2")
    conf = wb.create_sheet("xlwings.conf")
    conf["A1"], conf["B1"] = "UDF MODULES", "ilt_udfs"
    wb.save(path)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _order(path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.compress_type) for i in z.infolist()]


def _sheet_parts(path) -> set[str]:
    from ilt_xl.engine.workbook_model import load_workbook_model
    return {s.part for s in load_workbook_model(path).sheets if len(s.formulas.rows)}


def test_every_other_part_is_byte_identical(tmp_path):
    src = tmp_path / "rich.xlsx"
    _rich_workbook(src)
    out = tmp_path / "rich.recalc.xlsx"
    report = recalculate(src, out, today=TODAY)
    assert report.problems == []
    before, after = _parts(src), _parts(out)
    patched = _sheet_parts(src)
    assert patched == {"xl/worksheets/sheet1.xml"}
    assert _order(src) == _order(out)
    for name, data in before.items():
        if name not in patched:
            assert after[name] == data, name
    assert any(n.startswith("xl/charts/") for n in before)          # the chart is there, unchanged
    assert b"dataValidation" in after["xl/worksheets/sheet1.xml"]   # validation kept in the patched sheet
    got = openpyxl.load_workbook(out, data_only=True)["Data"]
    assert got["F1"].value == sum(i * 2.5 * i for i in range(1, 6))
    assert openpyxl.load_workbook(out)["Data"]["D2"].value == "=B2*C2"   # formulas kept


def _xlsm(path):
    """An .xlsm: a workbook with a VBA project part, its relationship and content type."""
    plain = path.with_suffix(".tmp.xlsx")
    _rich_workbook(plain)
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2048)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/'
                                    b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", vba)
    plain.unlink()
    return vba


def test_xlsm_keeps_its_vba_project(tmp_path):
    src = tmp_path / "macro.xlsm"
    vba = _xlsm(src)
    out = tmp_path / "macro.recalc.xlsm"
    recalculate(src, out, today=TODAY)
    before, after = _parts(src), _parts(out)
    assert after["xl/vbaProject.bin"] == vba
    for name, data in before.items():
        if name != "xl/worksheets/sheet1.xml":
            assert after[name] == data, name


def test_values_only_drops_calc_chain_consistently(tmp_path):
    src = tmp_path / "chain.xlsx"
    _rich_workbook(src)
    with_chain = tmp_path / "with_chain.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(with_chain, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdCc" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
            zout.writestr(info, data)
        zout.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      '<c r="D2" i="1"/></calcChain>')
    kept = tmp_path / "kept.xlsx"
    recalculate(with_chain, kept, today=TODAY)
    assert "xl/calcChain.xml" in _parts(kept)
    values = tmp_path / "values.xlsx"
    recalculate(with_chain, values, today=TODAY, values_only=True)
    parts = _parts(values)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"<f>" not in parts["xl/worksheets/sheet1.xml"]
    assert openpyxl.load_workbook(values)["Data"]["F1"].value == pytest.approx(137.5)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failed_write_leaves_nothing_and_the_input_untouched(tmp_path, monkeypatch):
    src = tmp_path / "rich.xlsx"
    _rich_workbook(src)
    digest = _digest(src)

    def boom(*args, **kwargs):
        raise WorkbookError("rich.xlsx", "simulated failure while patching")

    monkeypatch.setattr(writeback, "patch_pieces", boom)
    out = tmp_path / "out.xlsx"
    with pytest.raises(WorkbookError):
        recalculate(src, out, today=TODAY)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rich.xlsx"]   # no temporary file left
    assert _digest(src) == digest
    with pytest.raises(WorkbookError):                                  # even in place
        recalculate(src, src, today=TODAY)
    assert _digest(src) == digest


def test_missing_output_folder_is_an_os_error(tmp_path):
    src = tmp_path / "rich.xlsx"
    _rich_workbook(src)
    with pytest.raises(OSError):
        recalculate(src, tmp_path / "nope" / "out.xlsx", today=TODAY)


def _raw_members(path) -> dict[str, bytes]:
    """Each member's compressed bytes as stored."""
    from ilt_xl.xlsx.zip_members import data_offset
    with zipfile.ZipFile(path) as z:
        out = {}
        for info in z.infolist():
            z.fp.seek(data_offset(z.fp, info))
            out[info.filename] = z.fp.read(info.compress_size)
        return out


def test_a_sheet_whose_cached_values_are_right_is_copied_as_stored(tmp_path):
    """A workbook recalculated again (every cached value already what is computed) gets its sheets
    copied as their compressed bytes, not rewritten; one wrong cached value and the sheet is patched."""
    src, once, again, twice = (tmp_path / f"{n}.xlsx" for n in ("rich", "once", "again", "twice"))
    _rich_workbook(src)
    recalculate(src, once, today=TODAY)
    # deflated at level 1, which no rewrite of a part this small uses: a sheet rewritten would differ
    with zipfile.ZipFile(once) as zin, zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    assert recalculate(again, twice, today=TODAY).problems == []
    assert _raw_members(twice) == _raw_members(again)
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<v>137.5</v>" in _parts(once)[sheet]
    wrong = tmp_path / "wrong.xlsx"
    with zipfile.ZipFile(once) as zin, zipfile.ZipFile(wrong, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace(b"<v>137.5</v>", b"<v>1</v>") if info.filename == sheet else data)
    fixed = tmp_path / "fixed.xlsx"
    recalculate(wrong, fixed, today=TODAY)
    assert _parts(fixed)[sheet] == _parts(once)[sheet]
    assert openpyxl.load_workbook(fixed, data_only=True)["Data"]["F1"].value == 137.5


def _with_sheet(source, target, sheet: str, data: bytes) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == sheet else zin.read(info))


@pytest.mark.parametrize("cell", ["F1", "D2", "D4", "D6"])
def test_a_cell_cached_wrong_in_any_segment_is_patched(tmp_path, monkeypatch, cell):
    """The formula cells cut into segments of two, looked at two segments at a time: a wrong cached
    value, or the right text under a wrong type, in any segment and the sheet is patched (as it is
    when recalculated from scratch); all of them right and it is copied as stored."""
    monkeypatch.setattr(cell_pieces, "CHUNK", 2)
    monkeypatch.setattr(writeback, "_CHECKED_TOGETHER", 2)
    src, once, again = (tmp_path / f"{n}.xlsx" for n in ("rich", "once", "again"))
    _rich_workbook(src)
    recalculate(src, once, today=TODAY)
    sheet = "xl/worksheets/sheet1.xml"
    right = _parts(once)[sheet]
    tag = f'<c r="{cell}"'.encode()
    start = right.index(tag)
    end = right.index(b"</c>", start)
    value = right.index(b"<v>", start, end) + 3
    assert b" t=" not in right[start:value]                          # a number
    _with_sheet(once, again, sheet, right)
    recalculate(again, tmp_path / "same.xlsx", today=TODAY)
    assert _raw_members(tmp_path / "same.xlsx")[sheet] == _raw_members(again)[sheet]
    for wrong in (right[:value] + b"7" + right[right.index(b"</v>", value):],     # another number
                  right[:start + len(tag)] + b' t="str"' + right[start + len(tag):]):        # the same, as text
        _with_sheet(once, again, sheet, wrong)
        fixed = tmp_path / "fixed.xlsx"
        recalculate(again, fixed, today=TODAY)
        assert _parts(fixed)[sheet] == right


def test_number_texts_without_the_compiled_ones_are_pythons(monkeypatch):
    """No compiled locator, or one built before number_texts (an editable install not rebuilt after a
    pull): the Python texts, not a failure."""
    x = np.array([0.1, 2.0, -0.0, 1e15, 1 / 3])
    want = [b"0.1", b"2", b"0", b"1000000000000000.0", b"0.3333333333333333"]
    for stale in (None, types.SimpleNamespace()):
        monkeypatch.setattr(cell_locator, "compiled", stale)
        assert writeback.number_texts(x) == want
