"""Never worse than the input: a cell the engine cannot evaluate keeps the value Excel cached,
is listed with its reason, and the cells depending on it read that value; exit codes; time limit;
formulas beyond Excel's limits refused fast with a short excerpt."""
from __future__ import annotations

import json
import warnings
import xml.dom.minidom

import openpyxl
import pytest
from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.engine.recalc import recalculate

from handmade import read_part, write_xlsx

runner = CliRunner()

# Excel's cached values: A2 and A4 cannot be evaluated (A2 calls a function nothing defines, but the file
# holds a value for it); A3 and A5 depend on them; A7 reads a name nothing defines and A9 calls a function
# nothing defines, with nothing cached (#NAME?, as Excel says); A8 is stale
CELLS = ('<row r="1"><c r="A1"><v>5</v></c></row>'
         '<row r="2"><c r="A2"><f>FOOBAR(A1)</f><v>42</v></c></row>'
         '<row r="3"><c r="A3"><f>A2+1</f><v>0</v></c></row>'
         '<row r="4"><c r="A4"><f>[1]Sheet1!$A$1</f><v>7</v></c></row>'
         '<row r="5"><c r="A5"><f>A4*2</f><v>0</v></c></row>'
         '<row r="6"><c r="A6" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
         '<row r="7"><c r="A7" t="str"><f>NoSuchName&amp;"x"</f><v>kept text</v></c></row>'
         '<row r="8"><c r="A8"><f>SUM(1,2)</f><v>999</v></c></row>'
         '<row r="9"><c r="A9"><f>BARBAZ()</f></c></row>')


def _values(path, sheet="S"):
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row}


