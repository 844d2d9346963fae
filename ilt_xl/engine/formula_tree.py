"""Formula text -> a small expression tree, built with the `formulas` library's parser.

`formulas` tokenises a formula and feeds the tokens in postfix order to an "AST builder"; this
module supplies a builder that keeps a plain tree instead of compiling a dispatcher, so the
engine can evaluate one tree over whole columns. Row-relative references are marked in the
text beforehand (see :func:`mark_relative_rows`) because the parser drops ``$`` anchors.
"""
from __future__ import annotations

import collections
import functools
import re
from dataclasses import dataclass

from formulas.errors import FormulaError
from formulas.parser import Parser
from formulas.tokens.function import Function
from formulas.tokens.operand import Error as ErrorToken, Number, String, Range
from formulas.tokens.operator import Operator

from ilt_xl.engine.values import ERRORS, E_NAME
from ilt_xl.xlsx import column_index

REL_MARK = "\u2063"   # invisible separator: cannot occur in a real sheet name written by Excel
MAX_ROW = 1048576


@dataclass(frozen=True)
class Ref:
    """A reference: sheet (None = the formula's own), 1-based inclusive bounds, relative-row flags.

    ``whole_cols`` marks ``A:C`` style references, whose rows are clamped to the used area.
    """

    sheet: str | None
    r0: int
    c0: int
    r1: int
    c1: int
    rel0: bool = False
    rel1: bool = False
    whole_cols: bool = False


@dataclass(frozen=True)
class Node:
    """One tree node: kind is 'num', 'str', 'bool', 'err', 'empty', 'ref', 'name', 'op', 'fn', 'array'."""

    kind: str
    value: object = None
    args: tuple = ()


class _TreeBuilder:
    """Collects `formulas` tokens (postfix order) into :class:`Node` trees."""

    def __init__(self, match=None):
        self._stack: collections.deque = collections.deque()
        self.match = match

    def __len__(self):
        return len(self._stack)

    def __getitem__(self, i):
        return self._stack[i]

    def pop(self):
        return self._stack.pop()

    def append(self, token):
        if isinstance(token, (Operator, Function)):
            try:
                args = [self._stack.pop() for _ in range(token.get_n_args)][::-1]
            except IndexError:
                raise FormulaError() from None
            if isinstance(token, Function):
                name = token.name.upper()
                kind = "array" if name == "ARRAY" else "fn"
                self._stack.append(Node(kind, name, tuple(args)))
            else:
                name = token.name if token.name.strip() else " "
                if name == "u+" and "-" in token.attr.get("sum_minus", ""):
                    name = "u--"        # --x: the parser folds the signs, but minus coerces to a number
                self._stack.append(Node("op", name, tuple(args)))
        else:
            self._stack.append(_operand(token))

    def finish(self):
        pass


def _operand(token) -> Node:
    if isinstance(token, ErrorToken):
        return Node("err", ERRORS.get(token.name.upper(), E_NAME))
    if isinstance(token, String):       # the tokenizer keeps a doubled quote doubled: "a""b" is a"b
        return Node("str", token.name.replace('""', '"').translate(_FROM_TEXT))
    if isinstance(token, Number):
        up = token.name.upper()
        if up in ("TRUE", "FALSE"):
            return Node("bool", up == "TRUE")
        return Node("num", float(token.name))
    if isinstance(token, Range):
        attr = token.attr
        if attr.get("is_reference") or "r1" not in attr:
            if token.name == "" or attr.get("ref", "") == "":
                return Node("empty")
            return Node("name", attr.get("ref", token.name))
        sheet = attr.get("sheet")
        rel0 = rel1 = False
        if sheet and REL_MARK in sheet:
            sheet, flags = sheet.split(REL_MARK, 1)
            rel0, rel1 = "1" in flags, "2" in flags
            sheet = sheet or None
        if sheet:
            sheet = sheet.replace("''", "'")
        c1s, c2s = attr.get("c1") or "A", attr.get("c2") or "XFD"
        r0, r1 = int(attr.get("r1") or 1), int(attr.get("r2") or MAX_ROW)
        whole = r0 == 0 or (r0 <= 1 and r1 >= MAX_ROW)
        return Node("ref", Ref(sheet, max(r0, 1), column_index(c1s), r1, column_index(c2s), rel0, rel1, whole))
    if type(token).__name__ == "Empty" or token.name == "":
        return Node("empty")
    raise FormulaError(f"unsupported token {token!r}")


class _TreeParser(Parser):
    ast_builder = _TreeBuilder


_PARSER = _TreeParser()

