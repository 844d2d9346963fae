"""Zip members written fast: parallel deflate in fixed chunks, and raw copies."""
from __future__ import annotations

import io
import os
import zipfile
import zlib

import pytest

from ilt_xl.xlsx import zip_members


def _write(data_segments, monkeypatch, chunk: int, cpus: int) -> bytes:
    monkeypatch.setattr(zip_members, "CHUNK", chunk)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        zip_members.write_deflated(zout, zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2026, 1, 2, 3, 4, 6)),
                                   iter(data_segments), level=1)
    return buf.getvalue()


def _payload(n: int) -> bytes:
    rows = (f'<row r="{i}"><c r="A{i}"><f>B{i}*2</f><v>{i * 7 % 13}</v></c></row>' for i in range(1, n))
    return "".join(rows).encode()


@pytest.mark.parametrize("cuts", [[], [1], [5, 999, 1000, 1001], list(range(0, 40000, 997))])
def test_multi_chunk_member_reads_back_exactly_and_does_not_depend_on_segments_or_cores(monkeypatch, cuts):
    data = _payload(2000)
    assert len(data) > 20 * 1000
    edges = [0, *sorted(c for c in cuts if c < len(data)), len(data)]
    segments = [data[a:b] for a, b in zip(edges, edges[1:])]
    one = _write([data], monkeypatch, chunk=1000, cpus=1)
    many = _write(segments, monkeypatch, chunk=1000, cpus=4)
    for written in (one, many):                          # each a valid member first: a difference is then told
        with zipfile.ZipFile(io.BytesIO(written)) as z:  # apart from a broken stream
            assert z.testzip() is None                   # CRC-32 and sizes are right
            info = z.getinfo("xl/worksheets/sheet1.xml")
            assert (info.file_size, info.compress_type, info.date_time) == (len(data), zipfile.ZIP_DEFLATED,
                                                                             (2026, 1, 2, 3, 4, 6))
            assert z.read(info) == data
            assert info.CRC == zlib.crc32(data)
    assert one == many                                   # same bytes whatever the segments and cores


@pytest.mark.parametrize("size", [0, 1, 999, 1000])
def test_a_member_of_one_chunk_or_less_is_what_zipfile_writes(monkeypatch, size):
    data = _payload(200)[:size]
    ours = _write([data[: size // 2], data[size // 2:]], monkeypatch, chunk=1000, cpus=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        zout.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2026, 1, 2, 3, 4, 6)), data,
                      compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    assert ours == buf.getvalue()


def test_copy_compressed_keeps_the_compressed_bytes(tmp_path):
    src, dst = tmp_path / "a.zip", tmp_path / "b.zip"
    data = _payload(500)
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("part.xml", data)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        assert zip_members.copy_compressed(zin, zout, zin.getinfo("part.xml"))
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst) as b:
        assert b.read("part.xml") == data
        assert b.getinfo("part.xml").compress_size == a.getinfo("part.xml").compress_size


def test_a_producer_ahead_of_busy_workers_waits_for_them(monkeypatch):
    """Chunks not deflated yet stay in memory: when the workers fall behind (a busy machine), the
    segments are not read ahead without bound (2 chunks per worker in flight at most)."""
    import threading
    release, produced, seen = threading.Event(), [0], []
    real = zip_members._deflate_piece

    def slow(piece, level, last):
        release.wait(30)
        return real(piece, level, last)

    def segments():
        for _ in range(100):
            produced[0] += 1
            yield b"x" * 1000                  # one chunk per segment

    def watch():
        import time
        time.sleep(0.5)
        seen.append(produced[0])
        release.set()
    monkeypatch.setattr(zip_members, "_deflate_piece", slow)
    threading.Thread(target=watch).start()
    data = _write(segments(), monkeypatch, chunk=1000, cpus=1)
    assert seen[0] <= 5                         # 2 in flight, plus the ones being joined and cut
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.read("xl/worksheets/sheet1.xml") == b"x" * 100_000
