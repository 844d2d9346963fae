"""Text built-ins: TRIM, T, VALUETOTEXT, BAHTTEXT, DOLLAR and TEXT (number formats:
:mod:`ilt_xl.engine.number_format`; the rest of the text functions go through the `formulas` bridge)."""
from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins.conditional import wildcard_regex
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.builtins._values import _omitted, booleans_as_errors, result, scalar_numbers, scalar_text
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.evaluator import Ctx, Val, broadcast_pair
from ilt_xl.engine.number_format import Section, format_number, round_half_away, split_sections
from ilt_xl.engine.number_text import looks_like_time, own_reading, parse_time_text
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NA, E_VALUE, XlError


@builtin("TRIM")
def trim(args: list[Val], ctx: Ctx) -> Val:
    texts, m, e = co.to_texts(args[0].block)
    out = np.empty(texts.shape, dtype=object)
    for idx in np.ndindex(texts.shape):
        out[idx] = " ".join(part for part in texts[idx].split(" ") if part)
    blk = Block(np.full(texts.shape, STR, np.int8), np.zeros(texts.shape), out)
    if m is not None:
        blk.kind[m], blk.obj[m] = ERR, e[m]
    return Val(blk, args[0].per_row)


@builtin("T")
def t(args: list[Val], ctx: Ctx) -> Val:
    """Text stays, errors pass through, anything else is empty text. Of a reference to several
    cells (in an array formula) Excel takes the first cell."""
    b = args[0].block
    if args[0].ref is not None and b.shape != (1, 1):
        b = b.take(slice(0, 1), slice(0, 1))
    kind = np.where(b.kind == ERR, ERR, STR).astype(np.int8)
    return Val(Block(kind, np.zeros(b.shape), np.where(np.isin(b.kind, (STR, ERR)), b.obj, "")), args[0].per_row)


@builtin("VALUETOTEXT")
@lifted(1, also=(0,))
def valuetotext(args: list[Val], ctx: Ctx) -> Val:
    """VALUETOTEXT(value, [format]): any value as text, errors included (``#N/A`` as text); format
    1 (strict) puts text in quotes, doubling the quotes inside."""
    if len(args) not in (1, 2):
        return Val(Block.errors((1, 1), E_VALUE))
    strict = 0
    if len(args) == 2 and not (args[1].shape == (1, 1) and args[1].block.kind[0, 0] == EMPTY):
        f = args[1].block
        if f.kind[0, 0] == ERR:
            return Val(f)
        num, m, _ = co.to_numbers(f)
        if m is not None or np.trunc(num[0, 0]) not in (0, 1):
            return Val(Block.errors((1, 1), E_VALUE))
        strict = int(np.trunc(num[0, 0]))
    b = args[0].block
    texts, _, _ = co.to_texts(b)
    err = b.kind == ERR
    texts[err] = [str(e) for e in b.obj[err]]
    if strict:
        text = b.kind == STR
        texts[text] = ['"' + str(t).replace('"', '""') + '"' for t in b.obj[text]]
    return Val(Block(np.full(b.shape, STR, np.int8), np.zeros(b.shape), texts), args[0].per_row)


# ---- BAHTTEXT ------------------------------------------------------------------------------------------

_THAI_DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
_THAI_PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")


def _thai_below_million(n: int, more_before: bool) -> str:
    """Thai words of 0 < n < 1,000,000: the tens' one is สิบ and two ยี่สิบ; a final one after
    other digits (``more_before``: a higher group too) is เอ็ด."""
    digits = [int(d) for d in str(n)]
    out = []
    for i, d in enumerate(digits):
        place = len(digits) - 1 - i
        if d == 0:
            continue
        if place == 1:
            out.append("สิบ" if d == 1 else "ยี่สิบ" if d == 2 else _THAI_DIGITS[d] + "สิบ")
        elif place == 0:
            out.append("เอ็ด" if d == 1 and (n >= 10 or more_before) else _THAI_DIGITS[d])
        else:
            out.append(_THAI_DIGITS[d] + _THAI_PLACES[place])
    return "".join(out)


