"""Well-formedness of a worksheet part the fast scanner cut into cells, without parsing it whole.

Expat reads sheet XML at ~150 MB/s: a second on the 20,000-session example, a quarter of its
recalculation. But the cells the scanner cut out by pattern (``FORMULA_CELL``, ``_VALUE_CELL``) are
well-formed by construction, except for what their patterns let through as free text:

* the attributes of ``<c>`` and the ``<f>`` element: a calculated column repeats one of each on
  every row, so the distinct ones are parsed, in a cell element, in one small document;
* the texts (``<v>``, ``<t>``): any bytes but ``<``. Only four things make such text not XML, and
  each is found at C speed over the part's bytes: a byte that is never an XML character (control
  characters), bytes that are not UTF-8 (or U+FFFE/U+FFFF), an ``&`` that starts no predefined
  entity or character reference (or one to a character XML does not allow), and ``]]>``.

What is left once the cells are cut out (rows, empty cells, the elements around sheetData: a
fourteenth of the example's bytes) goes through expat with a marker element where each run of cut
cells was: a marker inside an attribute value or a tag is an error, so each cut lies between
elements. Comments, CDATA sections and processing instructions (where a marker would pass, and
which may hold text that looks like cells but is none) are not read this way: their presence sends
the part to the scanner's careful path (:func:`hides_markup`). Where the rows left are plain (:func:`plain_rows`: a
layout that is always well-formed content, checked by the compiled locator in one pass), expat reads
only the markup around sheetData's content (:func:`around_damage`). Anything else doubtful sends the
part to expat whole. Doubt never lets a part through unchecked; it only costs the full parse.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ilt_xl.engine import cell_locator
from ilt_xl.xlsx.safezip import xml_damage

# where a run of cut cells was; a name no worksheet uses, so it is never taken for a cell
MARKER = b"<_/>"
# every byte but the control characters XML 1.0 refuses (tab, newline and return are characters)
_XML_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r"
_REFERENCE = re.compile(rb"&(?:amp|lt|gt|quot|apos|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_ROOT_START = re.compile(rb"<worksheet(?=[\s>])[^>]*>")


def _allowed_character(code: int) -> bool:
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def text_doubt(data: bytes) -> bool:
    """Whether bytes of a part hold what could make a text in it not XML (then expat must decide).
    The compiled cell locator (:mod:`~ilt_xl.engine.cell_locator`) looks at every byte once
    where it was built; what is not ASCII is left to the decoder either way."""
    if cell_locator.compiled is not None:
        doubt, ascii_ = cell_locator.compiled.text_doubt(data)
        return doubt or (not ascii_ and _not_characters(data))
    if data.translate(None, _XML_BYTES):
        return True
    if not data.isascii() and _not_characters(data):
        return True
    if b"]" in data and b"]]>" in data:
        return True
    if b"&" in data:
        references = _REFERENCE.findall(data)
        if len(references) != data.count(b"&"):
            return True
        for decimal, hexadecimal in references:
            if (decimal or hexadecimal) and not _allowed_character(int(decimal) if decimal else int(hexadecimal, 16)):
                return True
    return False


def _not_characters(data: bytes) -> bool:
    """Whether bytes not all ASCII are not UTF-8, or hold U+FFFE or U+FFFF (not XML characters)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    # U+FFFE, U+FFFF (a one-byte search first: memchr is many times faster than a substring's)
    return b"\xbf" in data and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)


def hides_markup(skeleton: bytes) -> bool:
    """Whether the part with its cut cells replaced by markers holds a comment, CDATA section, DTD
    or processing instruction (other than the XML declaration): what a pattern took for a cell may
    lie inside one, and then is no cell."""
    declaration = skeleton.find(b"?>") if skeleton.startswith(b"<?") else 0
    return declaration < 0 or MARKER in skeleton[:declaration] or skeleton.find(b"<?", 1) >= 0 or b"<!" in skeleton


def plain_rows(skeleton: bytes) -> int:
    """The size of the sheetData start tag ``skeleton`` (sheetData up to its end tag, its cells cut
    out) begins with, when all after it is *plain rows*, else 0. Plain rows are ``<row>`` elements
    (or empty ones) holding empty cells ``<c .../>`` and markers, with white space between: each
    attribute after white space, its name ASCII letters and digits not starting "xml" (no prefix, no
    namespace declaration), ``="``, its value printable ASCII but ``< > & "``, no name twice in a
    tag, at most 16 in a tag, a cell's tag starting ``<c `` (one space). Such text is well-formed
    content that declares and uses no namespace, so a part whose sheetData holds it is well-formed
    exactly when it is without it (:func:`around_damage`), and every ``<c`` in it is an empty cell
    as ``sheet_scan._cells_accounted`` counts them. The compiled locator looks (one pass, a hundredth
    of expat's time); without it (or with a build older than it), 0: expat reads the whole
    skeleton, as it did."""
    look = getattr(cell_locator.compiled, "plain_rows", None)
    return look(skeleton) if look is not None else 0


_ENCODING = re.compile(rb"""\bencoding\s*=\s*["']([^"']*)["']""")


def around_damage(around: bytes, start: int = 0, plain: int = 0, end: int = 0) -> str | None:
    """Expat's complaint about ``around``, the part with its cut cells replaced by markers, which
    hides no markup (:func:`hides_markup`: the caller looked). When its sheetData start tag begins
    at ``start``, is ``plain`` bytes long and is followed by plain rows (:func:`plain_rows`) up to
    ``end``, where its end tag is, expat reads the part without the rows: that is well-formed exactly
    when the whole is (plain rows are well-formed content and hold nothing of a namespace), in a
    part declared UTF-8 or declaring no encoding (another may give its bytes other characters)."""
    declared = _ENCODING.search(around, 0, around.find(b"?>")) if around.startswith(b"<?") else None
    if not plain or (declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8")):
        return xml_damage(around)
    return xml_damage(around[:start + plain] + around[end:])


def cell_markup_damage(skeleton: bytes, attributes: Iterable[bytes], f_elements: Iterable[bytes]) -> str | None:
    """Expat's complaint about the distinct ``<c>`` attributes and ``<f>`` elements of the cells cut
    out, each in a cell of a document opened by the part's own root tag (its namespaces)."""
    root = _ROOT_START.search(skeleton)
    if root is None or root.group().endswith(b"/>"):
        return "no worksheet element"
    cells = [b'<c r="A1"' + a + b"></c>" for a in attributes]
    cells += [b'<c r="A1">' + f + b"</c>" for f in f_elements]
    return xml_damage(b"".join([root.group(), b"<sheetData><row>", *cells, b"</row></sheetData></worksheet>"]))
