"""Write zip members fast: an unchanged member as its very compressed bytes, a big new one
deflated on every core.

A big member is cut into :data:`CHUNK`-byte pieces deflated in parallel threads (zlib releases
the GIL) and joined into one Deflate stream, each piece but the last ending on a sync flush, as
pigz does. The cut does not depend on the number of cores, so the bytes written are the same on
every machine, and a member of one chunk or less is deflated exactly as :mod:`zipfile` would.
"""
from __future__ import annotations

import copy
import os
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

CHUNK = 8 << 20
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DATA_DESCRIPTOR = 0x08
_ZIP32_LIMIT = 0xFFFFFFFF


def _append(zout: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """Append member ``info`` (sizes and CRC already set) with its compressed bytes ``raw``."""
    info.flag_bits &= ~_DATA_DESCRIPTOR
    info.extra = b""
    zout.fp.seek(zout.start_dir)
    info.header_offset = zout.start_dir
    zout.fp.write(info.FileHeader())
    zout.fp.write(raw)
    zout.start_dir = zout.fp.tell()
    zout.filelist.append(info)
    zout.NameToInfo[info.filename] = info
    zout._didModify = True


def copy_compressed(zin: zipfile.ZipFile, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Copy one member's compressed bytes as they are (no inflate/deflate). False when the member
    is of a kind this does not handle (encrypted, zip64), so the caller re-deflates it instead."""
    if info.flag_bits & 0x01 or info.file_size >= _ZIP32_LIMIT or info.compress_size >= _ZIP32_LIMIT:
        return False
    zin.fp.seek(info.header_offset)
    header = zin.fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return False
    fields = _LOCAL_HEADER.unpack(header)
    zin.fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    raw = zin.fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        return False
    _append(zout, copy.copy(info), raw)
    return True


def _deflate_piece(piece: memoryview, level: int, last: bool) -> bytes:
    deflater = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(piece) + deflater.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def write_deflated(zout: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes, level: int) -> None:
    """Write ``data`` as a Deflate member named and dated like ``info``, at compression ``level``."""
    if len(data) <= CHUNK or len(data) >= _ZIP32_LIMIT:
        zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
        return
    view = memoryview(data)
    starts = range(0, len(data), CHUNK)
    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        crc = pool.submit(zlib.crc32, data)
        pieces = pool.map(lambda s: _deflate_piece(view[s: s + CHUNK], level, s + CHUNK >= len(data)), starts)
        raw = b"".join(pieces)
        member = copy.copy(info)
        member.compress_type = zipfile.ZIP_DEFLATED
        member.CRC, member.file_size, member.compress_size = crc.result(), len(data), len(raw)
    _append(zout, member, raw)
