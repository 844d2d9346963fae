"""The XML namespaces of an .xlsx package, each defined once, and Strict Open XML (or Excel 2007 beta) read as Transitional.

Excel saves two dialects of one format. Transitional (every "Excel Workbook (*.xlsx)") names its
elements in the ``schemas.openxmlformats.org`` namespaces; Strict ("Strict Open XML Spreadsheet",
ISO/IEC 29500 Strict) names the same elements in ``purl.oclc.org/ooxml`` namespaces and spells
relationship types there too. What ilt-xl reads (workbook, relationships, sheets, shared strings,
tables) has the same elements and attributes in both, so a Strict part is read by renaming its
namespaces to their Transitional twins as it is parsed. Files saved by Excel 2007's beta releases
are read the same way: the same elements, in the namespace the beta used for SpreadsheetML.
"""
from __future__ import annotations

from xml.etree.ElementTree import Element

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

# Dialects with Transitional's elements under other namespace names, by a byte string that marks them.
DIALECTS = {
    b"http://purl.oclc.org/ooxml/": "Strict Open XML",
    # Excel 2007's beta releases saved SpreadsheetML in this namespace before the standard named it.
    b"http://schemas.microsoft.com/office/excel/2006/2": "Excel 2007 beta",
}
_BETA = "http://schemas.microsoft.com/office/excel/2006/2"
_TWINS = {
    "http://purl.oclc.org/ooxml/spreadsheetml/main": NS_MAIN,
    "http://purl.oclc.org/ooxml/officeDocument/relationships": NS_DOC_REL,
    _BETA: NS_MAIN,
}
_TWIN_OF_TAG = {f"{{{other}}}": f"{{{transitional}}}" for other, transitional in _TWINS.items()}
# The one element of what ilt-xl reads that the beta named otherwise: a shared string item.
_RENAMED = {f"{{{_BETA}}}sstItem": f"{{{NS_MAIN}}}si"}


def dialect(data: bytes) -> str | None:
    """The name of the dialect other than Transitional that a part's bytes are written in, if any."""
    return next((name for mark, name in DIALECTS.items() if mark in data), None)


def as_transitional(root: Element) -> Element:
    """``root`` with every element and attribute name in another dialect's namespace renamed to its
    Transitional twin, in place (relationship types need nothing: they are told apart by their last segment)."""
    for el in root.iter():
        el.tag = _transitional_name(el.tag)
        if any(key.startswith("{") for key in el.attrib):
            el.attrib = {_transitional_name(key): value for key, value in el.attrib.items()}
    return root


def _transitional_name(name: str) -> str:
    if name in _RENAMED:
        return _RENAMED[name]
    namespace, brace, local = name.partition("}")
    twin = _TWIN_OF_TAG.get(namespace + brace) if brace else None
    return name if twin is None else twin + local
