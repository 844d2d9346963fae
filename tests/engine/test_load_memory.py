"""What the engine's load keeps per cell (issue 14 item 15: the 200,000-session example's 10 million
formula cells within 2 GB): a calculated column's formula is held once, not per cell; value cells
are typed a span at a time, their texts held once per distinct text."""
from __future__ import annotations

import numpy as np
import pytest
from handmade import write_xlsx

from ilt_xl.engine import sheet_scan
from ilt_xl.engine.values import BOOL, NUM, STR
from ilt_xl.engine.workbook_model import load_workbook_model
from ilt_xl.xlsx import WorkbookError

ROWS = 3_000


def _rows(rows: int = ROWS) -> str:
    """A table: text (five distinct values), number, boolean, then two shared formulas with cached
    values: D moves with its row (=B2*2 on row 2, =B3*2 on row 3), E does not ($B$1+1)."""
    out = ['<row r="1"><c r="A1" t="inlineStr"><is><t>Course</t></is></c><c r="B1"><v>2</v></c></row>']
    last = rows + 1
    for r in range(2, last + 1):
        d = f'<f t="shared" ref="D2:D{last}" si="0">B2*2</f>' if r == 2 else '<f t="shared" si="0"/>'
        e = f'<f t="shared" ref="E2:E{last}" si="1">$B$1+1</f>' if r == 2 else '<f t="shared" si="1"/>'
        out.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>C&amp;{r % 5}</t></is></c><c r="B{r}"><v>{r}.5</v></c>'
                   f'<c r="C{r}" t="b"><v>{r % 2}</v></c><c r="D{r}">{d}<v>{2 * r + 1}</v></c><c r="E{r}">{e}<v>3</v></c></row>')
    return "".join(out)


@pytest.fixture(params=[1 << 24, 1 << 12], ids=["one span", "many spans"])
def sheet(request, tmp_path, monkeypatch):
    monkeypatch.setattr(sheet_scan, "_SPAN", request.param)     # bytes of sheet XML typed at a time
    return load_workbook_model(write_xlsx(tmp_path / "t.xlsx", {"S": _rows()})).sheet("S")


def test_a_calculated_column_is_held_as_codes_into_its_texts_not_as_objects_per_cell(sheet):
    f = sheet.formulas
    assert len(f.rows) == 2 * ROWS
    in_d, in_e = f.cols == 4, f.cols == 5
    # the column that does not move holds one text for all its cells; the one that moves a text per row
    assert np.unique(f.texts.codes[in_e]).tolist() == [f.texts.codes[np.flatnonzero(in_e)[0]]]
    assert [f.texts[i] for i in np.flatnonzero(in_e)[[0, -1]]] == ["$B$1+1", "$B$1+1"]
    assert [f.texts[i] for i in np.flatnonzero(in_d)[[0, 1, -1]]] == ["B2*2", "B3*2", f"B{ROWS + 1}*2"]
    assert len(f.texts.used()) == ROWS + 1
    # no array formula: one None for every cell, without an array of codes (a zero stride)
    assert f.array_refs.count(None) == len(f.rows) and f.array_refs.codes.strides == (0,)


def test_value_cells_are_typed_with_their_texts_held_once(sheet):
    g = sheet.grid
    assert g.kind[1:, 0].tolist() == [STR] * ROWS and len({id(t) for t in g.obj[1:, 0]}) == 5
    assert sorted(set(g.obj[1:, 0])) == [f"C&{k}" for k in range(5)]      # entities decoded
    assert g.kind[1:, 1].tolist() == [NUM] * ROWS and g.num[1:4, 1].tolist() == [2.5, 3.5, 4.5]
    assert g.kind[1:, 2].tolist() == [BOOL] * ROWS and g.num[1:4, 2].tolist() == [0.0, 1.0, 0.0]


def test_a_shared_string_that_does_not_exist_is_refused_naming_the_cell(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"S": '<row r="3"><c r="A3"><v>1</v></c><c r="B3" t="s"><v>7</v></c></row>'})
    with pytest.raises(WorkbookError, match=r"sheet S, cell B3: shared string b'7' does not exist"):
        load_workbook_model(path)


def test_a_number_cell_holding_text_is_refused_naming_the_sheet(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>one</v></c></row>'})
    with pytest.raises(WorkbookError, match="sheet S: a number cell holds a non-number"):
        load_workbook_model(path)
