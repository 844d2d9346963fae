"""SafeZip.chunks: a deflated part streamed in fixed-size chunks, refused when its bytes do not match
what the zip directory declares (CRC-32, size) or when its Deflate stream is cut short."""
from __future__ import annotations

import os
import random
import struct
import zipfile

import pytest

from ilt_xl.xlsx import WorkbookError, safezip
from ilt_xl.xlsx.safezip import SafeZip


def xml_bytes(size: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    rows = []
    while sum(map(len, rows)) < size:
        rows.append(f'<row r="{len(rows) + 1}"><c r="A{len(rows) + 1}"><v>{rnd.random()}</v></c></row>'.encode())
    return b"".join(rows)[:size]


def write_zip(path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_chunks_are_the_part_in_fixed_size_pieces(tmp_path, monkeypatch, method):
    monkeypatch.setattr(safezip, "_SCAN_CHUNK", 4096)
    data = xml_bytes(50_000)
    path = tmp_path / "a.zip"
    write_zip(path, {"big.xml": data, "empty.xml": b""}, method)
    with SafeZip(path) as z:
        chunks = list(z.chunks("big.xml"))
        assert b"".join(chunks) == data
        assert [len(c) for c in chunks] == [4096] * 12 + [50_000 - 12 * 4096]
        assert list(z.chunks("empty.xml")) == []


def test_other_parts_can_be_read_between_two_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(safezip, "_SCAN_CHUNK", 1024)
    big, small = xml_bytes(10_000, 1), xml_bytes(3_000, 2)
    path = tmp_path / "a.zip"
    write_zip(path, {"big.xml": big, "small.xml": small})
    with SafeZip(path) as z:
        got = []
        for chunk in z.chunks("big.xml"):
            got.append(chunk)
            assert z.read("small.xml") == small
        assert b"".join(got) == big


def _patch_central(path, name: bytes, crc: int | None = None, size: int | None = None,
                   compressed: int | None = None) -> None:
    """Change the CRC-32 or a size the central directory declares for ``name``."""
    raw = bytearray(path.read_bytes())
    at = 0
    while True:
        at = raw.find(b"PK\x01\x02", at)
        n = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46: at + 46 + n] == name:
            break
        at += 4
    if crc is not None:
        struct.pack_into("<L", raw, at + 16, crc)
    if size is not None:
        struct.pack_into("<L", raw, at + 24, size)
    if compressed is not None:
        struct.pack_into("<L", raw, at + 20, compressed)
    path.write_bytes(bytes(raw))


def test_a_crc_that_does_not_match_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    data = xml_bytes(20_000)
    write_zip(path, {"big.xml": data})
    _patch_central(path, b"big.xml", crc=zipfile.crc32(data) ^ 1)
    with SafeZip(path) as z, pytest.raises(WorkbookError, match="big.xml is corrupt"):
        list(z.chunks("big.xml"))


@pytest.mark.parametrize("declared, refusal", [(19_000, "inflates beyond the 19,000 bytes"), (21_000, "is corrupt")])
def test_a_part_whose_size_is_not_the_declared_one_is_refused(tmp_path, declared, refusal):
    path = tmp_path / "a.zip"
    write_zip(path, {"big.xml": xml_bytes(20_000)})
    _patch_central(path, b"big.xml", size=declared)
    with SafeZip(path) as z, pytest.raises(WorkbookError, match=f"big.xml {refusal}"):
        list(z.chunks("big.xml"))


def test_a_damaged_deflate_stream_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    data = os.urandom(1000) + xml_bytes(20_000)
    write_zip(path, {"big.xml": data})
    raw = bytearray(path.read_bytes())
    start = raw.find(b"big.xml") + len(b"big.xml")      # the local header's name, then the data
    for i in range(start + 100, start + 400):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    with SafeZip(path) as z, pytest.raises(WorkbookError, match="big.xml is corrupt"):
        list(z.chunks("big.xml"))


def test_a_deflate_stream_cut_short_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    write_zip(path, {"big.xml": xml_bytes(20_000)})
    with zipfile.ZipFile(path) as z:
        compressed = z.getinfo("big.xml").compress_size
    _patch_central(path, b"big.xml", compressed=compressed // 2)
    with SafeZip(path) as z, pytest.raises(WorkbookError, match="big.xml is corrupt"):
        list(z.chunks("big.xml"))
