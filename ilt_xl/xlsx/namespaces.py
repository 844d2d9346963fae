"""The XML namespaces of an .xlsx package, each defined once, and Strict Open XML read as Transitional.

Excel saves two dialects of one format. Transitional (every "Excel Workbook (*.xlsx)") names its
elements in the ``schemas.openxmlformats.org`` namespaces; Strict ("Strict Open XML Spreadsheet",
ISO/IEC 29500 Strict) names the same elements in ``purl.oclc.org/ooxml`` namespaces and spells
relationship types there too. What ilt-xl reads (workbook, relationships, sheets, shared strings,
tables) has the same elements and attributes in both, so a Strict part is read by renaming its
namespaces to their Transitional twins as it is parsed.
"""
from __future__ import annotations

from xml.etree.ElementTree import Element

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

STRICT_MARK = b"http://purl.oclc.org/ooxml/"
_STRICT_TWINS = {
    "http://purl.oclc.org/ooxml/spreadsheetml/main": NS_MAIN,
    "http://purl.oclc.org/ooxml/officeDocument/relationships": NS_DOC_REL,
}
_TWIN_OF_TAG = {f"{{{strict}}}": f"{{{transitional}}}" for strict, transitional in _STRICT_TWINS.items()}


def as_transitional(root: Element) -> Element:
    """``root`` with every element and attribute name in a Strict namespace renamed to its Transitional
    twin, in place (relationship types need nothing: they are told apart by their last segment)."""
    for el in root.iter():
        el.tag = _transitional_name(el.tag)
        if any(key.startswith("{") for key in el.attrib):
            el.attrib = {_transitional_name(key): value for key, value in el.attrib.items()}
    return root


def _transitional_name(name: str) -> str:
    if name.startswith("{http://purl.oclc.org/"):
        namespace, _, local = name.partition("}")
        twin = _TWIN_OF_TAG.get(namespace + "}")
        if twin is not None:
            return twin + local
    return name
