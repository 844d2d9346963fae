"""ilt_xl.workbook.sheet_writer: one table's rows rewritten, every other part untouched."""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableFormula

from ilt_xl.workbook.sheet_writer import replace_table_rows, write_tables
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.xlsx.errors import WorkbookError
from tests.libreoffice import soffice_available

OVERDUE = 'IF(Checklist[[#This Row],[Status]]="Open","Overdue","")'


def _workbook(path: Path, *, rows: int = 2, totals: bool = False, below: str | None = None) -> Path:
    """A small workbook: a Checklist table with a calculated column, a validation, a conditional
    format, a cell beside the table, another sheet; optionally content below the table."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Checklist"
    ws.append(["SessionId", "DueDate", "Status", "Notes", "Overdue", None, "side"])
    for i in range(rows):
        ws.append([f"S{i + 1}", dt.date(2025, 1, 2 + i), "Open", f"n{i + 1}", "=" + OVERDUE])
        ws.cell(i + 2, 2).number_format = "yyyy-mm-dd"
    ws["G2"] = "beside the table"
    last = rows + 1
    if totals:
        ws.cell(last + 1, 1, "Total")
        ws.cell(last + 1, 4, "=SUBTOTAL(103,Checklist[Notes])")
    if below:
        ws[below] = "someone's note"
    table = Table(displayName="Checklist", name="Checklist", ref=f"A1:E{last + int(totals)}")
    table._initialise_columns()
    for column, name in zip(table.tableColumns, ["SessionId", "DueDate", "Status", "Notes", "Overdue"]):
        column.name = name
    table.tableColumns[4].calculatedColumnFormula = TableFormula(attr_text=OVERDUE)
    if totals:
        table.totalsRowCount = 1
    ws.add_table(table)
    validation = DataValidation("list", formula1='"Open,Done,Cancelled"')
    validation.add(f"C2:C{last}")
    ws.add_data_validation(validation)
    ws.conditional_formatting.add(f"E2:E{last}", CellIsRule(operator="equal", formula=['"Overdue"']))
    wb.create_sheet("Other")["A1"] = "untouched"
    wb.save(path)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "SessionId": [f"T{i}" for i in range(n)],
        "DueDate": pd.date_range("2025-03-03", periods=n, freq="D"),
        "Status": ["Open", "Done"] * (n // 2) + ["Open"] * (n % 2),
        "Notes": [f"note {i}" for i in range(n)],
    })


def test_growing_rewrites_only_the_sheet_and_its_table(tmp_path):
    source = _workbook(tmp_path / "in.xlsx")
    before = _parts(source)
    out = tmp_path / "out.xlsx"
    write_tables(source, out, {"Checklist": _frame(5)})
    after = _parts(out)
    assert _parts(source) == before, "the input is never touched"
    assert list(after) == list(before), "same parts, same order"
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}

    ws = openpyxl.load_workbook(out)["Checklist"]
    rows = list(ws.iter_rows(min_row=2, max_row=6, max_col=5, values_only=True))
    assert [r[0] for r in rows] == ["T0", "T1", "T2", "T3", "T4"]
    assert rows[2][1] == dt.datetime(2025, 3, 5)
    assert ws["B4"].number_format == "yyyy-mm-dd", "dates keep the column's date style"
    assert all(r[4] == "=" + OVERDUE for r in rows), "calculated column on every row"
    assert ws["G2"].value == "beside the table"
    table = ws.tables["Checklist"]
    assert table.ref == "A1:E6" and table.autoFilter.ref == "A1:E6"
    sheet = after["xl/worksheets/sheet1.xml"].decode()
    assert '<dimension ref="A1:G6"' in sheet
    assert 'sqref="C2:C6"' in sheet and 'sqref="E2:E6"' in sheet


def test_shrinking_keeps_cells_beside_and_never_shrinks_validation(tmp_path):
    source = _workbook(tmp_path / "in.xlsx", rows=6)
    out = tmp_path / "out.xlsx"
    write_tables(source, out, {"Checklist": _frame(1)})
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert ws.tables["Checklist"].ref == "A1:E2"
    assert ws["A2"].value == "T0" and ws["A3"].value is None and ws["E3"].value is None
    assert ws["G2"].value == "beside the table"
    sheet = _parts(out)["xl/worksheets/sheet1.xml"].decode()
    assert 'sqref="C2:C7"' in sheet, "validation ranges are extended, never shrunk"
    assert '<dimension ref="A1:G2"' in sheet


def test_empty_frame_leaves_one_blank_row(tmp_path):
    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx"), out, {"Checklist": _frame(0)})
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert ws.tables["Checklist"].ref == "A1:E2"
    assert [c.value for c in ws[2][:4]] == [None, None, None, None]
    assert ws["E2"].value == "=" + OVERDUE


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    frame = pd.DataFrame({"SessionId": ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rY"],
                          "Notes": ["<b>&amp;</b>", "bell\x07", " padded ", "a_x0041_b", None, "ok"]})
    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx"), out, {"Checklist": frame})
    sheet = _parts(out)["xl/worksheets/sheet1.xml"].decode()
    data = sheet[sheet.index('<row r="2"'):sheet.index("</sheetData>")]
    # the calculated column is one shared formula: its text in E2, the five rows below share it
    assert data.count("<f") == 6 and data.count('<f t="shared" si="0"/>') == 5, "only the calculated column holds formulas"
    from python_calamine import CalamineWorkbook

    values = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Checklist").to_python()
    assert [r[0] for r in values[1:7]] == ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rY"]
    assert [r[3] for r in values[1:7]] == ["<b>&amp;</b>", "bell\x07", " padded ", "a_x0041_b", "", "ok"]


def test_numbers_booleans_and_missing_values(tmp_path):
    frame = pd.DataFrame({"SessionId": [1, 2.5, True, None], "Notes": [float("nan"), 10**12, 0.1, pd.NA]})
    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx"), out, {"Checklist": frame})
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert [ws.cell(r, 1).value for r in range(2, 6)] == [1, 2.5, True, None]
    assert [ws.cell(r, 4).value for r in range(2, 6)] == [None, 10**12, 0.1, None]


def test_date_values_in_a_column_without_date_style_get_one(tmp_path):
    frame = pd.DataFrame({"Notes": [dt.date(2025, 5, 1)]})
    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx"), out, {"Checklist": frame})
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert ws["D2"].value == dt.datetime(2025, 5, 1)
    assert ws["D2"].is_date


def test_bad_requests_are_refused_with_their_location(tmp_path):
    source = _workbook(tmp_path / "in.xlsx", below="B9")
    package = PackageEditor(source)
    with pytest.raises(WorkbookError, match="no column named 'Nope'"):
        replace_table_rows(package, "Checklist", pd.DataFrame({"Nope": [1]}))
    with pytest.raises(WorkbookError, match="Overdue is calculated"):
        replace_table_rows(package, "Checklist", pd.DataFrame({"Overdue": ["x"]}))
    with pytest.raises(WorkbookError, match="no table named Missing"):
        replace_table_rows(package, "Missing", pd.DataFrame())
    with pytest.raises(WorkbookError, match="cell B9 below or beside it holds data"):
        replace_table_rows(package, "Checklist", _frame(10))
    assert package.changed == set()


def test_totals_row_moves_with_the_table(tmp_path):
    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx", totals=True), out, {"Checklist": _frame(4)})
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert ws.tables["Checklist"].ref == "A1:E6"
    assert ws["A6"].value == "Total" and ws["D6"].value == "=SUBTOTAL(103,Checklist[Notes])"
    assert ws["A4"].value == "T2"


def test_a1_formula_of_the_first_row_is_shifted_per_row(tmp_path):
    source = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T"
    ws.append(["A", "B", "Sum"])
    ws.append([1, 2, "=A2+B2+$A$1"])
    ws.add_table(Table(displayName="Tab", ref="A1:C2"))
    wb.save(source)
    out = tmp_path / "out.xlsx"
    write_tables(source, out, {"Tab": pd.DataFrame({"A": [1, 2, 3], "B": [4, 5, 6]})})
    ws = openpyxl.load_workbook(out)["T"]
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == ["=A2+B2+$A$1", "=A3+B3+$A$1", "=A4+B4+$A$1"]


def test_reshape_rewrites_header_and_columns(tmp_path):
    out = tmp_path / "out.xlsx"
    frame = pd.DataFrame({"SessionId": ["X"], "Status": ["Open"], "2025-W01": [3], "2025-W02": [0]})
    source = _workbook(tmp_path / "in.xlsx")
    package = PackageEditor(source)
    with pytest.raises(WorkbookError, match="cell G1 below or beside it"):
        replace_table_rows(package, "Checklist", frame.assign(Extra=1, More=2, Most=3), reshape=True)
    package = PackageEditor(source)
    replace_table_rows(package, "Checklist", frame, reshape=True)
    package.save(out)
    ws = openpyxl.load_workbook(out)["Checklist"]
    assert [c.value for c in ws[1][:5]] == ["SessionId", "Status", "2025-W01", "2025-W02", None]
    assert [c.value for c in ws[2][:5]] == ["X", "Open", 3, 0, None]
    assert [c.name for c in ws.tables["Checklist"].tableColumns] == ["SessionId", "Status", "2025-W01", "2025-W02"]
    ids = [c.id for c in ws.tables["Checklist"].tableColumns]
    assert len(set(ids)) == 4


def test_calc_chain_loses_entries_of_rewritten_cells(tmp_path):
    source = _workbook(tmp_path / "in.xlsx")
    package = PackageEditor(source)
    package.write("xl/calcChain.xml", '<?xml version="1.0"?><calcChain xmlns="http://schemas.openxmlformats.org/'
                  'spreadsheetml/2006/main"><c r="E2" i="1"/><c r="E3"/><c r="A1" i="2"/></calcChain>')
    package.add_content_type("xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")
    package.add_relationship("xl/workbook.xml", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain",
                             "xl/calcChain.xml")
    replace_table_rows(package, "Checklist", _frame(1))
    chain = package.text("xl/calcChain.xml")
    assert re.findall(r'<c [^>]*/>', chain) == ['<c r="A1" i="2"/>']
    package.write("xl/calcChain.xml", chain.replace('<c r="A1" i="2"/>', '<c r="E2" i="1"/>'))
    replace_table_rows(package, "Checklist", _frame(1))
    assert not package.has("xl/calcChain.xml"), "an emptied chain is dropped"
    assert "calcChain" not in package.text("[Content_Types].xml")
    assert "calcChain" not in package.text("xl/_rels/workbook.xml.rels")


def test_in_place_write_is_atomic_and_leaves_no_temp_file(tmp_path):
    source = _workbook(tmp_path / "in.xlsx")
    write_tables(source, source, {"Checklist": _frame(3)})
    assert openpyxl.load_workbook(source)["Checklist"]["A4"].value == "T2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice not installed")
def test_libreoffice_reads_the_rewritten_table(tmp_path):
    import subprocess

    out = tmp_path / "out.xlsx"
    write_tables(_workbook(tmp_path / "in.xlsx"), out, {"Checklist": _frame(3)})
    csv_dir = tmp_path / "csv"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "csv", "--outdir", str(csv_dir), str(out)], check=True, capture_output=True, timeout=180)
    lines = (csv_dir / "out.csv").read_text().splitlines()
    assert lines[1:4] == ["T0,2025-03-03,Open,note 0,Overdue,,beside the table",
                          "T1,2025-03-04,Done,note 1,,,",
                          "T2,2025-03-05,Open,note 2,Overdue,,"]
