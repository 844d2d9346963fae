"""The planner template written by build_planner, checked against the schema, and the `new` command."""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.schema import PLANNER
from ilt_xl.workbook.builder import build_planner

# Functions that Excel 2007+ (so no _xlfn. prefix) and LibreOffice 7.4 both know.
# Functions both Excel 2010+ and LibreOffice 7.4 know: the planner uses no other (and no ILT_* function).
PORTABLE_FUNCTIONS = {
    "AND", "AVERAGEIFS", "CHOOSE", "COUNTIF", "COUNTIFS", "DATE", "EDATE", "IF", "IFERROR", "INDEX", "ISNUMBER",
    "ISTEXT", "MATCH", "MIN", "MONTH", "N", "NA", "OR", "ROUND", "ROUNDUP", "SUMIFS", "T", "TODAY", "WORKDAY", "YEAR",
}
TOOLS = "Tools"  # the optional sheet showing the add-in's functions


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = build_planner(tmp_path_factory.mktemp("template") / "planner.xlsx")
    return openpyxl.load_workbook(path)


def _all_formulas(wb):
    """Every formula of the planner (cells and table column formulas), the Tools sheet's excepted."""
    for ws in wb.worksheets:
        if ws.title == TOOLS:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield ws.title, cell
    for table in PLANNER.tables:
        for column in wb[table.name].tables[table.name].tableColumns:
            if column.calculatedColumnFormula is not None:
                yield table.name, column.calculatedColumnFormula.attr_text


def test_sheets_come_in_schema_order(template):
    assert template.sheetnames == ["Settings", *PLANNER.table_names, "Availability", "Problems", "Dashboard", "Tools", "xlwings.conf"]


def test_command_sheets_are_there_as_the_commands_make_them(template):
    """Availability and Problems exist empty, so a command only rewrites them; xlwings.conf names the UDF module."""
    for sheet, columns, frozen in (("Availability", ["Kind", "Resource", "Name"], "D2"),
                                   ("Problems", ["Severity", "Sheet", "Cell", "Column", "Value", "Expected", "Message"], "A2")):
        ws = template[sheet]
        table = ws.tables[sheet]
        assert [c.name for c in table.tableColumns] == columns and table.ref == f"A1:{chr(64 + len(columns))}2"
        assert [c.value for c in ws[1]] == columns and ws.freeze_panes == frozen
    conf = template["xlwings.conf"]
    assert [[c.value for c in row] for row in conf.iter_rows()] == [["UDF MODULES", "udfs.ilt_udfs"]]
    assert conf.sheet_state == "hidden"  # technical; xlwings reads it hidden, udfs/README.md says how to unhide it


def test_the_planner_prints_one_page_wide_with_headers_and_ids_repeated_and_opens_on_the_dashboard(tmp_path):
    """Read from the XML itself, as Excel and LibreOffice read it."""
    import zipfile

    path = build_planner(tmp_path / "p.xlsx")
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" state="(\w+)" r:id="(rId\d+)"', workbook)
        rels = {i: t for t, i in re.findall(r'Target="/?(?:xl/)?([^"]+)" Id="(rId\d+)"',
                                            z.read("xl/_rels/workbook.xml.rels").decode())}
        titles = dict(re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]+)<', workbook))
        assert int(re.search(r'activeTab="(\d+)"', workbook).group(1)) == [s[0] for s in sheets].index("Dashboard")
        for index, (name, state, rel) in enumerate(sheets):
            xml = z.read("xl/" + rels[rel]).decode()
            assert state == ("hidden" if name == "xlwings.conf" else "visible"), name
            if name in (*PLANNER.table_names, "Availability", "Problems"):
                setup = re.search(r"<pageSetup [^>]*>", xml).group(0)
                assert 'orientation="landscape"' in setup and 'fitToWidth="1"' in setup and 'fitToHeight="0"' in setup
                assert re.search(r'<pageSetUpPr fitToPage="1"', xml), name
                key = "$A:$C" if name == "Availability" else "$A:$A"
                assert titles[str(index)] == f"'{name}'!$1:$1,'{name}'!{key}", name
            if name == "Dashboard":
                assert 'tabSelected="1"' in xml


