"""Structured references (``Sessions[[#This Row],[Registered]]``) rewritten to A1 ranges.

The `formulas` parser knows A1 references only, so every structured reference is replaced by
the area it denotes, computed from the workbook's table definitions:

* whole columns and special items become absolute ranges (``'Enrolments'!$D$2:$D$9001``);
* ``[#This Row]`` / ``[@Col]`` become a cell on the formula's own row with a *relative* row
  (``'Sessions'!$K7``), so that the same text on every row of a calculated column has one shape.

Anything this module cannot resolve raises :class:`StructuredRefError` saying which reference
and why; nothing is ever guessed.
"""
from __future__ import annotations

import re

from ilt_xl.engine.external_links import sheet_name
from ilt_xl.engine.workbook_model import Table
from ilt_xl.xlsx import column_letter


class StructuredRefError(ValueError):
    """A structured reference that cannot be resolved; the message names it and says why."""


class ExternalLinkError(StructuredRefError):
    """A reference into another workbook (``[1]Sheet1!$A$1``), which the engine cannot read."""


_SPECIALS = {"#all", "#data", "#headers", "#totals", "#this row"}


def _in_name(ch: str) -> bool:
    """Whether ``ch`` may be part of a table's name: letters and digits of any script (テーブル15),
    underscore, period, backslash."""
    return ch.isalnum() or ch in "_.\\"


def quote_sheet(name: str) -> str:
    """A sheet name as a formula prefix: ``'My Sheet'!``."""
    return "'" + name.replace("'", "''") + "'!"


