"""The part cut around its formula cells, held column by column (ilt_xl.engine.cell_pieces): the
same cells, cached values and text as one whole FORMULA_CELL.split, however the part arrives
(streamed spans) and however the cells fall into chunks; write-back gives back the very part."""
from __future__ import annotations

import numpy as np
import pytest

from ilt_xl.engine import cell_pieces, sheet_scan
from ilt_xl.engine.cell_pieces import CellPieces
from ilt_xl.engine.sheet_scan import FIELDS, FORMULA_CELL, scan_sheet_xml


def _part(rows: int) -> bytes:
    cells = []
    for r in range(1, rows + 1):
        v = b"" if r % 7 == 0 else f"<v>{r * 1.5}</v>".encode()     # some without a cached value
        text = b'<c r="C%d" t="str"><f>"x"&amp;A%d</f><v></v></c>' % (r, r) if r % 5 == 0 else b""
        cells.append(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" s="2"><f>A%d*2</f>%s</c>%s</row>'
                     % (r, r, r, r, r, v, text))
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + b"".join(cells) + b"</sheetData></worksheet>")


def _as_split(p: CellPieces) -> list:
    """The pieces as a FORMULA_CELL split: the oracle they are compared with."""
    out = []
    values = p.cached(np.arange(len(p)))
    for k, (i, j, before, refs, _) in enumerate(p.segments()):
        for n in range(j - i):
            out += [before[n], refs[n], p.attrs.distinct[p.attrs.codes[i + n]],
                    p.f_elements.distinct[p.f_elements.codes[i + n]], values[i + n]]
    return [out[0], *[x for c in range(len(p)) for x in out[FIELDS * c + 1: FIELDS * c + 5] + [
        out[FIELDS * (c + 1)] if c + 1 < len(p) else p.tail]]] if len(p) else [p.tail]


@pytest.mark.parametrize("chunk, span, plain", [(10_000, 1 << 24, 1 << 30), (3, 200, 1 << 30), (1, 57, 0), (7, 300, 400)])
def test_streamed_pieces_are_the_whole_split(monkeypatch, chunk, span, plain):
    monkeypatch.setattr(cell_pieces, "CHUNK", chunk)
    monkeypatch.setattr(cell_pieces, "PLAIN_BYTES", plain)     # chunks past it are held deflated
    monkeypatch.setattr(sheet_scan, "_SPAN", span)
    monkeypatch.setattr(sheet_scan, "_LOCATE_SPAN", span)
    part = _part(40)
    whole = FORMULA_CELL.split(part)
    streamed = scan_sheet_xml(iter([part[i:i + 100] for i in range(0, len(part), 100)]), "p.xlsx", "S",
                              read_again=lambda: part)
    assert streamed.cut is None and len(streamed.pieces) == len(whole) // FIELDS == 48
    assert _as_split(streamed.pieces) == whole
    # cells without a cached value are told from an empty one (<v></v> of a text formula)
    held = streamed.pieces.cached(np.array([7, 5, 0]))
    assert held == [None, b"", b"1.5"]          # B7 has none, C5 cached empty text, B1 1.5
    assert streamed.f_rows[:3].tolist() == [1, 2, 3] and streamed.f_cols[:3].tolist() == [2, 2, 2]
    assert any(streamed.pieces.before.packed) == (plain < len(part))


def test_the_plain_budget_is_shared_by_the_sheets_of_a_workbook(monkeypatch):
    """Pieces stay plain up to PLAIN_BYTES for all sheets together; a sheet scanned once it is spent
    has every chunk deflated, its first included, and still goes the fast way with the same pieces."""
    monkeypatch.setattr(cell_pieces, "CHUNK", 7)
    part = _part(40)
    monkeypatch.setattr(cell_pieces, "PLAIN_BYTES", len(part))
    budget = cell_pieces.PlainBudget()
    scan_sheet_xml(part, "p.xlsx", "S", budget=budget)
    monkeypatch.setattr(cell_pieces, "PLAIN_BYTES", len(part) - budget.left)   # one part's pieces exactly
    budget = cell_pieces.PlainBudget()
    first, second = (scan_sheet_xml(part, "p.xlsx", "S", budget=budget) for _ in range(2))
    assert not any(first.pieces.before.packed) and all(second.pieces.before.packed)
    assert first.cut is None and second.cut is None                 # both read by the fast scan
    assert _as_split(first.pieces) == _as_split(second.pieces) == FORMULA_CELL.split(part)
    assert second.v_rows.tolist() == first.v_rows.tolist() == list(range(1, 41))


def test_a_nul_character_sends_the_part_to_the_careful_path_which_refuses_it():
    from ilt_xl.xlsx import WorkbookError
    part = _part(3).replace(b"<v>2</v>", b"<v>2\x00</v>")
    with pytest.raises(WorkbookError, match="not well-formed"):
        scan_sheet_xml(part, "p.xlsx", "S")


@pytest.mark.parametrize("values_only", [False, True])     # True: every sheet is patched, none copied
def test_write_back_is_the_same_whatever_the_chunks_and_their_packing(monkeypatch, tmp_path, values_only):
    import zipfile
    from pathlib import Path
    from ilt_xl.engine.recalc import recalculate
    example = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"
    day = __import__("datetime").date(2026, 1, 5)
    recalculate(example, tmp_path / "plain.xlsx", today=day, values_only=values_only)
    monkeypatch.setattr(cell_pieces, "CHUNK", 7)
    monkeypatch.setattr(cell_pieces, "PLAIN_BYTES", 0)
    recalculate(example, tmp_path / "packed.xlsx", today=day, values_only=values_only)
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as a, zipfile.ZipFile(tmp_path / "packed.xlsx") as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist())