def test_cells_not_evaluated_keep_excels_value_and_dependents_read_it(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": CELLS})
    report = recalculate(src, tmp_path / "out.xlsx", today=None)
    got = _values(tmp_path / "out.xlsx")
    assert got["A2"] == 42 and got["A4"] == 7                                    # Excel's values, not #NAME?
    assert got["A3"] == 43 and got["A5"] == 14                                   # computed from them
    assert got["A6"] == "#DIV/0!" and got["A8"] == 3
    assert got["A7"] == "#NAME?"          # a name the workbook does not define: Excel's own result
    assert got["A9"] == "#NAME?"              # nothing cached to lose: Excel's own result
    kinds = {p.cell: p.kind for p in report.problems}
    assert kinds == {"S!A2": "unknown function FOOBAR", "S!A4": "external link"}
    assert "Excel shows #NAME?" in report.problems[0].reason
    assert report.kept_count == 2 and report.cells_computed == 6 and report.formula_cells == 8
    assert [(e.first, e.count) for e in report.error_cells] == [("S!A6", 1), ("S!A7", 2)]     # A7 and A9
    assert "<c r=\"A9\" t=\"e\"><f>BARBAZ()</f><v>#NAME?</v></c>" in read_part(tmp_path / "out.xlsx").decode()


def test_recalc_says_computed_and_kept_with_reasons_and_exits_1(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": CELLS})
    res = runner.invoke(app, ["recalc", str(src), "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "6 cells computed, 2 kept as cached (" in text
    assert "external link: 1" in text and "unknown function FOOBAR: 1" in text
    assert "structured reference" not in text
    assert "S!A4: =[1]Sheet1!$A$1:" in text
    res = runner.invoke(app, ["recalc", str(src), "-o", str(tmp_path / "o.xlsx"), "--force", "--format", "json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["cells"] == 6 and data["kept_as_cached"] == 2 and data["exit_code"] == 1
    assert {k["cell"]: k["kind"] for k in data["not_evaluated"]}["S!A4"] == "external link"
    assert [(e["first"], e["error"], e["count"]) for e in data["error_cells"]] == [("S!A6", "#DIV/0!", 1),
                                                                                   ("S!A7", "#NAME?", 2)]


def test_error_values_are_results_exit_0_unless_strict(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>1/0</f></c><c r="B1"><f>NA()</f></c></row>'})
    res = runner.invoke(app, ["recalc", str(src)])
    assert res.exit_code == 0, res.output
    assert "2 cells computed, 0 kept as cached" in " ".join(res.output.split())
    assert "#DIV/0!" in res.output and "#N/A" in res.output
    assert runner.invoke(app, ["recalc", str(src), "--force", "--strict"]).exit_code == 1
    out = tmp_path / "batch"
    res = runner.invoke(app, ["batch", str(src), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["batch", str(src), "--out", str(out), "--workers", "1", "--force", "--strict"])
    assert res.exit_code == 1


def test_batch_exits_1_and_lists_workbooks_with_kept_cells(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_xlsx(folder / "a.xlsx", {"S": CELLS})
    write_xlsx(folder / "b.xlsx", {"S": '<row r="1"><c r="A1"><f>1+1</f></c></row>'})
    res = runner.invoke(app, ["batch", str(folder / "*.xlsx"), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "2 of 2 workbooks recalculated: 7 cells computed, 2 kept as cached" in text
    assert "6 cells computed in" in text and "2 kept as cached (" in text and "external link: 1" in text
    assert _values(tmp_path / "out" / "a.xlsx")["A2"] == 42


@pytest.mark.parametrize("macros, suffix, code", [(True, ".xlsx", 3), (False, ".xlsm", 3), (True, ".xlsm", 0)])
def test_output_extension_must_match_macro_content(tmp_path, macros, suffix, code):
    src = write_xlsx(tmp_path / ("in.xlsm" if macros else "in.xlsx"), {"S": '<row r="1"><c r="A1"><f>1+1</f></c></row>'},
                     macros=macros)
    target = tmp_path / f"out{suffix}"
    res = runner.invoke(app, ["recalc", str(src), "-o", str(target)])
    assert res.exit_code == code, res.output
    assert target.exists() == (code == 0)
    if code:
        assert ".xlsm" in res.output or ".xlsx" in res.output


def test_a_runaway_cell_is_stopped_by_the_time_limit_and_kept(tmp_path, monkeypatch):
    import ilt_xl.engine.builtins.formulas_bridge as bridge

    def never_ends(*args):          # a function that never returns (such as 10 ** 1E+50 once did)
        while True:
            pass

    monkeypatch.setattr(bridge, "_formulas_function", lambda name: never_ends if name == "HANG" else None)
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>HANG(1)</f><v>1</v></c>'
                                                  '<c r="B1"><f>A1+1</f><v>0</v></c></row>'})
    res = runner.invoke(app, ["recalc", str(src), "--timeout", "1"])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "kept as cached (time limit: 2)" in text and "S!A1" in text and "S!B1" in text
    assert _values(tmp_path / "in.recalc.xlsx")["A1"] == 1


def test_formulas_beyond_excels_limits_are_kept_with_a_short_excerpt(tmp_path, monkeypatch):
    import ilt_xl.engine.recalc as engine
    monkeypatch.setattr(engine, "MAX_DEPTH", 300)              # so that a short formula passes it
    long_sum = "+".join(["A1"] * 100_000)                       # 300,000 characters
    deep_if = "IF(1," * 1000 + "1" + ",0)" * 1000               # 1,000 levels in 8,001 characters
    names = {f"nm_{i}": f"nm_{i + 1}+1" for i in range(1, 5000)} | {"nm_5000": "S!$A$1"}
    rows = (f'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>{long_sum}</f><v>100000</v></c>'
            f'<c r="C1"><f>{deep_if}</f><v>1</v></c><c r="D1"><f>nm_1</f><v>5000</v></c>'
            f'<c r="E1"><f>{"+".join(["A1"] * 250)}</f><v>0</v></c></row>')
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows}, names=names)
    res = runner.invoke(app, ["recalc", str(src)])
    assert res.exit_code == 1
    assert len(res.output) < 2000 and "A1+A1+A1" in res.output and "(300,000 characters)" not in res.output
    kinds = {p["cell"]: p["kind"] for p in json.loads(runner.invoke(
        app, ["recalc", str(src), "--force", "--format", "json"]).stdout)["not_evaluated"]}
    assert kinds == {"S!B1": "formula too long", "S!C1": "formula too deep", "S!D1": "formula too deep"}
    got = _values(tmp_path / "in.recalc.xlsx")
    assert (got["B1"], got["C1"], got["D1"], got["E1"]) == (100000, 1, 5000, 250)


def test_formulas_as_deep_as_excel_allows_are_evaluated(tmp_path):
    deep_if = "IF(1," * 1000 + "2" + ",0)" * 1000
    rows = (f'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>{deep_if}</f><v>0</v></c>'
            f'<c r="C1"><f>{"+".join(["A1"] * 1000)}</f><v>0</v></c></row>')
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows})
    report = recalculate(src, tmp_path / "out.xlsx")
    assert report.problems == []
    got = _values(tmp_path / "out.xlsx")
    assert (got["B1"], got["C1"]) == (2, 1000)


def test_every_output_is_well_formed(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": CELLS})
    recalculate(src, tmp_path / "out.xlsx")
    xml.dom.minidom.parseString(read_part(tmp_path / "out.xlsx"))


@pytest.mark.parametrize("command", ["recalc", "validate"])
def test_output_equal_to_input_is_one_rule_for_recalc_and_the_macros(tmp_path, command):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>1+1</f></c></row>'})
    before = src.read_bytes()
    res = runner.invoke(app, [command, str(src), "-o", str(tmp_path / "." / "in.xlsx")])
    assert res.exit_code == 3, res.output
    assert src.read_bytes() == before


def test_numeric_overflow_is_an_error_value_not_a_warning(tmp_path):
    # functions the engine hands to `formulas` (SINH, COSH) and its own (EXP, ^) overflow to inf
    formulas = ["SINH(1000)", "COSH(1000)", "EXP(1000)", "10^400"]
    cells = "".join(f'<row r="{i}"><c r="A{i}"><f>{f}</f><v>0</v></c></row>' for i, f in enumerate(formulas, 1))
    src = write_xlsx(tmp_path / "in.xlsx", {"S": cells})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        report = recalculate(src, tmp_path / "out.xlsx")
    assert [str(w.message) for w in seen] == []
    assert report.kept_count == 0
    assert _values(tmp_path / "out.xlsx") == {f"A{i}": "#NUM!" for i in range(1, len(formulas) + 1)}