def _unescaped(text: str, start: int = 0):
    """``(index, character, bracket depth after it)`` of each character from ``start`` that ``'`` does not escape."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "'":
            i += 2
            continue
        depth += (ch == "[") - (ch == "]")
        yield i, ch, depth
        i += 1


_BRACKET_OR_ESCAPE = re.compile(r"[\[\]']")


def _bracket_end(text: str, start: int) -> int:
    """Index just past the bracket group opening at ``start`` (``'`` escapes the next character)."""
    depth, i = 0, start
    while True:
        found = _BRACKET_OR_ESCAPE.search(text, i)
        if found is None:
            raise StructuredRefError(f"unbalanced brackets in {text[start:]!r}")
        i = found.start()
        if text[i] == "'":
            i += 2
            continue
        depth += 1 if text[i] == "[" else -1
        if depth == 0:
            return i + 1
        i += 1


def _unescape_name(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "'" and i + 1 < len(name):
            i += 1
        out.append(name[i])
        i += 1
    return "".join(out)


def _top_level(text: str, separator: str) -> list[int]:
    """Positions of ``separator`` outside brackets, skipping characters escaped with ``'``."""
    return [i for i, ch, depth in _unescaped(text) if ch == separator and depth == 0]


def _split_items(inner: str) -> list[str]:
    """``[#Data],[A]:[B]`` -> ``['[#Data]', '[A]:[B]']`` (commas at bracket depth 0)."""
    bounds = [-1] + _top_level(inner, ",") + [len(inner)]
    items = (inner[a + 1:b].strip() for a, b in zip(bounds, bounds[1:]))
    return [it for it in items if it]


def _range_colon(item: str) -> int | None:
    """Index of the ':' joining two bracketed names (``[A]:[B]``), ignoring escaped characters."""
    colons = _top_level(item, ":")
    return colons[0] if colons else None


def _strip(item: str) -> str:
    item = item.strip()
    if not (item.startswith("[") and item.endswith("]")):
        raise StructuredRefError(f"expected [name], found {item!r}")
    return item[1:-1]


def resolve(table: Table, spec: str, row: int) -> str:
    """The A1 text of ``table`` + bracket ``spec`` (``'[[#This Row],[A]]'``) seen from ``row``."""
    body = spec[1:-1].strip()
    specials: list[str] = []
    columns: tuple[str, str] | None = None
    if body.startswith("@"):
        specials.append("#this row")
        rest = body[1:].strip()
        if rest:
            name = rest[1:-1] if rest.startswith("[") and rest.endswith("]") else rest
            columns = (_unescape_name(name), _unescape_name(name))
    elif body.startswith("["):
        for item in _split_items(body):
            colon = _range_colon(item)
            if colon is not None:
                a, b = item[:colon], item[colon + 1:]
                columns = (_unescape_name(_strip(a)), _unescape_name(_strip(b)))
            else:
                name = _strip(item)
                if name.lower() in _SPECIALS:
                    specials.append(name.lower())
                elif name.startswith("#"):
                    raise StructuredRefError(f"unknown special item [{name}] in {table.name}{spec}")
                else:
                    if columns is not None:
                        raise StructuredRefError(f"{table.name}{spec}: two column items (only a range A:B is supported)")
                    n = _unescape_name(name)
                    columns = (n, n)
    elif body.lower() in _SPECIALS:
        specials.append(body.lower())
    elif body.startswith("#"):
        raise StructuredRefError(f"unknown special item [{body}] in {table.name}{spec}")
    elif body:
        n = _unescape_name(body)
        columns = (n, n)
    # columns
    if columns is None:
        c0, c1 = table.ref[1], table.ref[3]
    else:
        c0, c1 = table.column_index(columns[0]), table.column_index(columns[1])
        for name, c in zip(columns, (c0, c1)):
            if c is None:
                raise StructuredRefError(f"{table.name}{spec}: table {table.name} has no column {name!r}"
                                         f" (columns: {', '.join(table.columns)})")
        c0, c1 = min(c0, c1), max(c0, c1)
    # rows
    t0, _, t1, _ = table.ref
    d0, d1 = table.data_rows
    sheet = quote_sheet(table.sheet)
    cols = (f"${column_letter(c0)}", f"${column_letter(c1)}")
    if "#this row" in specials:
        if len(specials) > 1:
            raise StructuredRefError(f"{table.name}{spec}: [#This Row] cannot be combined with other items")
        if not d0 <= row <= d1:
            return "#VALUE!"  # Excel: implicit intersection outside the table's data rows
        return f"{sheet}{cols[0]}{row}" + (f":{cols[1]}{row}" if c1 != c0 else "")
    wanted = set(specials) or {"#data"}
    if "#all" in wanted:
        r0, r1 = t0, t1
    else:
        spans = []
        if "#headers" in wanted:
            if table.header_rows == 0:
                return "#REF!"
            spans.append((t0, t0 + table.header_rows - 1))
        if "#data" in wanted:
            spans.append((d0, d1))
        if "#totals" in wanted:
            if table.totals_rows == 0:
                return "#REF!"
            spans.append((t1 - table.totals_rows + 1, t1))
        if wanted - {"#headers", "#data", "#totals"}:
            raise StructuredRefError(f"{table.name}{spec}: unsupported combination {sorted(wanted)}")
        if len(spans) == 2 and spans[0][1] + 1 != spans[1][0]:
            raise StructuredRefError(f"{table.name}{spec}: [#Headers],[#Totals] is not a contiguous area")
        r0, r1 = spans[0][0], spans[-1][1]
    if r1 < r0:
        return "#REF!"
    return f"{sheet}{cols[0]}${r0}:{cols[1]}${r1}"


# [1]Sheet1! and '[1]My sheet'!: a sheet of linked workbook number 1 (external_links)
_LINKED_SHEET = re.compile(r"([^\W\d][\w.]*)!")
_LINKED_QUOTED = re.compile(r"'\[([0-9]+)\]((?:[^']|'')+)'")
# [1]!Rate: a defined name of linked book 1 (not a table of it, [1]!Table1[c], nor a DDE topic)
_LINKED_BOOK_NAME = re.compile(r"![A-Za-z_\\][\w.]*(?![\w.\[(])")


# [#This Row] and its short form [@Col]: the row of the cell the formula (or name) is used in
_ROW_OF_USE = re.compile(r"\[\s*(?:#this row|@)", re.I)


def names_row_of_use(text: str) -> bool:
    """Whether ``text`` holds a structured reference to the row it is used on."""
    return "[" in text and _ROW_OF_USE.search(text) is not None


# what ends a run of characters rewrite copies as they are: a text, a quoted sheet name, a bracket
_COPIED_UNTIL = re.compile("[\"'\\[]")


def rewrite(text: str, tables: dict[str, Table], sheet: str, row: int, col: int, memo: dict | None = None) -> str:
    """``text`` (formula without '=') with every structured reference replaced by A1 text.

    ``tables`` maps upper-case table names to tables; (``sheet``, ``row``, ``col``) is the formula's
    cell, which locates ``[#This Row]`` and table-less references such as ``[@Col]``. ``memo``, when
    given, keeps each reference's A1 text for the next formulas of the same tables (a workbook's
    calculated columns name the same columns on the same rows again and again).
    """
    if "[" not in text:
        return text
    out, i, n = [], 0, len(text)
    copied = ""     # the characters copied as they are since the last piece written otherwise: a table's name ends it
    while i < n:
        found = _COPIED_UNTIL.search(text, i)
        j = n if found is None else found.start()
        if j > i:
            out.append(text[i:j])
            copied += text[i:j]
            i = j
            if i == n:
                break
        ch = text[i]
        if ch == '"':
            j = i + 1
            while True:
                j = text.find('"', j)
                if j == -1:
                    j = n
                    break
                if j + 1 < n and text[j + 1] == '"':
                    j += 2
                    continue
                break
            out.append(text[i:j + 1])
            copied = ""
            i = j + 1
            continue
        if ch == "'":
            j = text.find("'", i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == "'":
                j = text.find("'", j + 2)
            j = n - 1 if j == -1 else j
            linked = _LINKED_QUOTED.match(text, i, j + 1)
            out.append(f"'{sheet_name(linked.group(1), linked.group(2))}'" if linked else text[i:j + 1])
            copied = ""
            i = j + 1
            continue
        # ch == "["
        k = len(copied)
        while k > 0 and _in_name(copied[k - 1]):
            k -= 1
        name = copied[k:]
        end = _bracket_end(text, i)
        spec = text[i:end]
        if name:
            if k > 0 and copied[k - 1] == "!":
                raise StructuredRefError(f"sheet-qualified structured reference ...!{name}{spec} is not supported")
            table = tables.get(name.upper())
            if table is None:
                raise StructuredRefError(f"{name}{spec}: no table named {name!r} in the workbook")
            _drop_last(out, len(name))
        else:
            if spec == "[0]" and text[end:end + 1] == "!":      # [0]!Name: this workbook's own name
                i = end + 1
                continue
            if spec[1:2].isdigit():
                linked = _LINKED_SHEET.match(text, end)
                if spec[1:-1].isdigit() and _LINKED_BOOK_NAME.match(text, end):
                    out.append(f"'{sheet_name(spec[1:-1], '')}'!")     # [1]!Rate: a name of the linked book
                    copied = ""
                    i = end + 1
                    continue
                if linked is None or not spec[1:-1].isdigit():
                    raise ExternalLinkError(f"{spec}: a link to another workbook (external link); "
                                            "the engine reads only the values this workbook stored for its cells")
                out.append(f"'{sheet_name(spec[1:-1], linked.group(1))}'!")
                copied = ""
                i = linked.end()
                continue
            table = _table_at(tables, sheet, row, col)
            if table is None:
                raise StructuredRefError(f"{spec}: a table-less structured reference outside any table")
        out.append(_resolved(table, spec, row, memo))
        copied = ""
        i = end
    return "".join(out)


def _drop_last(out: list[str], count: int) -> None:
    """Remove the last ``count`` characters of the pieces ``out`` (a table's name copied as it was)."""
    while count:
        last = out.pop()
        if len(last) > count:
            out.append(last[:-count])
            return
        count -= len(last)


def _resolved(table: Table, spec: str, row: int, memo: dict | None) -> str:
    if memo is None:
        return resolve(table, spec, row)
    key = (id(table), spec, row)
    text = memo.get(key)
    if text is None:
        text = memo[key] = resolve(table, spec, row)
    return text


def _table_at(tables: dict[str, Table], sheet: str, row: int, col: int) -> Table | None:
    for t in tables.values():
        r0, c0, r1, c1 = t.ref
        if t.sheet.lower() == sheet.lower() and r0 <= row <= r1 and c0 <= col <= c1:
            return t
    return None