@pytest.mark.parametrize("table", PLANNER.tables, ids=lambda t: t.name)
def test_each_sheet_holds_one_table_named_like_it_with_the_schema_columns(template, table):
    ws = template[table.name]
    assert list(ws.tables) == [table.name]
    excel_table = ws.tables[table.name]
    last = openpyxl.utils.get_column_letter(len(table.columns))
    assert excel_table.ref == f"A1:{last}2"  # header + one empty row
    assert [c.value for c in ws[1]] == list(table.column_names)
    assert [c.name for c in excel_table.tableColumns] == list(table.column_names)
    for index, column in enumerate(table.columns, start=1):
        body = ws.cell(2, index)
        spec = excel_table.tableColumns[index - 1].calculatedColumnFormula
        if column.calculated:
            assert body.value == table.formula_of(column.name)
            assert spec.attr_text == table.formula_of(column.name)[1:]
            assert "[@" not in body.value  # long form only
            assert body.protection.locked and body.fill.fgColor.rgb.endswith("E7E6E6")
        else:
            assert body.value is None and spec is None
            assert not body.protection.locked
        assert body.number_format == column.format
        assert ws.column_dimensions[openpyxl.utils.get_column_letter(index)].width >= 8
        comment = ws.cell(1, index).comment
        assert comment is not None and column.description in comment.text
    assert ws.freeze_panes in ("A2", "B2")


def test_settings_are_named_cells_with_defaults_and_validations(template):
    ws = template["Settings"]
    for row, setting in enumerate(PLANNER.settings, start=2):
        assert template.defined_names[setting.name].attr_text == f"Settings!$B${row}"
        assert ws.cell(row, 1).value == setting.name
        expected = setting.formula or setting.default
        assert ws.cell(row, 2).value == expected
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    row = {s.name: i for i, s in enumerate(PLANNER.settings, start=2)}
    assert validations[f"B{row['AllocationMethod']}"].formula1 == '"headcount,attended,equal,learner_hours"'
    fiscal = validations[f"B{row['FiscalYearStartMonth']}"]
    assert (fiscal.type, fiscal.formula1, fiscal.formula2) == ("whole", "1", "12")
    assert "EUR" in validations[f"B{row['ReportingCurrency']}"].formula1


def test_drop_downs_list_allowed_values_and_repository_ids(template):
    ws = template["Sessions"]
    by_col = {}
    for v in ws.data_validations.dataValidation:
        by_col[str(v.sqref).split(":")[0].rstrip("0123456789")] = v
    letter = {name: openpyxl.utils.get_column_letter(i) for i, name in enumerate(PLANNER.table("Sessions").column_names, 1)}
    assert by_col[letter["Status"]].formula1 == '"Planned,Confirmed,Delivered,Cancelled"'
    assert by_col[letter["CourseId"]].formula1 == "CourseIdList"
    assert by_col[letter["RoomId"]].formula1 == "RoomIdList"
    assert by_col[letter["InstructorId"]].formula1 == "InstructorIdList"
    assert str(by_col[letter["Status"]].sqref) == f"{letter['Status']}2"  # the one empty row
    assert template.defined_names["CourseIdList"].attr_text == "Courses[CourseId]"
    assert template.defined_names["BusinessUnitList"].attr_text == "BusinessUnits[BusinessUnit]"
    currency = next(v for v in template["Rooms"].data_validations.dataValidation if str(v.sqref).startswith("G"))
    assert currency.type == "list" and "CHF" in currency.formula1 and currency.errorStyle == "warning"


def test_conditional_formats_mark_risk_capacity_conflict_and_overdue(template):
    def rules(sheet):
        return {(str(cf.sqref), r.operator, r.formula[0]) for cf in template[sheet].conditional_formatting for r in cf.rules}

    sessions = {n: openpyxl.utils.get_column_letter(i) for i, n in enumerate(PLANNER.table("Sessions").column_names, 1)}
    assert (f"{sessions['GoNoGo']}2", "equal", '"At risk"') in rules("Sessions")
    assert (f"{sessions['Occupancy']}2", "greaterThan", "1") in rules("Sessions")
    assert (f"{sessions['ConflictFlag']}2", "equal", '"Conflict"') in rules("Sessions")
    assert ("K2", "equal", '"Overdue"') in rules("Checklist")


def test_dashboard_has_kpis_by_year_and_native_charts(template):
    ws = template["Dashboard"]
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    for label in ("Sessions delivered", "Sessions cancelled", "Cancellation rate (cancelled / all)",
                  "Average occupancy of delivered sessions", "Learners (attended, delivered sessions)",
                  "Learner-hours (delivered sessions)"):
        assert label in labels
    assert any(isinstance(v, str) and "ReportingCurrency" in v and "Cost per learner" in v for v in labels)
    assert len(ws._charts) >= 2
    titles = {"".join(r.t for p in c.title.tx.rich.p for r in (p.r or [])) for c in ws._charts}
    assert {"Occupancy by month", "Budget and cost by business unit"} <= titles


def test_only_portable_functions_and_no_shorthand_references(template):
    used = set()
    for _, formula in _all_formulas(template):
        text = formula.value if hasattr(formula, "value") else formula
        used |= set(re.findall(r"([A-Z_][A-Z0-9_.]*)\(", re.sub(r'"[^"]*"', '""', text)))
        assert "[@" not in text and "_xlfn" not in text and "_xludf" not in text
    assert used <= PORTABLE_FUNCTIONS, used - PORTABLE_FUNCTIONS


