"""Say what a file is when it is not an .xlsx, from its first bytes.

Users hand ilt-xl whatever they were emailed: an old .xls, a password-protected
workbook, a CSV renamed to .xlsx. Each gets its own message saying what to do,
instead of a generic "bad zip file".
"""
from __future__ import annotations

from pathlib import Path

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office encrypts a password-protected .xlsx into an OLE compound file with these streams.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_OLE_SCAN_BYTES = 64 << 20

ENCRYPTED = (
    "the workbook is password-protected (encrypted); ilt-xl cannot read it. "
    "Open it in Excel, remove the password (File > Info > Protect Workbook) and save it again"
)
XLS = "this is an Excel 97-2003 .xls (or another OLE compound) file, not an .xlsx; save it as .xlsx"


def non_zip_reason(path: Path, head: bytes) -> str | None:
    """Why ``path`` (whose first bytes are ``head``) cannot be an .xlsx, or None when it starts like a zip."""
    if head.startswith(ZIP_MAGICS):
        return None
    if not head:
        return "the file is empty"
    if head.startswith(OLE_MAGIC):
        return ENCRYPTED if _is_encrypted_ole(path) else XLS
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\t\r\n ").lower()
    if text.startswith(b"<?xml") or text.startswith(b"<workbook") or text.startswith(b"<?mso"):
        return "this is an XML file (perhaps an Excel 2003 XML spreadsheet), not an .xlsx; save it as .xlsx"
    if text.startswith(b"<html") or text.startswith(b"<!doctype") or text.startswith(b"<table"):
        return "this is an HTML file saved with a spreadsheet name, not an .xlsx; save it as .xlsx"
    if head.startswith(b"{\\rtf"):
        return "this is an RTF document, not an .xlsx"
    if head.startswith(b"%PDF"):
        return "this is a PDF document, not an .xlsx"
    if _looks_like_text(head):
        return ("this is a text file (CSV or similar) with a spreadsheet name, not an .xlsx; "
                "open it in Excel or LibreOffice and save it as .xlsx")
    return "this is not an .xlsx workbook (its content is not a zip package)"


def _is_encrypted_ole(path: Path) -> bool:
    with open(path, "rb") as fh:
        data = fh.read(_OLE_SCAN_BYTES)
    return any(name in data for name in _ENCRYPTED_STREAMS)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    for encoding in ("utf-8", "utf-16", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
        return printable >= 0.95 * max(len(text), 1)
    return False
