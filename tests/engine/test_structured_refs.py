"""Every structured-reference form rewritten to the A1 area it denotes (hand-computed areas)."""
from __future__ import annotations

import pytest

from ilt_xl.engine.structured_refs import StructuredRefError, rewrite
from ilt_xl.engine.workbook_model import Table

# Sales on sheet "My Sheet": header row 3, data rows 4..10, totals row 11, columns B..E
SALES = Table("Sales", "My Sheet", (3, 2, 11, 5), 1, 1, ["Id", "Unit Price", "Qty [pcs]", "A#b'c"])
OTHER = Table("Other", "O", (1, 1, 5, 2), 1, 0, ["Key", "Val"])
JAPANESE = Table("テーブル15", "O", (1, 4, 5, 4), 1, 0, ["Column1"])      # a name in another script (umya's issue 215)
TABLES = {"SALES": SALES, "OTHER": OTHER, "テーブル15": JAPANESE}
S = "'My Sheet'!"


@pytest.mark.parametrize("formula, expected", [
    ("Sales[@Id]", f"{S}$B6"),
    ("[@Id]", f"{S}$B6"),
    ("[@[Unit Price]]", f"{S}$C6"),
    ("Sales[Id]", f"{S}$B$4:$B$10"),
    ("Sales[[#This Row],[Unit Price]]", f"{S}$C6"),
    ("Sales[[#Headers],[Unit Price]]", f"{S}$C$3:$C$3"),
    ("Sales[#Totals]", f"{S}$B$11:$E$11"),
    ("Sales[[#Totals],[Id]]", f"{S}$B$11:$B$11"),
    ("Sales[#All]", f"{S}$B$3:$E$11"),
    ("Sales[#Data]", f"{S}$B$4:$E$10"),
    ("Sales[]", f"{S}$B$4:$E$10"),
    ("Sales[[Id]:[Unit Price]]", f"{S}$B$4:$C$10"),
    ("Sales[[#Data],[Unit Price]:[Qty '[pcs']]]", f"{S}$C$4:$D$10"),
    ("Sales[[#Headers],[#Data],[Id]]", f"{S}$B$3:$B$10"),
    ("Sales[[#Data],[#Totals],[Id]]", f"{S}$B$4:$B$11"),
    ("Sales[Qty '[pcs']]", f"{S}$D$4:$D$10"),
    ("Sales[[#This Row],[A'#b''c]]", f"{S}$E6"),
    ("Sales[@]", f"{S}$B6:$E6"),
    ("SUM(Other[Val])*[@Id]&\"[x]\"", "SUM('O'!$B$2:$B$5)*'My Sheet'!$B6&\"[x]\""),
    ("sales[id]", f"{S}$B$4:$B$10"),
    ("テーブル15[Column1]*4", "'O'!$D$2:$D$5*4"),
])
def test_forms(formula, expected):
    assert rewrite(formula, TABLES, "My Sheet", 6, 3) == expected


def test_this_row_outside_the_data_rows_is_value_error():
    assert rewrite("Sales[@Id]", TABLES, "My Sheet", 11, 3) == "#VALUE!"


def test_a_linked_workbook_s_own_name_becomes_a_name_of_its_sheetless_part():
    from ilt_xl.engine.external_links import sheet_name
    assert rewrite("[1]!Total*2", TABLES, "My Sheet", 6, 3) == f"'{sheet_name('1', '')}'!Total*2"


def test_headers_of_a_headerless_table_is_ref_error():
    t = Table("T", "S", (1, 1, 3, 1), 0, 0, ["X"])
    assert rewrite("T[#Headers]", {"T": t}, "S", 1, 1) == "#REF!"


@pytest.mark.parametrize("formula, message", [
    ("Nope[Id]", "no table named 'Nope'"),
    ("Sales[Price]", "has no column 'Price'"),
    ("Sales[#Everything]", "unknown special item"),
    ("Sales[[#This Row],[#Totals],[Id]]", "cannot be combined"),
    ("Sales[[#Headers],[#Totals]]", "not a contiguous area"),
    ("[1]!Table1[c]", "external link"),     # a table of a linked workbook (its names: test_external_links)
    ("Sales[Id", "unbalanced"),
])
def test_unsupported_or_wrong_forms_are_explained(formula, message):
    with pytest.raises(StructuredRefError, match=message.replace("[", r"\[").replace("]", r"\]")):
        rewrite(formula, TABLES, "My Sheet", 6, 3)


def test_table_less_reference_outside_a_table_is_explained():
    with pytest.raises(StructuredRefError, match="outside any table"):
        rewrite("[@Id]", TABLES, "O", 20, 9)


def test_brackets_inside_strings_and_sheet_names_are_left_alone():
    assert rewrite("\"Sales[Id]\"&'x[1]'!A1", TABLES, "My Sheet", 6, 3) == "\"Sales[Id]\"&'x[1]'!A1"


