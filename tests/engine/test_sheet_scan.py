"""The sheet scanner: chunked input gives exactly what the whole part gives; the read-ahead
inflater keeps the guarantees of a plain read."""
from __future__ import annotations

import random
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ilt_xl.engine.sheet_scan import FORMULA_CELL, cell_refs, scan_sheet_xml
from ilt_xl.xlsx import WorkbookError
from ilt_xl.xlsx.safezip import SafeZip

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"


def _sheet_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(EXAMPLE) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def _as_tuple(cells):
    return (cells.v_rows.tolist(), cells.v_cols.tolist(), list(cells.v_types), list(cells.v_raw), cells.f_rows.tolist(),
            cells.f_cols.tolist(), cells.f_attrs, cells.f_texts, cells.f_array_refs, cells.f_shared, cells.pieces)


@pytest.mark.parametrize("seed", range(4))
def test_chunked_scan_equals_whole_scan_wherever_the_chunks_are_cut(seed):
    rng = random.Random(seed)
    for name, data in _sheet_parts().items():
        whole = scan_sheet_xml([data], "example.xlsx", name)
        sizes = [rng.choice([1, 7, 3000, 50000, 700000]) for _ in range(len(data) // 3000 + 2)]
        cuts = np.cumsum(sizes)
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)]) if a < len(data)]
        assert b"".join(chunks) == data
        assert _as_tuple(scan_sheet_xml(iter(chunks), "example.xlsx", name)) == _as_tuple(whole), name
        if len(whole.f_rows):
            assert b"".join(whole.pieces) != data          # pieces drop the old cached values...
            assert len(whole.pieces) == 1 + 4 * len(whole.f_rows)   # ...one group per formula cell


@pytest.mark.parametrize("cell, formula", [
    (b'<c r="A1"><f/></c>', b"<f/>"),
    (b'<c r="B2" s="1"><f t="shared" si="0"/><v>1</v></c>', b'<f t="shared" si="0"/>'),
    (b'<c r="C3"><f\tt="array" ref="C3:C4">1+1</f><v>2</v></c>', b'<f\tt="array" ref="C3:C4">1+1</f>'),
    (b'<c r="XFD1048576" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>', b'<f>"a"&amp;"b"</f>'),
])
def test_formula_cell_forms(cell, formula):
    split = FORMULA_CELL.split(b"<row>" + cell + b"</row>")
    assert split[3] == formula and split[0] == b"<row>" and split[-1] == b"</row>"


def test_value_cells_are_not_formula_cells():
    assert len(FORMULA_CELL.split(b'<c r="A1" s="1"/><c r="A2"><v>1</v></c><c r="A3"><fo>1</fo></c>')) == 1


def _zip_with(tmp_path, data: bytes, crc_delta: int = 0) -> Path:
    path = tmp_path / "p.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", data)
    if crc_delta:
        raw = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as z:
            crc = z.getinfo("xl/worksheets/sheet1.xml").CRC
        old = crc.to_bytes(4, "little")
        new = ((crc + crc_delta) % (1 << 32)).to_bytes(4, "little")
        path.write_bytes(bytes(raw).replace(old, new))
    return path


def test_read_ahead_gives_the_bytes_of_read_in_chunks(tmp_path):
    data = random.Random(1).randbytes(300_000)
    with SafeZip(_zip_with(tmp_path, data)) as z:
        chunks = list(z.read_ahead("xl/worksheets/sheet1.xml", chunk=65536))
        assert [len(c) for c in chunks[:-1]] == [65536] * (len(chunks) - 1)
        assert b"".join(chunks) == data == z.read("xl/worksheets/sheet1.xml")


def test_read_ahead_refuses_a_crc_mismatch_with_a_located_reason(tmp_path):
    with SafeZip(_zip_with(tmp_path, b"<x/>" * 50_000, crc_delta=1)) as z:
        with pytest.raises(WorkbookError, match=r"part xl/worksheets/sheet1.xml is corrupt"):
            list(z.read_ahead("xl/worksheets/sheet1.xml", chunk=4096))
        with pytest.raises(WorkbookError, match="is missing"):
            list(z.read_ahead("xl/worksheets/sheet9.xml"))


def test_a_consumer_that_stops_early_leaves_no_thread_behind(tmp_path):
    before = threading.active_count()
    data = random.Random(2).randbytes(1_000_000)
    with SafeZip(_zip_with(tmp_path, data)) as z:
        ahead = z.read_ahead("xl/worksheets/sheet1.xml", chunk=1024)
        next(ahead)
        ahead.close()
    assert threading.active_count() == before


def test_cell_references_outside_excels_grid_are_refused_not_wrapped_around():
    assert [a.tolist() for a in cell_refs([b"A1", b"XFD1048576", b"AB12"])] == [[1, 1048576, 12], [1, 16384, 28]]
    sheet = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B0"><v>2</v></c></row></sheetData></worksheet>'
    for bad in (b"B0", b"XFE1", b"A1048577"):
        with pytest.raises(ValueError, match=f"{bad.decode()} lies outside Excel's grid"):
            scan_sheet_xml([sheet.replace(b"B0", bad)], "p.xlsx", "Data")
