"""Formula trees as the engine reads them (see also test_formula_tokens.py, token by token)."""
from __future__ import annotations

import pytest

from ilt_xl.engine import formula_tree as ft


@pytest.mark.parametrize("text", ["A1:INDEX(B1:B5,2)", "$A$1:INDEX(B:B,2)", "A$1:INDEX(B:B,ROW())",
                                  "Data!$A1:OFFSET(A1,2,0)", "SUM(A1:B2:INDEX(C:C,3))"])
def test_a_reference_joined_to_a_function_by_a_colon_is_a_range_operator(text):
    tree = ft.parse_formula(text)
    op = tree if tree.value == ":" else tree.args[0]
    assert (op.kind, op.value, op.args[0].kind, op.args[1].kind) == ("op", ":", "ref", "fn")


def test_formulas_that_differ_in_their_references_keep_each_its_own():
    a, b = ft.parse_formula("SUM($A21,B$5)"), ft.parse_formula("SUM($A22,C$5)")
    assert [r.value for r in a.args] == [ft.Ref(None, 21, 1, 21, 1, True, True), ft.Ref(None, 5, 2, 5, 2)]
    assert [r.value for r in b.args] == [ft.Ref(None, 22, 1, 22, 1, True, True), ft.Ref(None, 5, 3, 5, 3)]


def test_a_line_break_is_white_space_outside_text_and_text_inside_it():
    # Excel stores Alt+Enter as CR LF
    tree = ft.parse_formula('IF(\r\n\r\nB2=1,\r\n\r\n1,\r\n\r\n2 )')
    assert (tree.kind, tree.value, len(tree.args)) == ("fn", "IF", 3)
    assert ft.parse_formula('"a\r\nb"&A1').args[0].value == "a\r\nb"
    assert ft.parse_formula('"a""\nb"&"c"').args[0].value == 'a"\nb'


def test_a_sheet_name_without_quotes_may_hold_any_letter():
    # Excel writes Paramètres!T5 without quotes (a name of letters): the é is part of the name,
    # not the end of a word before a sheet called "tres"
    tree = ft.parse_formula('IF(G8=Paramètres!T5,"Non","Oui")')
    ref = tree.args[0].args[1].value
    assert (ref.sheet, ref.r0, ref.c0, ref.rel0) == ("Paramètres", 5, 20, True)
    assert ft.parse_formula("SUM(Données!$A$1:$A$3)").args[0].value.sheet == "Données"
    assert ft.parse_formula("COÛT2020+1").args[0] == ft.Node("name", "COÛT2020")     # a name, not cell T2020


def test_a_shared_formula_moves_references_after_a_letter_of_any_alphabet_only_when_they_are_cells():
    from ilt_xl.engine.a1_shift import shift_formula
    assert shift_formula("Données!B2+COÛT2020", 1, 0) == "Données!B3+COÛT2020"


@pytest.mark.parametrize("text", ["SUM(Deals!$C$2:EndOfList)", "SUM(A1:EndOfList)", "SUM($B$2:last_row)"])
def test_a_reference_joined_to_a_defined_name_by_a_colon_is_a_range_operator(text):
    tree = ft.parse_formula(text)
    op = tree.args[0]
    assert (op.kind, op.value) == ("op", ":")
    assert [a.kind for a in op.args] == ["ref", "name"]       # not one name "A1:EndOfList", nor a parse error


def test_a_range_ending_at_a_defined_name_is_computed(tmp_path):
    import datetime as dt

    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    from ilt_xl.engine.recalc import compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    for r in range(2, 6):
        ws.cell(r, 3, r)
    ws["E1"], ws["E2"] = "=SUM(Points)", "=SUM(Deals!$C$2:LastPoint)"
    wb.defined_names["LastPoint"] = DefinedName("LastPoint", attr_text="Deals!$C$4")
    wb.defined_names["Points"] = DefinedName("Points", attr_text="Deals!$C$2:LastPoint")
    wb.save(tmp_path / "names.xlsx")
    model = load_workbook_model(tmp_path / "names.xlsx")
    compute(model, dt.date(2024, 1, 1))
    grid = model.sheets[0].grid
    assert (grid.value(0, 4), grid.value(1, 4)) == (9.0, 9.0)