# an A1 cell or area, optionally sheet-qualified; strings, brackets and quoted names skipped whole.
# A sheet name without quotes may hold any letter (Paramètres!T5, Données!B2): \w, not [A-Za-z]
_A1 = re.compile(
    r'"(?:[^"]|"")*"'
    r"|\[[^\]]*\]"
    r"|(?<![\w.$])((?:'(?:[^']|'')*'|[^\W\d][\w.]*)!)?"
    r"(\$?[A-Z]{1,3})(\$?)([0-9]{1,7})(?::(\$?[A-Z]{1,3})(\$?)([0-9]{1,7}))?(?![\w(!\[])"
)


def mark_relative_rows(text: str) -> str:
    """Qualify references with a relative row so that the tree keeps that fact.

    ``B5`` -> ``'<REL_MARK>1'!B5`` (own sheet), ``Data!$B$2:B5`` -> ``'Data<REL_MARK>2'!$B$2:B5``.
    """
    def repl(m: re.Match) -> str:
        if m.group(2) is None:
            return m.group(0)
        rel0 = not m.group(3)
        rel1 = bool(m.group(5)) and not m.group(6)
        if not m.group(5):
            rel1 = rel0
        if not (rel0 or rel1):
            return m.group(0)
        sheet = m.group(1)[:-1] if m.group(1) else ""
        if sheet.startswith("'"):
            sheet = sheet[1:-1]
        else:
            sheet = sheet.replace("'", "''")
        flags = ("1" if rel0 else "") + ("2" if rel1 else "")
        area = m.group(0)[len(m.group(1) or ""):]
        return f"'{sheet}{REL_MARK}{flags}'!{area}"

    return _A1.sub(repl, text)


HOLE = "\u2064"     # invisible plus: marks a reference left out of a formula's template


_LAMBDA_WORD = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|(?<![A-Za-z0-9_.])(?:_xlfn\.)?(LAMBDA|LET|ANCHORARRAY)\s*\(|'
                          r'(?<![A-Za-z0-9_.])_xleta\.', re.I)


def rewrite_lambdas(text: str) -> str:
    """LAMBDA, LET, ANCHORARRAY (``A1#``), eta lambdas (``_xleta.SUM``) and lambda calls
    (``LAMBDA(x,x+1)(2)``) in a form the parser reads as plain functions and names:
    ``_xlfn._xlws.LAMBDA(...)``, ``_xlfn._xlws.ETA("SUM")``, ``_xlfn._xlws.LAMBDACALL(LAMBDA(...),2)`` (the
    `formulas` parser compiles its own LAMBDA, and makes ANCHORARRAY a name without its sheet)."""
    out, i = [], 0
    while True:
        m = _LAMBDA_WORD.search(text, i)
        if m is None:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:m.start()])
        if m.group(0)[0] in "\"'":
            out.append(m.group(0))
            i = m.end()
            continue
        if m.group(1) is None:     # _xleta.SUM -> ETA("SUM")
            name = re.match(r"[A-Za-z_][A-Za-z0-9_.]*", text[m.end():])
            word = name.group(0) if name else ""
            out.append(f'_xlfn._xlws.ETA("{word}")')
            i = m.end() + len(word)
            continue
        close = _closing(text, m.end() - 1)
        inner = rewrite_lambdas(text[m.end():close])
        call = f"_xlfn._xlws.{m.group(1).upper()}({inner})"
        i = close + 1
        if m.group(1).upper() == "LAMBDA" and i < len(text) and text[i] == "(":
            end = _closing(text, i)
            args = rewrite_lambdas(text[i + 1:end])
            call = f"_xlfn._xlws.LAMBDACALL({call}" + (f",{args})" if args.strip() else ")")
            i = end + 1
        out.append(call)


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (strings skipped); the end if none."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i = text.find('"', i + 1)
            while i != -1 and text[i + 1:i + 2] == '"':
                i = text.find('"', i + 2)
            if i == -1:
                return len(text)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


@functools.lru_cache(maxsize=65536)
def parse_formula(text: str) -> Node:
    """The tree of formula ``text`` (without the leading '='); raises ``FormulaError`` when unparsable.

    The parser is slow, and report sheets hold many formulas that differ in their A1 references
    only (``SUMIFS(..., $A21, ">="&B$5)``): the text is parsed as a template with each reference
    replaced by a hole, each reference on its own, and the references put into the holes. Text the
    template way cannot serve is parsed whole, so errors are the parser's own.
    """
    if "(" in text and _LAMBDA_WORD.search(text) and any(w in text.upper() for w in ("LAMBDA", "LET", "_XLETA.", "ANCHORARRAY")):
        text = rewrite_lambdas(text)
    if ":" in text:
        text = _bracket_ranges_to_calls(text)
    if "\r" in text or "\n" in text:
        text = _LINE_BREAK.sub(_line_break, text)
    refs: list[str] = []
    chained = []

    def hole(m: re.Match) -> str:
        if m.group(2) is None:
            return m.group(0)
        if text[m.end():m.end() + 1] == ":" or text[m.start() - 1:m.start()] == ":":
            chained.append(m.group(0))      # B2:E5:name: a hole would swallow the rest of the range
        refs.append(m.group(0))
        return f"'{HOLE}{len(refs) - 1}'!A1"

    if HOLE not in text:
        template = _A1.sub(hole, text)
        try:
            tree = _parse(template)
            nodes = [_reference(ref) for ref in refs]
        except Exception:  # formulas raises its own error types; parse whole to get them
            nodes = None
        if nodes is not None and not chained and all(n.kind == "ref" for n in nodes):
            return _fill(tree, nodes)
    return _parse(mark_relative_rows(text))