def thai_words(n: int) -> str:
    """Thai words of a whole number >= 1 (millions repeat: ล้าน)."""
    millions, rest = divmod(n, 1_000_000)
    head = thai_words(millions) + "ล้าน" if millions else ""
    return head + (_thai_below_million(rest, bool(millions)) if rest else "")


def bahttext_of(x: float) -> str:
    """BAHTTEXT of one number: baht and satang (rounded to 2 decimals) in Thai words, ถ้วน when
    there are no satang, ลบ before a negative amount."""
    cents = int(co.excel_round(np.array([abs(x) * 100]), 0)[0])
    baht, satang = divmod(cents, 100)
    text = ""
    if baht or not satang:
        text = (thai_words(baht) if baht else _THAI_DIGITS[0]) + "บาท"
    text += thai_words(satang) + "สตางค์" if satang else "ถ้วน"
    return ("ลบ" if x < 0 and cents else "") + text


@builtin("BAHTTEXT")
def bahttext(args: list[Val], ctx: Ctx) -> Val:
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    b = args[0].block
    num, m, e = co.to_numbers(b)
    out = np.empty(b.shape, dtype=object)
    for idx in np.ndindex(b.shape):
        out[idx] = e[idx] if m is not None and m[idx] else bahttext_of(float(num[idx]))
    return Val(Block.from_objects(out), args[0].per_row)


# ---- TEXT -----------------------------------------------------------------------------------------------

def _has_at(section: str) -> bool:
    return "@" in re.sub(r'"[^"]*"|\\.', "", section)


def _text_section(code: str) -> str | None:
    """The section for text: the fourth of four (with or without @), else a last section with @."""
    sections = split_sections(code)
    return sections[-1] if len(sections) == 4 or _has_at(sections[-1]) else None


