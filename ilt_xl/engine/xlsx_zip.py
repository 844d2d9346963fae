"""Safe access to the parts of an xlsx zip: size limits against zip bombs, XML without entities.

Every part is read through :func:`read_part`, which refuses parts whose declared or actual
uncompressed size is absurd, and XML is parsed with defusedxml, which refuses DTDs and entities.
"""
from __future__ import annotations

import posixpath
import zipfile
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et

MAX_PART_BYTES = 1 << 30          # one part may not unpack to more than 1 GiB
MAX_TOTAL_BYTES = 4 << 30         # nor the whole package to more than 4 GiB
MAX_RATIO = 1000                  # nor compress more than 1000:1 (zip bombs reach 10^6:1)

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class WorkbookError(Exception):
    """The workbook cannot be used: corrupt, unsafe or unsupported. The message says where and why."""


def open_package(path) -> zipfile.ZipFile:
    """Open ``path`` as a zip after checking the declared sizes of all its parts."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{path}: not an xlsx/xlsm zip package ({exc})") from exc
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > MAX_PART_BYTES or (
            info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > (1 << 20)
        ):
            zf.close()
            raise WorkbookError(f"{path}: part {info.filename} declares {info.file_size} bytes: refused (zip bomb?)")
    if total > MAX_TOTAL_BYTES:
        zf.close()
        raise WorkbookError(f"{path}: parts declare {total} bytes in all: refused (zip bomb?)")
    return zf


def read_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """The bytes of part ``name``, never more than its declared size (a lying header is refused)."""
    try:
        info = zf.getinfo(name)
    except KeyError as exc:
        raise WorkbookError(f"{zf.filename}: part {name} is missing") from exc
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise WorkbookError(f"{zf.filename}: part {name} is corrupt ({exc})") from exc
    if len(data) > info.file_size:
        raise WorkbookError(f"{zf.filename}: part {name} unpacks beyond its declared size: refused")
    return data


def parse_xml(zf: zipfile.ZipFile, name: str) -> Element:
    """Parse part ``name`` as XML, refusing DTDs and entity declarations."""
    data = read_part(zf, name)
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several types; all mean "unusable"
        raise WorkbookError(f"{zf.filename}: part {name} is not safe, well-formed XML ({exc})") from exc


def rels_of(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationships of ``part``: id -> (type suffix, absolute target part name)."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in zf.NameToInfo:
        return {}
    out = {}
    for rel in parse_xml(zf, rels_name):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = (rel.get("Type", "").rsplit("/", 1)[-1], full)
    return out


def text_of(el: Element) -> str:
    """Concatenated ``<t>`` texts of a string item (plain or rich text runs; phonetic runs skipped)."""
    t = el.find(f"{{{NS_MAIN}}}t")
    if t is not None and len(el) == 1:
        return t.text or ""
    return "".join(
        (r.find(f"{{{NS_MAIN}}}t").text or "") for r in el.findall(f"{{{NS_MAIN}}}r")
        if r.find(f"{{{NS_MAIN}}}t") is not None
    ) or (t.text or "" if t is not None else "")


def text_of_any(el: Element, ns: str) -> str:
    """Like :func:`text_of` for an element in namespace ``ns`` (``'{uri}'`` or ``''``)."""
    t = el.find(f"{ns}t")
    if t is not None:
        return t.text or ""
    return "".join((r.find(f"{ns}t").text or "") for r in el.findall(f"{ns}r") if r.find(f"{ns}t") is not None)