# A line break typed in a formula (Alt+Enter) is stored as CR LF. Outside text it is white space,
# which the parser takes as LF only (a CR LF leaves it with no valid formula); inside text it is
# text, which the parser would drop: there it travels as private-use characters (_operand).
_LINE_BREAK = re.compile(r'"(?:[^"]|"")*"|\r\n?')
_IN_TEXT = {"\r": "\ue000", "\n": "\ue001"}
_FROM_TEXT = str.maketrans({v: k for k, v in _IN_TEXT.items()})


def _line_break(m: re.Match) -> str:
    found = m.group(0)
    if found[0] != '"':
        return "\n"
    if "\ue000" in found or "\ue001" in found:      # the characters are the text's own: leave it as it was
        return found
    return found.replace("\r", _IN_TEXT["\r"]).replace("\n", _IN_TEXT["\n"])

_CALL = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_.]*\(")
# a defined name after ``:`` (Deals!$C$2:EndOfList): a word that is no cell, call or sheet prefix
_NAME_AFTER = re.compile(r"\s*[A-Za-z_\\][A-Za-z0-9_.]*(?![\w.(!\[])")


def _bracket_ranges_to_calls(text: str) -> str:
    """``A1:INDEX(A:A,5)`` -> ``(A1):INDEX(A:A,5)``: a reference joined by ``:`` to a function's
    result or a defined name (a range built when the formula runs: ``Deals!$C$2:EndOfList``). The
    parser reads ``A1:INDEX`` or ``A1:EndOfList`` as one name, or fails on ``$A$1:INDEX``; in
    brackets the reference is a reference and ``:`` the operator."""
    def repl(m: re.Match) -> str:
        if m.group(2) is not None and text[m.end():m.end() + 1] == ":" and (
                _CALL.match(text, m.end() + 1) or _is_name_after(text, m.end() + 1)):
            return f"({m.group(0)})"
        return m.group(0)
    return _A1.sub(repl, text)


def _is_name_after(text: str, at: int) -> bool:
    found = _NAME_AFTER.match(text, at)
    if found is None:
        return False
    word = found.group(0).strip()
    return not re.fullmatch(r"\$?[A-Za-z]{1,3}\$?[0-9]*|\$?[0-9]+|TRUE|FALSE", word, re.I)


@functools.lru_cache(maxsize=65536)
def _parse(text: str) -> Node:
    _, builder = _PARSER.ast("=" + text)
    return builder[-1]


_REF_PARTS = re.compile(r"(?:(?:'((?:[^']|'')*)'|([^\W\d][\w.]*))!)?"
                        r"\$?([A-Z]{1,3})(\$?)([0-9]{1,7})(?::\$?([A-Z]{1,3})(\$?)([0-9]{1,7}))?\Z")


@functools.lru_cache(maxsize=65536)
def _reference(text: str) -> Node:
    """The node of one A1 reference as :data:`_A1` matched it (as the parser would build it)."""
    m = _REF_PARTS.match(text)
    quoted, bare, col0, abs0, row0, col1, abs1, row1 = m.groups()
    r0, c0 = int(row0), column_index(col0)
    r1, c1 = (int(row1), column_index(col1)) if col1 else (r0, c0)
    if not (1 <= min(r0, r1) and max(r0, r1) <= MAX_ROW and max(c0, c1) <= 16384):
        return _parse(mark_relative_rows(text))         # not a cell: let the parser say what it is
    sheet = quoted.replace("''", "'") if quoted is not None else bare
    rel0 = not abs0
    rel1 = not abs1 if col1 else rel0
    return Node("ref", Ref(sheet, r0, c0, r1, c1, rel0, rel1, r0 <= 1 and r1 >= MAX_ROW))


def _fill(node: Node, refs: list[Node]) -> Node:
    """``node`` with each hole reference replaced by its reference."""
    if node.kind == "ref" and node.value.sheet is not None and node.value.sheet.startswith(HOLE):
        return refs[int(node.value.sheet[len(HOLE):])]
    if not node.args:
        return node
    return Node(node.kind, node.value, tuple(_fill(a, refs) for a in node.args))


def iter_nodes(node: Node):
    """All nodes of a tree, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.args)