def test_data_is_written_typed_and_blank_stays_blank(tmp_path):
    data = {
        "Rooms": pd.DataFrame({"RoomId": ["R1", "R2"], "Name": ["Dune", "Delta"], "Site": ["Windhoek", "Lyon"],
                               "Country": ["NA", "FR"], "Capacity": [12, 20], "DayRate": [2500.5, None],
                               "Currency": ["NAD", "EUR"]}),
        "Sessions": pd.DataFrame({"SessionId": ["S1"], "CourseId": ["C1"], "Status": ["Planned"],
                                  "StartDate": pd.to_datetime(["2026-03-02"]), "EndDate": pd.to_datetime(["2026-03-04"]),
                                  "StartTime": [dt.time(9, 30)], "Notes": ["  spaced <&> "]}),
    }
    path = build_planner(tmp_path / "p.xlsx", data, as_of=dt.date(2026, 2, 1))
    wb = openpyxl.load_workbook(path)
    rooms = wb["Rooms"]
    assert rooms.tables["Rooms"].ref == "A1:H3"
    assert [c.value for c in rooms[2]] == ["R1", "Dune", "Windhoek", "NA", 12, 2500.5, "NAD", None]   # TimeZone blank
    assert [c.value for c in rooms[3]] == ["R2", "Delta", "Lyon", "FR", 20, None, "EUR", None]
    sessions = wb["Sessions"]
    row = {h.value: c for h, c in zip(sessions[1], sessions[2])}
    assert row["StartDate"].value == dt.datetime(2026, 3, 2) and row["StartDate"].number_format == "yyyy-mm-dd"
    assert row["StartTime"].value == dt.time(9, 30)
    assert row["Notes"].value == "  spaced <&> "
    assert row["RoomId"].value is None
    assert row["Days"].value == PLANNER.table("Sessions").formula_of("Days")
    assert wb["Settings"]["B8"].value == dt.datetime(2026, 2, 1)  # AsOfDate frozen
    assert wb["Courses"].tables["Courses"].ref.endswith("2")  # untouched tables keep one empty row


def test_unknown_tables_columns_and_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no table"):
        build_planner(tmp_path / "x.xlsx", {"Course": pd.DataFrame()})
    with pytest.raises(ValueError, match="no column.*Colour"):
        build_planner(tmp_path / "x.xlsx", {"Rooms": pd.DataFrame({"Colour": ["red"]})})


def test_same_input_gives_the_same_bytes(tmp_path):
    a = build_planner(tmp_path / "a.xlsx").read_bytes()
    b = build_planner(tmp_path / "b.xlsx").read_bytes()
    assert a == b


# ----------------------------------------------------------------------------- CLI


def test_new_writes_the_template_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    path = tmp_path / "planner.xlsx"
    result = runner.invoke(app, ["new", str(path)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames[0] == "Settings"
    before = path.read_bytes()
    result = runner.invoke(app, ["new", str(path), "--example", "--sessions", "30"])
    assert result.exit_code == 3
    assert "already exists" in result.output and "--force" in result.output
    assert path.read_bytes() == before
    result = runner.invoke(app, ["new", str(path), "--example", "--sessions", "30", "--seed", "7", "--force"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path)["Sessions"].max_row == 31
    assert sorted(p.name for p in tmp_path.iterdir()) == ["planner.xlsx"]  # no temp file left behind


def test_new_rejects_bad_paths(tmp_path):
    runner = CliRunner(env={"COLUMNS": "80"})   # a pipe's width: messages stay one line however long the path
    assert runner.invoke(app, ["new", str(tmp_path / "planner.csv")]).exit_code == 2
    result = runner.invoke(app, ["new", str(tmp_path / "missing" / "planner.xlsx")])
    [message] = result.output.splitlines()
    assert result.exit_code == 3 and f"the folder {tmp_path / 'missing'} does not exist" in message


def test_characters_xml_cannot_hold_are_stored_as_excel_spells_them(tmp_path):
    import python_calamine

    names = ["bad\x01name", "tab\tkept", "literal _x0041_", "cr\rkept"]
    path = build_planner(tmp_path / "p.xlsx", {"Rooms": pd.DataFrame({"Name": names})})
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Rooms").to_python()
    column = rows[0].index("Name")
    assert [r[column] for r in rows[1:]] == names


@pytest.mark.parametrize("table, column, value, message", [
    ("Rooms", "Capacity", "twelve", "Rooms.Capacity"),
    ("Rooms", "DayRate", float("inf"), "infinite"),
    ("Sessions", "StartDate", "not a date", "Sessions.StartDate"),
])
def test_values_a_workbook_cannot_hold_are_refused_with_their_place(tmp_path, table, column, value, message):
    path = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match=message):
        build_planner(path, {table: pd.DataFrame({column: ["ok" if column == "Name" else 1, value]})})
    assert not path.exists()
