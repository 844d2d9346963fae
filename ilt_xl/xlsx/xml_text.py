"""Text as SpreadsheetML stores it: characters XML 1.0 cannot hold spelled ``_xHHHH_``.

XML 1.0 has no way to write most control characters (U+0000-U+001F but tab and line feed), nor
U+FFFE/U+FFFF; a carriage return would be read back as a line feed. Excel stores each as
``_xHHHH_`` (ECMA-376 Part 1, §22.4.2.4 ST_Xstring) and a literal ``_xHHHH_`` as ``_x005F_xHHHH_``,
and so does every part ilt-xl writes: a cell ``=CHAR(1)`` never makes a sheet unreadable. Reading
decodes every escape as Excel does (:func:`decode_xstring`).
"""
from __future__ import annotations

import re

from ilt_xl.xlsx.namespaces import NS_MAIN

XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_SURROGATE = re.compile("[\ud800-\udfff]")      # unpaired halves cannot be encoded at all


def xml_text(text: str, attribute: bool = False) -> str:
    """``text`` as XML character data (or, with ``attribute``, a double-quoted attribute value)."""
    text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    text = XML_INVALID.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    text = _SURROGATE.sub("\ufffd", text)
    return escape_markup(text, attribute)


def escape_markup(text: str, attribute: bool = False) -> str:
    """``text`` with ``&``, ``<`` and ``>`` spelled as entities (and, with ``attribute``, ``"``, line
    feed and tab: a double-quoted attribute value keeps them), as ``xml.sax.saxutils.escape`` does.
    Not that module: it imports urllib.request, http.client, ssl and email (0.03 s), which nothing
    else ``ilt-xl recalc`` runs needs, and the sheet scan imports this module before the load's
    helper is forked."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
_NS_MAIN = f"{{{NS_MAIN}}}"


def decode_xstring(text: str) -> str:
    """Cell text as read from XML with its ``_xHHHH_`` escapes decoded, as Excel decodes them: left to
    right (``_x005F_x0041_`` is the literal ``_x0041_``), and escapes of UTF-16 surrogates joined into
    the character they spell (``_xD83C__xDF93_`` is one emoji; a half on its own stays a lone surrogate)."""
    if "_x" not in text:
        return text
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return text


def string_item_text(el, ns: str = _NS_MAIN) -> str:
    """Text of a shared or inline string item (``<si>``/``<is>``): its ``<t>``, or its rich-text runs'
    ``<t>`` joined (phonetic runs left out), escapes decoded. ``ns`` is the ``'{uri}'`` prefix of its elements."""
    t = el.find(f"{ns}t")
    if t is not None:
        return decode_xstring(t.text or "")
    return decode_xstring("".join(rt.text or "" for r in el.findall(f"{ns}r") if (rt := r.find(f"{ns}t")) is not None))