@builtin("TEXT")
def text_(args: list[Val], ctx: Ctx) -> Val:
    """TEXT(value, format_text): the number through Excel's number format
    (:mod:`ilt_xl.engine.number_format`); a number given as the format (``TEXT(1.23, 0)``) is
    its text; text that is no number goes through the format's text section."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    value, fmt = args
    per_row = broadcast_pair(value, fmt)
    vb, fb = value.block, fmt.block
    shape = np.broadcast_shapes(vb.shape, fb.shape)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        v = vb.take(*(slice(0, 1) if n == 1 else slice(i, i + 1) for i, n in zip(idx, vb.shape)))
        f = fb.take(*(slice(0, 1) if n == 1 else slice(i, i + 1) for i, n in zip(idx, fb.shape)))
        out[idx] = _text_one(v, f, ctx)
    return Val(_text_block(out), per_row)


def _text_one(v: Block, f: Block, ctx: Ctx):
    if f.kind[0, 0] == ERR:
        return v.obj[0, 0] if v.kind[0, 0] == ERR else f.obj[0, 0]
    if v.kind[0, 0] == ERR:
        return v.obj[0, 0]
    code = str(co.to_texts(f)[0][0, 0])
    if v.kind[0, 0] == BOOL:            # TRUE/FALSE are no numbers: text, through a text section
        shown = "TRUE" if v.num[0, 0] else "FALSE"
        section = _text_section(code)
        return shown if section is None else text_section(shown, section)
    if not _valid_format(code):
        return E_VALUE
    if v.kind[0, 0] == STR:
        number = _text_number(str(v.obj[0, 0]), ctx)
        if number is None:              # text that is no number: the text section, else itself
            section = _text_section(code)
            return v.obj[0, 0] if section is None else text_section(str(v.obj[0, 0]), section)
    else:
        number = float(co.to_numbers(v)[0][0, 0])
    got = format_number(number, code)
    return E_VALUE if got is None else got


@lru_cache(maxsize=1024)
def _valid_format(code: str) -> bool:
    """Excel refuses (#VALUE!) a format whose text placeholder @ shares a section with digits or
    dates, or stands in another section than the fourth of a four-section format."""
    sections = split_sections(code)
    if len(sections) == 4 and any(_has_at(s) for s in sections[:3]):
        return False
    return not any(_has_at(s) and (_DIGITS.search(_literals_out(s)) or Section(s).kind == "date")
                   for s in sections)


def _text_number(text: str, ctx: Ctx) -> float | None:
    """The number TEXT formats for a text value, read as VALUE reads it (a time such as 23:99 is
    1.027 days; a date or date and time its serial), else None."""
    if looks_like_time(text):
        return parse_time_text(text)
    try:
        return float(text.strip())
    except ValueError:
        pass
    got = call_by_name("VALUE", [Val(Block.scalar(text))], ctx).block
    return float(got.num[0, 0]) if got.kind[0, 0] == NUM else None


def _literals_out(section: str) -> str:
    return re.sub(r'"[^"]*"?|\\.|\[[^\]]*\]', "", section)


_DIGITS = re.compile(r"[0#?]")


def text_section(text: str, section: str) -> str:
    """Text through a format's text section: @ is the text, quoted and backslashed characters are
    literal, ``_x`` leaves a space, ``*x`` (fill) and [colour] are not shown."""
    out, i = [], 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(section[i + 1:end])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(section):
            out.append(section[i + 1])
        elif ch == "_" and i + 1 < len(section):
            out.append(" ")
        elif ch == "*" and i + 1 < len(section):
            pass
        elif ch == "[":
            end = section.find("]", i)
            i = len(section) if end < 0 else end + 1
            continue
        else:
            out.append(text if ch == "@" else ch)
            i += 1
            continue
        i += 2
    return "".join(out)


@builtin("DOLLAR", "USDOLLAR")
@lifted(0, 1)
def dollar(args: list[Val], ctx: Ctx) -> Val:
    """DOLLAR(number, [decimals]): the number rounded to ``decimals`` (2 when omitted; a negative
    count rounds left of the point) in Excel's currency format ``$#,##0.00;($#,##0.00)``.
    USDOLLAR is the same in dollars whatever the locale."""
    if not 1 <= len(args) <= 2:
        return Val(Block.errors((1, 1), E_VALUE))

    def code(decimals: int, _no_commas: bool) -> str:
        digits = "$#,##0" + ("." + "0" * decimals if decimals else "")
        return f"{digits};({digits})"
    return _rounded_text(args, code)


@builtin("FIXED")
@lifted(0, 1, 2)
def fixed(args: list[Val], ctx: Ctx) -> Val:
    """FIXED(number, [decimals], [no_commas]): the number rounded to ``decimals`` (2 when omitted;
    a negative count rounds left of the point) as #,##0.00, or 0.00 when no_commas is TRUE."""
    if not 1 <= len(args) <= 3:
        return Val(Block.errors((1, 1), E_VALUE))

    def code(decimals: int, no_commas: bool) -> str:
        return ("0" if no_commas else "#,##0") + ("." + "0" * decimals if decimals else "")
    return _rounded_text(args, code)


def _rounded_text(args: list[Val], code) -> Val:
    """DOLLAR and FIXED: the number rounded half away from zero to its decimals first (so no
    negative zero shows), then through the format ``code(decimals, no_commas)``. An empty
    argument is 0 (FALSE); no_commas takes a logical or the text TRUE/FALSE, not other text."""
    values = []
    for a in args[:2]:
        num, m, e = co.to_numbers(a.block)
        if m is not None:
            return Val(Block.errors((1, 1), e[0, 0]))
        values.append(float(num[0, 0]))
    flag = _logical(args[2].block) if len(args) > 2 else False
    if flag is None or isinstance(flag, XlError):
        return Val(Block.errors((1, 1), flag or E_VALUE))
    number = values[0]
    decimals = int(np.trunc(values[1])) if len(values) > 1 else 2
    if decimals > 127:
        return Val(Block.errors((1, 1), E_VALUE))
    number = float(round_half_away(number, decimals)) + 0.0
    return Val(Block.scalar(format_number(number, code(max(decimals, 0), flag))))


def _logical(b: Block):
    """A logical argument: TRUE/FALSE, a number (not 0 is TRUE), empty (FALSE), the text TRUE or
    FALSE in any case; None for other text; an error as itself."""
    k = b.kind[0, 0]
    if k == ERR:
        return b.obj[0, 0]
    if k == STR:
        return {"TRUE": True, "FALSE": False}.get(str(b.obj[0, 0]).strip().upper())
    return bool(b.num[0, 0]) if k in (NUM, BOOL) else False


def _text_block(out: np.ndarray) -> Block:
    """Texts and errors (errors are objects, not text that reads like one)."""
    kind = np.array([[ERR if isinstance(v, XlError) else STR for v in row] for row in out], dtype=np.int8)
    return Block(kind, np.zeros(out.shape), out)


@builtin("VALUE")
def value_(args: list[Val], ctx: Ctx) -> Val:
    """VALUE as the `formulas` library reads numbers and dates, but a text that is only a time is
    that time of day 0 (VALUE("12:00") is 0.5, not today at noon), by Excel's reading of times."""
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    b = args[0].block
    own = {idx: own_reading(str(b.obj[idx])) for idx in zip(*np.nonzero(b.kind == STR))}
    own = {idx: got for idx, got in own.items() if got is not False}
    out = call_formulas("VALUE", args, ctx)
    if not own or out.block.kind.shape != b.shape:
        return out
    kind, num, obj = out.block.kind.copy(), out.block.num.copy(), out.block.objects().copy()
    for idx, got in own.items():
        kind[idx], num[idx], obj[idx] = (ERR, 0.0, E_VALUE) if got is None else (NUM, got, None)
    return Val(Block(kind, num, obj), out.per_row)


@builtin("REGEXEXTRACT")
@lifted(0, 1, 2, 3)
def regexextract(args: list[Val], ctx: Ctx) -> Val:
    """REGEXEXTRACT(text, pattern, [return_mode], [case_sensitivity]): the first match (mode 0),
    every match as a row (1), or the first match's capture groups as a row (2; a group that took
    part in no match is #N/A, a pattern without groups #VALUE!); no match is #N/A.
    Case sensitivity 1 ignores case."""
    if not 2 <= len(args) <= 4:
        return Val(Block.errors((1, 1), E_VALUE))
    parts = []
    for a in args:
        b = a.block
        if b.kind[0, 0] == ERR:
            return Val(Block.errors((1, 1), b.obj[0, 0]))
        parts.append(b)
    text = str(co.to_texts(parts[0])[0][0, 0])
    pattern = str(co.to_texts(parts[1])[0][0, 0])
    mode = _small_int(parts[2]) if len(parts) > 2 else 0
    ignore_case = _small_int(parts[3]) if len(parts) > 3 else 0
    if mode not in (0, 1, 2) or ignore_case not in (0, 1):
        return Val(Block.errors((1, 1), E_VALUE))
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error:
        return Val(Block.errors((1, 1), E_VALUE))
    if mode == 2 and regex.groups == 0:
        return Val(Block.errors((1, 1), E_VALUE))
    found = regex.search(text)
    if found is None:
        return Val(Block.errors((1, 1), E_NA))
    if mode == 0:
        return Val(Block.scalar(found.group(0)))
    if mode == 1:
        row = [m.group(0) for m in regex.finditer(text)]
    else:
        row = [E_NA if g is None else g for g in found.groups()]
    return Val(Block.from_objects(np.array([row], dtype=object)))


def _small_int(b: Block) -> int | None:
    """An option's whole number (blank is 0), None when it is no number."""
    if b.kind[0, 0] == EMPTY:
        return 0
    num, m, _ = co.to_numbers(b)
    return None if m is not None else int(np.trunc(num[0, 0]))


# ---- CHAR and CODE: the character set of the platform that saved the workbook ------------------------

def _charset(ctx: Ctx) -> str:
    """CHAR and CODE use the system's character set: Windows-1252 in Excel for Windows, Mac Roman in
    Excel for the Mac. The workbook's docProps/app.xml names the application that saved it last
    (``Microsoft Macintosh Excel``); read once per run."""
    facts = ctx.book.facts
    if "charset" not in facts:
        facts["charset"] = "cp1252"
        try:
            import zipfile
            with zipfile.ZipFile(ctx.book.model.path) as z:
                if b"Macintosh" in z.read("docProps/app.xml")[:4096]:
                    facts["charset"] = "mac_roman"
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            pass
    return facts["charset"]


def _character(code: int, charset: str) -> str:
    """The character of a code 1-255 (a code the charset leaves undefined is its Unicode point: CHAR(129) in Windows)."""
    try:
        return bytes([code]).decode(charset)
    except UnicodeDecodeError:
        return chr(code)


def _each(args: list[Val], parts, one) -> Val:
    """``one(element)`` for each element of the only argument, read as ``parts`` reads it
    ((values, error mask, errors)); an argument's error stays; one argument only."""
    if len(args) != 1:
        return Val(Block.errors((1, 1), E_VALUE))
    elements, mask, errs = parts(args[0].block)
    out = np.empty(elements.shape, dtype=object)
    for idx, x in np.ndenumerate(elements):
        out[idx] = errs[idx] if mask is not None and mask[idx] else one(x)
    return Val(Block.from_objects(out), args[0].per_row)      # one character (CHAR) or a code (CODE)


@builtin("CHAR")
def char(args: list[Val], ctx: Ctx) -> Val:
    """CHAR(number): the character of the truncated code 1..255 (else #VALUE!), in the saving platform's set."""
    charset = _charset(ctx)

    def one(x: float):
        code = int(np.trunc(x)) if np.isfinite(x) else 0
        return _character(code, charset) if 1 <= code <= 255 else E_VALUE
    return _each(args, co.to_numbers, one)


@builtin("CODE")
def code(args: list[Val], ctx: Ctx) -> Val:
    """CODE(text): the code of the first character in the saving platform's set; "" is #VALUE!; a
    character the set lacks is 63 (?), as Excel's conversion gives."""
    charset = _charset(ctx)

    def one(t: str):
        if not t:
            return E_VALUE
        try:
            return float(t[0].encode(charset)[0])
        except UnicodeEncodeError:
            return float(ord(t[0])) if ord(t[0]) < 256 else 63.0
    return _each(args, co.to_texts, one)


_MAX_TEXT = 32767       # the most characters a cell holds: a longer text result is #VALUE!


@builtin("REPT")
def rept(args: list[Val], ctx: Ctx) -> Val:
    """REPT(text, number_times): the text repeated (times truncated); a negative count, or a
    result past 32,767 characters, is #VALUE! (checked before the text is built: REPT("x",1E+9)
    costs nothing); the first error of the arguments wins."""
    if len(args) != 2:
        return Val(Block.errors((1, 1), E_VALUE))
    per_row = broadcast_pair(args[0], args[1])
    texts, tm, te = co.to_texts(args[0].block)
    times, nm, ne = co.to_numbers(args[1].block)
    shape = np.broadcast_shapes(texts.shape, times.shape)
    texts, times = np.broadcast_to(texts, shape), np.broadcast_to(times, shape)
    tm = None if tm is None else np.broadcast_to(tm, shape)
    nm = None if nm is None else np.broadcast_to(nm, shape)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        if tm is not None and tm[idx]:
            out[idx] = np.broadcast_to(te, shape)[idx]
        elif nm is not None and nm[idx]:
            out[idx] = np.broadcast_to(ne, shape)[idx]
        else:
            n = float(times[idx])
            k = int(n) if np.isfinite(n) and n >= 0 else -1
            text = str(texts[idx])
            out[idx] = E_VALUE if k < 0 or len(text) * k > _MAX_TEXT else text * k
    return Val(_text_block(out), per_row)


def _delimited(text: str, delimiters: list[str], instance: int, fold: bool, end_delimits: bool):
    """(start, end) of the ``instance``-th delimiter in ``text`` (counted from the end when
    negative; non-overlapping occurrences, any of ``delimiters``), None when there is none. With
    ``end_delimits``, the end of the text (the start, counting from the end) is one more."""
    hay = text.lower() if fold else text
    keys = [d.lower() if fold else d for d in delimiters]
    spans, at = [], 0 if instance > 0 else len(hay)
    while len(spans) < abs(instance):
        if instance > 0:
            hits = [(i, i + len(k)) for k in keys if (i := hay.find(k, at)) >= 0]
            if not hits:
                break
            span = min(hits, key=lambda h: (h[0], -h[1]))
            at = span[1] if span[1] > span[0] else span[1] + 1
        else:
            hits = [(i, i + len(k)) for k in keys if at - len(k) >= 0 and (i := hay.rfind(k, 0, at)) >= 0]
            if not hits:
                break
            span = max(hits, key=lambda h: (h[1], -h[0]))
            at = span[0] if span[1] > span[0] else span[0] - 1
        spans.append(span)
    if len(spans) == abs(instance):
        return spans[-1]
    if end_delimits and len(spans) == abs(instance) - 1:
        return (len(text), len(text)) if instance > 0 else (0, 0)
    return None


def _text_split_at(after: bool):
    """TEXTBEFORE/TEXTAFTER(text, delimiter, [instance_num], [match_mode], [match_end],
    [if_not_found]): the text before/after the instance_num-th delimiter (INT of it; negative
    counts from the end; a delimiter array means any of its texts). match_mode 1 ignores case;
    match_end 1 makes the end of the text a delimiter. #VALUE! for instance_num 0 or past the
    places a delimiter can start in the text, or a mode other than 0/1; not found: if_not_found
    (an empty cell is ""), else #N/A."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        if not 2 <= len(args) <= 6:
            return result(E_VALUE)
        text = scalar_text(args[0])
        if isinstance(text, XlError):
            return result(text)
        dl = co.to_texts(args[1].block)
        if dl[1] is not None:
            return result(dl[2][dl[1]][0])
        delimiters = [str(d) for d in dl[0].ravel()]
        got = scalar_numbers(list(args[2:5]))
        if isinstance(got, XlError):
            return result(got)
        instance, mode, end = (got + [None] * 3)[:3]
        n = 1 if instance is None else int(np.floor(instance))
        if n == 0 or (instance is not None and abs(n) > len(text) - min(map(len, delimiters)) + 1) \
                or mode not in (None, 0.0, 1.0) or end not in (None, 0.0, 1.0):
            return result(E_VALUE)
        span = _delimited(text, delimiters, n, mode == 1.0, end == 1.0)
        if span is not None:
            return Val(Block(np.full((1, 1), STR, np.int8), np.zeros((1, 1)),
                             np.array([[text[span[1]:] if after else text[:span[0]]]], dtype=object)))
        if len(args) > 5 and not _omitted(args[5]):
            b = args[5].block
            return Val(Block.scalar("")) if b.kind[0, 0] == EMPTY else Val(b.take(slice(0, 1), slice(0, 1)))
        return result(E_NA)
    return fn


builtin("TEXTBEFORE")(lifted(0, 2, 3, 4, 5)(_text_split_at(after=False)))
builtin("TEXTAFTER")(lifted(0, 2, 3, 4, 5)(_text_split_at(after=True)))


def _elementwise_text(args: list[Val], readers, defaults, one) -> Val:
    """``one(*values)`` for each element of the broadcast arguments (a column of a run too), each
    read by its reader (``co.to_texts`` or ``co.to_numbers``); an omitted or missing argument is
    its default (None: the argument is required); the leftmost argument's error first."""
    if not sum(d is None for d in defaults) <= len(args) <= len(defaults):
        return result(E_VALUE)
    parts = []
    for i, (read, default) in enumerate(zip(readers, defaults)):
        given = i < len(args) and not (default is not None and _omitted(args[i]))
        parts.append(read(args[i].block) if given else (np.full((1, 1), default, dtype=object), None, None))
    shape = np.broadcast_shapes(*(p[0].shape for p in parts))
    values = [np.broadcast_to(p[0], shape) for p in parts]
    merged = co.first_errors(*[(None if m is None else np.broadcast_to(m, shape),
                                None if e is None else np.broadcast_to(e, shape)) for _, m, e in parts])
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = merged[1][idx] if merged is not None and merged[0][idx] else one(*(v[idx] for v in values))
    return Val(_text_block(out) if all(isinstance(x, (str, XlError)) for x in out.flat) else Block.from_objects(out),
               any(a.per_row for a in args))


def _finder(wildcards: bool):
    """SEARCH/FIND(find_text, within_text, [start_num]): the 1-based position of find_text in
    within_text from start_num on (truncated; 1 when omitted). SEARCH ignores case and takes
    Excel's wildcards (? * and ~ before a literal character); FIND matches case and characters
    exactly. Numbers and logicals are read as their text. #VALUE! when not found or for a start
    below 1 or past the text; the first argument's error first."""
    def one(find, within, start):
        at = int(start) if np.isfinite(start) else 0
        if at < 1 or at > len(within) + 1:
            return E_VALUE
        if wildcards:
            found = wildcard_regex(str(find), whole=False).search(within, at - 1)
            return float(found.start() + 1) if found else E_VALUE
        pos = str(within).find(str(find), at - 1)
        return float(pos + 1) if pos >= 0 else E_VALUE

    def fn(args: list[Val], ctx: Ctx) -> Val:
        return _elementwise_text(args, (co.to_texts, co.to_texts, co.to_numbers), (None, None, 1.0), one)
    return fn


@builtin("SUBSTITUTE")
def substitute(args: list[Val], ctx: Ctx) -> Val:
    """SUBSTITUTE(text, old_text, new_text, [instance_num]): old_text replaced by new_text (case
    matters), every time or only its instance_num-th time (truncated; below 1 or a logical is
    #VALUE!); an empty old_text changes nothing."""
    def one(text, old, new, instance):
        every = instance == np.inf         # instance_num omitted
        n = 1 if every else int(instance) if np.isfinite(instance) else 0
        if n < 1:
            return E_VALUE
        if not old:
            return text
        if every:
            return text.replace(old, new)
        at = -1
        for _ in range(n):
            at = text.find(old, at + (len(old) if at >= 0 else 1))
            if at < 0:
                return text
        return text[:at] + new + text[at + len(old):]
    return _elementwise_text(args, (co.to_texts,) * 3 + (_count_of,), (None, None, None, np.inf), one)


def _count_of(b: Block):
    """A count argument: a number (numeric text read), not a logical (#VALUE!)."""
    return booleans_as_errors(b, *co.to_numbers(b))


builtin("SEARCH")(_finder(wildcards=True))
builtin("FIND")(_finder(wildcards=False))


@builtin("HYPERLINK")
def hyperlink(args: list[Val], ctx: Ctx) -> Val:
    """HYPERLINK(link_location, [friendly_name]): the cell shows friendly_name (a blank cell's 0),
    or the link when it is omitted; following the link is Excel's own business."""
    if not 1 <= len(args) <= 2:
        return result(E_VALUE)
    return args[1] if len(args) > 1 and not _omitted(args[1]) else args[0]


# UPPER, LOWER, LEFT, RIGHT and MID give text, even text that spells an error: UPPER of the text
# "#div/0!" is the text "#DIV/0!" (cached: IronCalc TEXT_STRING_HANDLING.xlsx)
@builtin("UPPER")
def upper(args: list[Val], ctx: Ctx) -> Val:
    return _elementwise_text(args, (co.to_texts,), (None,), str.upper)


@builtin("LOWER")
def lower(args: list[Val], ctx: Ctx) -> Val:
    return _elementwise_text(args, (co.to_texts,), (None,), str.lower)


def _cut(text: str, start: float, count: float) -> str | XlError:
    """``count`` characters of ``text`` from the 1-based ``start`` (both truncated); a start
    below 1 or a negative count is #VALUE!."""
    if not (start >= 1 and count >= 0):
        return E_VALUE
    start, count = int(min(start, _MAX_TEXT + 1)), int(min(count, _MAX_TEXT))
    return text[start - 1:start - 1 + count]


def _count_given(args: list[Val]) -> list[Val]:
    """LEFT/RIGHT's arguments with a num_chars left empty (``LEFT(A1,)``) read as 0, as
    arithmetic reads an empty argument; one not given at all is 1."""
    return [args[0], Val(Block.numbers([[0.0]]))] if len(args) == 2 and _omitted(args[1]) else args


@builtin("LEFT")
def left(args: list[Val], ctx: Ctx) -> Val:
    """LEFT(text, [num_chars=1])."""
    return _elementwise_text(_count_given(args), (co.to_texts, co.to_numbers), (None, 1.0), lambda t, n: _cut(t, 1, n))


@builtin("RIGHT")
def right(args: list[Val], ctx: Ctx) -> Val:
    """RIGHT(text, [num_chars=1])."""
    return _elementwise_text(_count_given(args), (co.to_texts, co.to_numbers), (None, 1.0),
                             lambda t, n: _cut(t, max(len(t) - math.trunc(n), 0) + 1, n) if n >= 0 else E_VALUE)


@builtin("MID")
def mid(args: list[Val], ctx: Ctx) -> Val:
    """MID(text, start_num, num_chars)."""
    return _elementwise_text(args, (co.to_texts, co.to_numbers, co.to_numbers), (None, None, None), _cut)


@builtin("EXACT")
def exact(args: list[Val], ctx: Ctx) -> Val:
    """EXACT(text1, text2): whether the two texts are the same, case included; numbers compare as
    the text they show (EXACT(1/3, 0.333333333333333) is TRUE: 15 significant digits)."""
    return _elementwise_text(args, (co.to_texts, co.to_texts), (None, None), lambda a, b: a == b)


@builtin("TEXTJOIN")
def textjoin(args: list[Val], ctx: Ctx) -> Val:
    """TEXTJOIN(delimiter, ignore_empty, text1, ...): the texts of every value, arrays row by row,
    joined by the delimiters (a range of them is used in turn, over and over; an empty cell is no
    delimiter); ``ignore_empty`` leaves out empty cells and empty texts. The first error of the
    arguments is the result; a result past 32,767 characters is #VALUE!. Per row in a run."""
    if len(args) < 3:
        return result(E_VALUE)
    per_row = any(a.per_row for a in args)
    rows = ctx.n if per_row else 1
    # each argument read as text once; a per-row one then gives each row its own row
    read = [(co.to_texts(a.block), a.block, a.per_row) for a in args]
    out = np.empty((rows, 1), dtype=object)
    for r in range(rows):
        out[r, 0] = _joined([_row_of(part, b, r) if row_wise else (part, b) for part, b, row_wise in read])
    return Val(_text_block(out), per_row)


def _row_of(part: tuple, b: Block, r: int) -> tuple:
    """Row ``r`` of an argument read as text: ((texts, error mask, errors), its block)."""
    texts, mask, errs = part
    one = slice(r, r + 1)
    return (texts[one], None if mask is None else mask[one], None if errs is None else errs[one]), b.take(one, slice(None))


def _joined(read: list[tuple]) -> str | XlError:
    """TEXTJOIN of one row's arguments, each ((texts, error mask, errors), block)."""
    parts, blocks = [p for p, _ in read], [b for _, b in read]
    for _, mask, errs in parts:
        if mask is not None and mask.any():
            return errs[mask][0]        # the leftmost argument's first error
    flag = blocks[1]
    if flag.shape != (1, 1) or (flag.kind[0, 0] == STR and str(flag.obj[0, 0]).upper() not in ("TRUE", "FALSE")):
        return E_VALUE
    skip = str(flag.obj[0, 0]).upper() == "TRUE" if flag.kind[0, 0] == STR else bool(flag.num[0, 0] != 0)
    delimiters = [str(t) for t in parts[0][0].ravel()]
    texts = [str(t) for b, (texts, _, _) in zip(blocks[2:], parts[2:])
             for t, empty in zip(texts.ravel(), (b.kind == EMPTY).ravel()) if not (skip and (empty or t == ""))]
    joined = "".join(t + (delimiters[i % len(delimiters)] if i < len(texts) - 1 else "") for i, t in enumerate(texts))
    return E_VALUE if len(joined) > _MAX_TEXT else joined
