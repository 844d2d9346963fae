"""3-D references: ``SUM(Jan:Dec!B5)`` is cell B5 of every sheet from Jan to Dec in the
workbook's order, the first and last included (``'Week 1:Week 4'!A1:B2`` quoted as a whole).

Excel reads such a reference as the union of the same area on each of those sheets, and the
functions that take one (SUM, AVERAGE, COUNT, COUNTA, MAX, MIN, PRODUCT, the STDEV and VAR
family...) read every area. :func:`expand` writes it so before the formula is parsed:
``(Jan!B5,Feb!B5,...,Dec!B5)``, a union the engine already reads that way, and whose cells the
dependency graph then knows. A sheet name that the workbook lacks makes the reference #REF!.

A name qualified by a sheet (``Defines!Rate``, a name defined for the sheet Defines) is the
other sheet-prefixed form the formula parser cannot read: :func:`qualified_names` writes its
definition in its place.
"""
from __future__ import annotations

import re

_NAME = r"[^\W\d][\w.]*"
_AREA = r"\$?[A-Z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Z]{1,3}\$?[0-9]{1,7})?(?![\w(!\[])"
_THREE_D = re.compile(
    r'"(?:[^"]|"")*"'                                       # text: left as it is
    rf"|(?<![\w.!$'\]])(?:'((?:[^']|'')+):((?:[^']|'')+)'|({_NAME}):({_NAME}))!({_AREA})")


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def expand(text: str, sheet_names: list[str]) -> str:
    """``text`` (a formula without '=') with each 3-D reference written as the union of its
    sheets' areas; ``text`` itself when it has none (most formulas)."""
    if "!" not in text or ":" not in text:
        return text
    order = {name.lower(): i for i, name in enumerate(sheet_names)}

    def repl(m: re.Match) -> str:
        if m.group(5) is None:
            return m.group(0)
        first, last = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
        first, last = first.replace("''", "'"), last.replace("''", "'")
        i, j = order.get(first.lower()), order.get(last.lower())
        if i is None or j is None:
            return "#REF!"
        i, j = min(i, j), max(i, j)
        return "(" + ",".join(f"{_quoted(sheet_names[k])}!{m.group(5)}" for k in range(i, j + 1)) + ")"

    return _THREE_D.sub(repl, text)


# Sheet!Name: a defined name of that sheet's scope (or the workbook's), read as its definition
_QUALIFIED_NAME = re.compile(
    r'"(?:[^"]|"")*"'
    rf"|(?<![\w.!$'\]])(?:'((?:[^']|'')+)'|({_NAME}))!([A-Za-z_\\][\w.]*)(?![\w(!\[:])")
_CELLISH = re.compile(r"\$?[A-Z]{1,3}\$?[0-9]{1,7}|\$?[A-Z]{1,3}|\$?[0-9]{1,7}|R[0-9]*C[0-9]*", re.I)


def qualified_names(text: str, sheet_names: list[str], definition) -> str:
    """``text`` with each ``Sheet!Name`` (a name defined for that sheet, ``Defines!Rate``)
    replaced by the name's definition in brackets; ``definition(sheet index, NAME)`` gives it (the
    sheet's own name first, then the workbook's) or None, and the text is left as it is then."""
    if "!" not in text:
        return text
    order = {name.lower(): i for i, name in enumerate(sheet_names)}

    def repl(m: re.Match) -> str:
        if m.group(3) is None or _CELLISH.fullmatch(m.group(3)):
            return m.group(0)
        sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        index = order.get(sheet.lower())
        found = None if index is None else definition(index, m.group(3).upper())
        return m.group(0) if found is None else f"({found})"

    return _QUALIFIED_NAME.sub(repl, text)
