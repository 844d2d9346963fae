"""Excel formula text -> tokens, in one pass of one compiled regular expression.

The token kinds (the first alternative that matches at a position wins, in this order):

``ws``     white space (an intersection between two operands, otherwise nothing)
``str``    a text constant, ``"a""b"`` (a doubled quote is one quote)
``sheet``  a sheet prefix ``Data!`` or ``'My ''S'''!`` (quoted: any character, ``''`` for a quote);
           another workbook's ``[1]Data!`` keeps its book number
``err``    an error constant ``#N/A``, ``#DIV/0!`` ... (any case)
``num``    a number ``12``, ``1.5``, ``.5``, ``1.5E+3``, ``1E200`` (not followed by a letter, a digit, ``.`` or ``:``)
``bool``   ``TRUE`` / ``FALSE`` (any case; ``TRUE()`` is the function)
``area``   ``A1:B2`` with ``$`` anchors; ``cell`` ``A1`` (``A1#`` is a spill reference);
``cols``   ``A:C``; ``rows`` ``1:3``. A row may start with 0 (``A01``, ``SS077:SW090``, ``05:05``),
           as Excel reads it (ROW(INDIRECT("05:05")) is 5); ``A0`` is no cell
``func``   a function name and its opening parenthesis, ``_xlfn.XLOOKUP(``
``name``   a defined name (letters, digits, ``_``, ``.``, ``\\``; not a cell)
``op``     ``<> <= >= < > = + - * / ^ & : @ % , ; ( ) { }``

Line breaks outside text (Excel stores Alt+Enter as CR LF) are dropped before the scan; inside a
text constant they are part of the text. A character no alternative takes raises
:class:`FormulaError`.
"""
from __future__ import annotations

import re


class FormulaError(ValueError):
    """The text is not a formula this engine can read."""


_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r'|(?P<str>"(?:[^"]|"")*")'
    r"|(?:'(?P<qsheet>(?:[^']|'')+)'|(?P<sheet>\[[0-9]+\](?:[^\W\d][\w.]*)?|[^\W\d][\w.]*))!"
    r"|(?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NUM!|NAME\?|N/A|GETTING_DATA))"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)(?![A-Za-z0-9.]|\s*:)"
    r"|(?P<bool>TRUE|FALSE)(?!\(\)|[A-Za-z0-9.]|\s*:)"
    r"|(?P<area>(\$?)([A-Za-z]{1,3})(\$?)(0*[1-9][0-9]*):(\$?)([A-Za-z]{1,3})(\$?)(0*[1-9][0-9]*))(?![\w.(])"
    r"|(?P<cell>\$?([A-Za-z]{1,3})(\$?)(0*[1-9][0-9]*)\#?)(?![\w.(])"
    r"|(?P<cols>\$?([A-Za-z]{1,3}):\$?([A-Za-z]{1,3}))(?![\w.(])"
    r"|(?P<rows>\$?(0*[1-9][0-9]*):\$?(0*[1-9][0-9]*))(?![\w.(])"
    r"|(?P<func>[A-Za-z_][\w.]*)\("
    r"|(?P<name>(?:[^\W\d]|\\)[\w.\\]*)"
    r"|(?P<op><>|<=|>=|[-+*/^&=<>:@%,;(){}])",
    re.IGNORECASE,
)
_LINE_BREAK = re.compile(r'"(?:[^"]|"")*"|[\r\n]+')


def _drop_line_break(m: re.Match) -> str:
    return m.group(0) if m.group(0)[0] == '"' else ""


def tokens(text: str) -> list[re.Match]:
    """The matches of the token pattern over ``text``, in order; ``m.lastgroup`` is the kind
    (``qsheet`` for a quoted sheet prefix; a ``cell`` ending in ``#`` is a spill reference)."""
    if "\r" in text or "\n" in text:
        text = _LINE_BREAK.sub(_drop_line_break, text)
    out, pos, end = [], 0, len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise FormulaError(f"cannot read the formula at {text[pos:pos + 20]!r}")
        out.append(m)
        pos = m.end()
    return out

# where each reference kind's groups start: its inner groups are the next ones (see _TOKEN)
GROUP = {kind: _TOKEN.groupindex[kind] for kind in ("area", "cell", "cols", "rows")}
