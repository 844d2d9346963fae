"""Open the zip of an .xlsx with limits, so a hostile file is refused before it is inflated.

Three guards, all checked before any part is decompressed by anyone (us or calamine):

* declared sizes: no part may declare more than :data:`MAX_PART_BYTES`, nor all
  parts together more than :data:`MAX_TOTAL_BYTES`, nor a part over 1 MiB a
  compression ratio above :data:`MAX_RATIO`;
* honest sizes: Deflate cannot expand more than ~1032:1, so only parts whose
  compressed size could hide more than :data:`MAX_PART_BYTES` are inflated once,
  in bounded chunks, to prove they stop at their declared size;
* XML without DTDs: an OOXML part never has a ``<!DOCTYPE``; one in any part's
  prolog (billion laughs, external entities) refuses the file.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
import zlib
from pathlib import Path
from xml.parsers import expat
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et

from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.namespaces import as_transitional, dialect
from ilt_xl.xlsx.zip_members import data_offset, fast_zlib

# A 200,000-session planner's Sessions sheet inflates to about 1.2 GB (48 columns), read streamed;
# bombs are caught by the ratio and honest-size checks long before these sizes.
MAX_PART_BYTES = 2 << 30
MAX_TOTAL_BYTES = 4 << 30
MAX_RATIO = 1000
_PLAIN_RATIO = 50          # spreadsheet XML deflates 10-25 times; far beyond that is a forged size
_RATIO_FLOOR = 1 << 20          # small parts may compress absurdly well (a run of blanks)
_DEFLATE_MAX_RATIO = 1032
_PROLOG_BYTES = 64 << 10
_CHUNK = 1 << 20
_SCAN_CHUNK = 8 << 20
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_CORRUPT = (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error)


def xml_parser() -> "expat.XMLParserType":
    """An expat parser that checks what Excel and ElementTree check: well-formedness *with* XML
    namespaces (an unbound prefix such as ``<dX:title>`` is an error; plain expat lets it pass)."""
    return expat.ParserCreate(namespace_separator="}")


class XmlCheck:
    """Well-formedness checked on the way: feed a part's bytes in pieces (or pass its chunks through
    :meth:`passing`); :attr:`damage` is then expat's complaint, or None when the part is well-formed."""

    def __init__(self) -> None:
        self._parser = xml_parser()
        self.damage: str | None = None

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.damage is None:
            try:
                self._parser.Parse(data, final)
            except expat.ExpatError as exc:
                self.damage = str(exc)

    def passing(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks`` unchanged, each checked as it goes by (the end is checked after the last)."""
        for chunk in chunks:
            self.feed(chunk)
            yield chunk
        self.feed(b"", True)


def xml_damage(data: bytes | Iterable[bytes]) -> str | None:
    """Why ``data`` (bytes, or consecutive chunks of them) is not well-formed XML (expat's message),
    or None when it is. No tree is built and chunks are fed as they come, so a part is never whole in
    memory; DTDs never get here (refused on opening)."""
    check = XmlCheck()
    for _ in check.passing([data] if isinstance(data, bytes) else data):
        pass
    return check.damage


class SafeZip:
    """A zip whose declared sizes were checked on opening; read parts with :meth:`read`.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise WorkbookError(
                path, "the zip package is corrupt or truncated (its directory is missing or damaged); "
                      "was the download or copy interrupted?") from exc
        except (OSError, ValueError, EOFError) as exc:
            raise WorkbookError(path, f"the zip package cannot be read ({exc})") from exc
        try:
            self._check_declared_sizes()
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    def reopen(self) -> None:
        """Read through a file handle of its own from now on: in a forked process, whose handle
        (and file position) the parent shares. The parent's handle is left to the parent."""
        self.zip.fp = open(self.path, "rb")

    @property
    def names(self) -> list[str]:
        return self.zip.namelist()

    def stored_name(self, name: str) -> str:
        """The name part ``name`` is stored under in the zip (OPC part names compare
        case-insensitively: a relationship to ``sheet7.xml`` may find ``Sheet7.xml``); ``name``
        itself when no part matches."""
        info = self.zip.NameToInfo.get(name) or self._folded.get(name.casefold())
        return info.filename if info is not None else name

    def has(self, name: str) -> bool:
        """Whether part ``name`` is in the zip (OPC part names compare case-insensitively)."""
        return name in self.zip.NameToInfo or name.casefold() in self._folded

    def _refuse(self, reason: str) -> WorkbookError:
        return WorkbookError(self.path, reason)

    def _check_declared_sizes(self) -> None:
        total = 0
        self._folded: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            # OPC part names are case-insensitive: two entries of one name (in any case) leave
            # readers to pick one of them at random, so the package is refused.
            folded = info.filename.casefold()
            if folded in self._folded:
                raise self._refuse(f"part {info.filename} is stored twice in the zip (a damaged or tampered "
                                   "package: readers would disagree on which copy counts)")
            self._folded[folded] = info
            if info.flag_bits & 0x1:
                raise self._refuse(f"part {info.filename} is encrypted inside the zip; save the workbook without a password")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self._refuse(f"part {info.filename} uses an unsupported compression method ({info.compress_type})")
            if info.file_size > MAX_PART_BYTES and info.file_size <= _PLAIN_RATIO * max(info.compress_size, 1):
                # compressed as XML compresses: a genuinely huge sheet, not a bomb
                raise self._refuse(
                    f"part {info.filename} inflates to {info.file_size:,} bytes, over the {MAX_PART_BYTES:,} "
                    "bytes this reader takes in one part: the workbook is too large (split the planner, by year "
                    "for instance)")
            if info.file_size > MAX_PART_BYTES:
                raise self._refuse(
                    f"part {info.filename} declares {info.file_size:,} bytes uncompressed, over the "
                    f"{MAX_PART_BYTES:,}-byte limit: refused as a possible zip bomb")
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise self._refuse(
                    f"part {info.filename} would inflate {info.file_size / max(info.compress_size, 1):,.0f} times: "
                    "refused as a possible zip bomb")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise self._refuse(
                f"the parts declare {total:,} bytes uncompressed in all, over the {MAX_TOTAL_BYTES:,}-byte limit: "
                "refused as a possible zip bomb")

    def check_honest_sizes(self, inflate: bool = True) -> None:
        """Prove that every part which could hide a bomb inflates to no more than it declares,
        and that no XML part carries a DTD. Call before handing the file to another reader.

        ``inflate=False`` checks the DTDs only: for a caller that reads parts through :meth:`read`
        alone, which never inflates past the declared size, so a big sheet is not inflated twice."""
        for info in self.zip.infolist():
            if (inflate and info.compress_type == zipfile.ZIP_DEFLATED
                    and info.compress_size * _DEFLATE_MAX_RATIO > MAX_PART_BYTES):
                self._inflate_bounded(info)
            if info.filename.endswith((".xml", ".rels", ".vml")):
                self._check_prolog(info)

    def _seek_data(self, fh, info: zipfile.ZipInfo) -> None:
        """Put ``fh`` (the zip file) at part ``info``'s compressed bytes, after its local header."""
        start = data_offset(fh, info)
        if start is None:
            raise self._refuse(f"part {info.filename} has a damaged local header")
        fh.seek(start)

    def _inflate_bounded(self, info: zipfile.ZipInfo) -> None:
        with open(self.path, "rb") as fh:
            self._seek_data(fh, info)
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            left, produced = info.compress_size, 0
            try:
                while left > 0 and not inflater.eof:
                    chunk = fh.read(min(_CHUNK, left))
                    if not chunk:
                        break
                    left -= len(chunk)
                    data = inflater.decompress(chunk, _CHUNK)
                    while True:
                        produced += len(data)
                        if produced > info.file_size:
                            raise self._refuse(
                                f"part {info.filename} inflates beyond the {info.file_size:,} bytes it declares: "
                                "refused as a possible zip bomb")
                        if not inflater.unconsumed_tail:
                            break
                        data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            except zlib.error as exc:
                raise self._refuse(f"part {info.filename} is corrupt ({exc})") from exc

    def _check_prolog(self, info: zipfile.ZipInfo) -> None:
        head = self._read_head(info, _PROLOG_BYTES)
        start = _FIRST_ELEMENT.search(head)
        prolog = head if start is None else head[: start.start()]
        if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
            raise self._refuse(f"part {info.filename} declares a DTD or entities, which no Excel file does: "
                               "refused as possibly hostile XML (entity expansion / external entities)")
        if start is None and len(head) >= _PROLOG_BYTES:
            raise self._refuse(f"part {info.filename} has no XML element in its first {_PROLOG_BYTES:,} bytes")

    def _read_head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        try:
            with self.zip.open(info) as fh:
                return fh.read(size)
        except _CORRUPT as exc:
            raise self._refuse(f"part {info.filename} is corrupt ({exc})") from exc

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self.zip.NameToInfo.get(name) or self._folded.get(name.casefold())
        if info is None:
            raise self._refuse(f"part {name} is missing from the package")
        return info

    def read(self, name: str) -> bytes:
        """The bytes of part ``name`` (never more than it declares; a CRC mismatch is refused)."""
        info = self._info(name)
        if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x01:
            return self._inflate(info)
        try:
            with self.zip.open(info) as fh:
                return fh.read()
        except _CORRUPT as exc:
            raise self._refuse(f"part {name} is corrupt ({exc})") from exc

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        """A deflated part inflated in one call (ISA-L where installed), never past the size it
        declares; a size or CRC-32 that does not match is refused as a corrupt part."""
        try:
            self._seek_data(self.zip.fp, info)
            raw = self.zip.fp.read(info.compress_size)
            inflater = fast_zlib.decompressobj(-zlib.MAX_WBITS)
            data = inflater.decompress(raw, info.file_size + 1)
        except _CORRUPT + (fast_zlib.error,) as exc:
            raise self._refuse(f"part {info.filename} is corrupt ({exc})") from exc
        if len(data) > info.file_size:
            raise self._refuse(f"part {info.filename} inflates beyond the {info.file_size:,} bytes it declares: "
                               "refused as a possible zip bomb")
        if len(data) < info.file_size or fast_zlib.crc32(data) != info.CRC:
            raise self._refuse(f"part {info.filename} is corrupt (its size or CRC-32 does not match the directory)")
        return data

    def chunks(self, name: str) -> Iterator[bytes]:
        """Part ``name`` inflated :data:`_SCAN_CHUNK` bytes at a time (the last one shorter), for a
        part too big to hold whole; never past the size it declares, and a size or CRC-32 that does
        not match is refused (at the end)."""
        info = self._info(name)
        if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x01:
            yield from self._inflate_chunks(info)
            return
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(_SCAN_CHUNK):
                    yield chunk
        except _CORRUPT as exc:
            raise self._refuse(f"part {info.filename} is corrupt ({exc})") from exc

    def _inflate_chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """:meth:`chunks` of a deflated part, inflated by ISA-L where installed (zipfile's reader
        inflates with zlib, at a third of its speed: 0.3 s CPU on the 20,000-session example's
        sheets). Its own file handle: the caller may read other parts between two chunks."""
        pending: list[bytes] = []
        pending_size = produced = crc = 0
        try:
            with open(self.path, "rb") as fh:
                self._seek_data(fh, info)
                inflater = fast_zlib.decompressobj(-zlib.MAX_WBITS)
                left = info.compress_size
                while not inflater.eof:
                    if inflater.unconsumed_tail:
                        given = inflater.unconsumed_tail
                    elif left > 0:
                        given = fh.read(min(_CHUNK, left))
                        if not given:
                            break
                        left -= len(given)
                    else:
                        given = b""         # all read: what the inflater still holds
                    # at most what completes the chunk (never 0, which would mean no limit)
                    data = inflater.decompress(given, _SCAN_CHUNK - pending_size)
                    if not data and not given:
                        break               # the Deflate stream is cut short
                    produced += len(data)
                    if produced > info.file_size:
                        raise self._refuse(f"part {info.filename} inflates beyond the {info.file_size:,} bytes it "
                                           "declares: refused as a possible zip bomb")
                    crc = fast_zlib.crc32(data, crc)
                    pending.append(data)
                    pending_size += len(data)
                    if pending_size == _SCAN_CHUNK:
                        yield b"".join(pending)
                        pending, pending_size = [], 0
        except _CORRUPT + (fast_zlib.error,) as exc:
            raise self._refuse(f"part {info.filename} is corrupt ({exc})") from exc
        if not inflater.eof or produced != info.file_size or crc != info.CRC:
            raise self._refuse(f"part {info.filename} is corrupt (its size or CRC-32 does not match the directory)")
        if pending_size:
            yield b"".join(pending)

    def xml(self, name: str) -> Element:
        """Part ``name`` parsed as XML with DTDs and entities forbidden; the names of a part in another dialect
        (Strict Open XML) are those of Transitional (see :mod:`ilt_xl.xlsx.namespaces`)."""
        data = self.read(name)
        try:
            root = safe_et.fromstring(data, forbid_dtd=True)
        except Exception as exc:  # defusedxml and expat raise several types; all mean "unusable"
            raise self._refuse(f"part {name} is not well-formed, safe XML ({exc})") from exc
        return as_transitional(root) if dialect(data) else root