def test_a_column_name_with_a_line_break_as_excel_stores_it(tmp_path):
    # Excel stores the header "Purchase<LF> price" as the table column Purchase_x000a_ price, and
    # a formula typed with Alt+Enter inside the brackets holds CR LF raw in <f>: an XML reader
    # reads that as LF, so both name the same column
    import datetime as dt
    import zipfile

    import openpyxl
    from openpyxl.worksheet.table import Table as XlTable

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Item", "Price"], ["a", 2], ["b", 5]):
        ws.append(row)
    ws["D1"] = "=SUM(T[Price])"
    ws.add_table(XlTable(displayName="T", ref="A1:B3"))
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    path = tmp_path / "breaks.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/tables/"):
                data = data.replace(b'name="Price"', b'name="Pri_x000a_ ce"')
            elif item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"SUM(T[Price])", b"SUM(T[Pri\r\n ce])")
            dst.writestr(item, data)
    model = load_workbook_model(path)
    compute(model, dt.date(2024, 1, 1))
    assert model.sheet("Sheet").grid.value(0, 3) == 7.0


# The scan copies the characters between texts, quoted sheet names and brackets in runs: a table's
# name is the name characters copied just before its bracket, never those of a text or a sheet
T1 = Table("T1", "Sheet1", (1, 1, 10, 3), 1, 0, ["a", "b c", "d'e"])
TAB_X = Table("Tab.x", "My Sheet", (5, 2, 20, 4), 1, 1, ["Id", "[x]", "#n"])
SCANNED = {"T1": T1, "TAB.X": TAB_X}
_A = "'Sheet1'!$A$2:$A$10"


@pytest.mark.parametrize("formula, row, expected", [
    ("T1[a]+T1[@a]*T1[[#This Row],[b c]]", 3, f"{_A}+'Sheet1'!$A3*'Sheet1'!$B3"),
    ("T1[a]+T1[@a]*T1[[#This Row],[b c]]", 12, f"{_A}+#VALUE!*#VALUE!"),
    ('"T1[a]"&T1[a]&"say ""[x]"""', 3, f'"T1[a]"&{_A}&"say ""[x]"""'),
    ("'My Sheet'!A1+Tab.x[Id]", 3, "'My Sheet'!A1+'My Sheet'!$B$6:$B$19"),
    ("SUM(Tab.x[[#All],[Id]:[#n]])", 3, "SUM('My Sheet'!$B$5:$D$20)"),
    ("[1]Sheet1!A1+T1[a]", 3, f"'\u20651\u2065Sheet1'!A1+{_A}"),
    ("[1]!Rate+[@a]", 3, "'\u20651\u2065'!Rate+'Sheet1'!$A3"),
    ('IF(T1[@a]="","",T1[@[b c]])', 3, "IF('Sheet1'!$A3=\"\",\"\",'Sheet1'!$B3)"),
])
def test_references_among_texts_sheets_and_links(formula, row, expected):
    assert rewrite(formula, SCANNED, "Sheet1", row, 1) == expected


@pytest.mark.parametrize("formula, message", [
    ("ab[0]!cd+T1[@a]", "ab[0]: no table named 'ab'"),       # the name before [0]! is read as a table's
    ("Sheet1!T1[a]", "sheet-qualified structured reference ...!T1[a]"),
    ("'a''b'!T1[a]", "sheet-qualified structured reference ...!T1[a]"),
    ("テT1[a]", "テT1[a]: no table named 'テT1'"),
    ("T1[[a]", "unbalanced brackets in '[[a]'"),
    ("[1]!Rate+[@a]*0", None),
])
def test_references_the_scan_refuses(formula, message):
    if message is None:         # outside any table: a table-less reference has no table
        with pytest.raises(StructuredRefError, match="table-less"):
            rewrite(formula, SCANNED, "Sheet1", 12, 1)
        return
    with pytest.raises(StructuredRefError) as exc:
        rewrite(formula, SCANNED, "Sheet1", 3, 1)
    assert str(exc.value).startswith(message)


def test_a_memo_resolves_each_reference_once_for_every_formula(monkeypatch):
    """The runs of a workbook name the same columns on the same rows: with a memo (recalc's), each
    (table, reference, row) is resolved once, whatever formula it is in."""
    from ilt_xl.engine import structured_refs
    calls = []
    resolve = structured_refs.resolve
    monkeypatch.setattr(structured_refs, "resolve", lambda *a: calls.append(a[1:]) or resolve(*a))
    memo: dict = {}
    first = rewrite("T1[@a]+T1[@a]*T1[a]", SCANNED, "Sheet1", 3, 1, memo)
    second = rewrite("IF(T1[@a]=0,T1[a],[@a])", SCANNED, "Sheet1", 3, 1, memo)
    third = rewrite("T1[@a]", SCANNED, "Sheet1", 4, 1, memo)
    assert (first, second, third) == (f"'Sheet1'!$A3+'Sheet1'!$A3*{_A}", f"IF('Sheet1'!$A3=0,{_A},'Sheet1'!$A3)",
                                      "'Sheet1'!$A4")
    assert calls == [("[@a]", 3), ("[a]", 3), ("[@a]", 4)]      # [@a] without its table's name is T1's too
    assert rewrite("T1[@a]+T1[@a]", SCANNED, "Sheet1", 3, 1) == "'Sheet1'!$A3+'Sheet1'!$A3"
    assert len(calls) == 5      # no memo: each reference resolved
