"""Excel's number format codes, applied to a number as TEXT applies them.

A code is cut once into its sections (``positive;negative;zero;text``) and each section into
tokens; :func:`format_number` then formats a number (cached per distinct number and code).
The rules follow Excel's documentation of custom number formats and the values Excel cached in
workbooks it saved (tests/engine/builtins/test_number_format.py says which for each case):

- sections: one for all numbers (a negative gets a minus sign in front of everything), two
  (the second for negatives, shown without their sign), three (the third for zero); a condition
  (``[>=1000]``) picks its section instead, and a number no section takes is shown as General.
  The minus sign is not shown when the number, rounded to what the section shows, is zero.
- ``0`` ``#`` ``?`` digit placeholders (``?`` leaves a space), ``.``, ``,`` between integer
  placeholders groups thousands, after them divides by 1,000 each; ``%`` multiplies by 100;
  ``E+``/``E-`` scientific (engineering when the mantissa has several integer placeholders);
  ``# ?/?`` fractions, ``/16`` a fixed denominator; ``General``.
- ``"text"``, ``\\x`` literals, ``_x`` one space, ``*x`` nothing (TEXT shows no fill), ``[Red]``
  and other colours nothing, ``[$€-407]`` its symbol, ``[$-409]`` nothing.
- dates and times: y, m, d, h, s, AM/PM, A/P, fractions of a second (``ss.00``, at most three
  digits), elapsed ``[h]``, ``[m]``, ``[s]``; Excel's 1900 calendar (serial 0 is 0 January
  1900, serial 60 is 29 February 1900).

A result of None is Excel's #VALUE! (a date outside 1900..9999, a negative time, a date code
mixed with digit placeholders)."""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

# the largest serial Excel formats as a date or time: 9999-12-31 23:59:59.999
LAST_SERIAL = 2958466.0

_PRECISION = 800        # digits: a double's 309 whole digits and up to 127 decimals (FIXED), or more

LIT, DIGIT, POINT, COMMA, PERCENT, EXP, SLASH, AT, GENERAL, DATE, ELAPSED, AMPM = range(12)

_CONDITION = re.compile(r"(<=|>=|<>|<|>|=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")
_WORDS = {"general": GENERAL, "am/pm": AMPM, "a/p": AMPM}
_SINGLE = {"0": DIGIT, "#": DIGIT, "?": DIGIT, ".": POINT, ",": COMMA, "%": PERCENT, "/": SLASH, "@": AT}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def split_sections(code: str) -> list[str]:
    """A number format split at its ``;`` (not those in quotes or after a backslash)."""
    out, part, quoted, i = [], [], False, 0
    while i < len(code):
        ch = code[i]
        if ch == "\\" and i + 1 < len(code) and not quoted:
            part.append(code[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append("".join(part))
            part = []
        else:
            part.append(ch)
        i += 1
    out.append("".join(part))
    return out


class Section:
    """One section of a format: its tokens (kind, text), its condition (op, number) or None, and
    what it shows: 'number', 'sci', 'fraction', 'date', 'general', 'text' or 'literal'."""

    __slots__ = ("tokens", "condition", "kind", "valid")

    def __init__(self, text: str):
        self.tokens, self.condition, self.valid = _tokenise(text)
        kinds = {k for k, _ in self.tokens}
        if kinds & {DATE, ELAPSED, AMPM}:
            self.kind = "date"
            self.tokens, dated = _date_tokens(self.tokens)
            self.valid = self.valid and dated
        elif AT in kinds:
            self.kind = "text"
        elif GENERAL in kinds:
            self.kind = "general"
        elif DIGIT not in kinds:
            self.kind = "literal"
        elif _exp_at(self.tokens) is not None:
            self.kind = "sci"           # a point in the exponent makes no format
            self.valid = self.valid and all(k != POINT for k, _ in self.tokens[_exp_at(self.tokens):])
        elif _slash_at(self.tokens) is not None:
            self.kind = "fraction"
        else:
            self.kind = "number"


def _tokenise(text: str) -> tuple[list[tuple[int, str]], tuple[str, float] | None, bool]:
    toks: list[tuple[int, str]] = []
    cond = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        low = ch.lower()
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:                 # a quote never closed: Excel refuses the format
                return toks, cond, False
            toks.append((LIT, text[i + 1:end]))
            i = end + 1
        elif ch == "\\" and i + 1 < n:
            toks.append((LIT, text[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < n:
            toks.append((LIT, " "))
            i += 2
        elif ch == "*" and i + 1 < n:
            i += 2
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                toks.append((LIT, text[i:]))
                break
            body = text[i + 1:end]
            i = end + 1
            found = _CONDITION.fullmatch(body.strip())
            low_body = body.lower()
            if found:
                cond = (found.group(1), float(found.group(2)))
            elif low_body and low_body[0] in "hms" and set(low_body) == {low_body[0]}:
                toks.append((ELAPSED, low_body))
            elif body.startswith("$"):
                symbol = body[1:].split("-")[0]
                if symbol:
                    toks.append((LIT, symbol))
            # colours ([Red], [Color 10]) and other tags show nothing
        elif any(text[i:i + len(w)].lower() == w for w in _WORDS):
            word = next(w for w in _WORDS if text[i:i + len(w)].lower() == w)
            toks.append((_WORDS[word], text[i:i + len(word)]))
            i += len(word)
        elif ch in _SINGLE:
            toks.append((_SINGLE[ch], ch))
            i += 1
        elif low == "e" and i + 1 < n and text[i + 1] in "+-":
            toks.append((EXP, text[i:i + 2]))
            i += 2
        elif low in "ymdhse":
            j = i
            while j < n and text[j].lower() == low:
                j += 1
            toks.append((DATE, low * (j - i)))
            i = j
        else:
            toks.append((LIT, ch))
            i += 1
    return toks, cond, True


def _date_tokens(toks: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], bool]:
    """A date section's tokens: digits after a point are fractions of a second ('frac', the
    point and its zeros), e+/e- are a year and a literal sign, the rest of the number codes
    literals; digit placeholders anywhere else make the section invalid."""
    out: list[tuple[int, str]] = []
    valid = True
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        if kind == POINT and i + 1 < len(toks) and toks[i + 1] == (DIGIT, "0"):
            j = i + 1
            while j < len(toks) and toks[j] == (DIGIT, "0"):
                j += 1
            out.append((POINT, "." + "0" * (j - i - 1)))
            i = j
            continue
        if kind == DIGIT:
            valid = False
        elif kind == EXP:
            out += [(DATE, "e"), (LIT, text[1])]
        elif kind in (POINT, COMMA, PERCENT, SLASH, GENERAL):
            out.append((LIT, text))
        elif kind == AT:
            valid = False
        else:
            out.append((kind, text))
        i += 1
    return out, valid


def _exp_at(toks) -> int | None:
    for i, (k, _) in enumerate(toks):
        if k == EXP and any(kk == DIGIT for kk, _ in toks[:i]):
            return i
    return None


def _slash_at(toks) -> int | None:
    for i, (k, _) in enumerate(toks):
        if k == SLASH and any(kk == DIGIT for kk, _ in toks[:i]) and \
                any(kk == DIGIT or (kk == LIT and t.isdigit()) for kk, t in toks[i + 1:]):
            return i
    return None


@lru_cache(maxsize=2048)
def parse(code: str) -> tuple[list[Section], Section | None]:
    """(the sections for numbers, the text section or None)."""
    texts = [_system_format(t) for t in split_sections(code)]
    sections = [Section(t) for t in texts]
    text_section = None
    if len(sections) == 4 or (len(sections) > 1 and sections[-1].kind == "text"):
        text_section, sections = sections[-1], sections[:-1]
    return sections[:3], text_section


_SYSTEM = {"[$-f800]": "dddd, mmmm d, yyyy", "[$-f400]": "h:mm:ss AM/PM"}


def _system_format(section: str) -> str:
    """A section tagged with the system's long date ([$-F800]) or time ([$-F400]) format is that
    format (Windows' English (United States) one), whatever else it holds."""
    low = section.lower()
    return next((fmt for tag, fmt in _SYSTEM.items() if tag in low), section)


# ---- choosing the section --------------------------------------------------------------------------

def _holds(cond: tuple[str, float], x: float) -> bool:
    op, v = cond
    return {"<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v, "=": x == v, "<>": x != v}[op]


def _negative_condition(cond: tuple[str, float]) -> bool:
    return cond[0] in ("<", "<=") and cond[1] <= 0


def choose(x: float, sections: list[Section]) -> tuple[Section | None, bool]:
    """(the section for ``x``, whether it shows ``x``'s minus sign); None: General."""
    if any(s.condition for s in sections[:2]):
        for s in sections[:2]:
            if s.condition is None:
                return s, True
            if _holds(s.condition, x):
                return s, not _negative_condition(s.condition)
        return (sections[2], True) if len(sections) > 2 else (None, True)
    if len(sections) == 1 or x > 0 or (x == 0 and len(sections) == 2):
        return sections[0], True
    if x < 0:
        return sections[1], False
    return sections[2], False


# ---- formatting ------------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def format_number(x: float, code: str) -> str | None:
    """``x`` through the format ``code`` as TEXT shows it; None for #VALUE!."""
    sections, _ = parse(code)
    section, signed = choose(x, sections)
    if section is None:
        return ("-" if x < 0 else "") + general(abs(x))
    if not section.valid:
        return None
    if section.kind == "date":
        return format_date(-x if x < 0 and not signed else x, section)
    with localcontext(prec=_PRECISION):
        body, zero = _FORMATTERS[section.kind](abs(x), section)
    return ("-" if x < 0 and signed and not zero else "") + body


def _literal(v: float, section: Section) -> tuple[str, bool]:
    return "".join(t for k, t in section.tokens if k in (LIT, EXP, SLASH, POINT, COMMA, PERCENT)), v == 0


def _general_section(v: float, section: Section) -> tuple[str, bool]:
    """General (or @, in a section for numbers) shows the number as General does."""
    out = []
    for k, t in section.tokens:
        out.append(general(v) if k in (GENERAL, AT) else t if k in (LIT, SLASH, POINT, COMMA, PERCENT, EXP) else "")
    return "".join(out), v == 0


def _decimal(v: float) -> Decimal:
    """A double as Excel reads it: 15 significant digits."""
    return Decimal(format(v, ".15g"))


def round_half_away(v: float, decimals: int) -> Decimal:
    """``v`` (read to 15 significant digits) rounded half away from zero to ``decimals``
    (negative: left of the point), as Excel rounds what it shows."""
    with localcontext(prec=_PRECISION):
        return _decimal(v).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)




def general(v: float) -> str:
    """Excel's General of a number >= 0: up to 11 characters (the point included), in scientific
    notation when the number needs more or when that shows more of its significant digits."""
    if v == 0:
        return "0"
    d = _decimal(v)
    exp = d.adjusted()
    sci = _general_sci(d, exp)
    if exp >= 11:
        return sci
    if exp >= 0:
        fixed = _strip(format(round_half_away(v, max(0, 9 - exp)), "f"))
        return fixed if len(fixed.replace(".", "")) <= 11 and len(fixed) <= 11 else sci
    fixed = _strip(format(round_half_away(v, 9), "f"))
    if _significant(fixed) >= _significant(sci.split("E")[0]):
        return fixed
    return sci


def _general_sci(d: Decimal, exp: int) -> str:
    digits = 5 if abs(exp) < 100 else 4
    mant = d.scaleb(-exp).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if mant >= 10:
        exp += 1
        mant = (mant / 10).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{_strip(format(mant, 'f'))}E{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _strip(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _significant(text: str) -> int:
    return len(text.replace(".", "").replace("-", "").lstrip("0"))


# ---- plain numbers ---------------------------------------------------------------------------------

def _number_plan(toks):
    """(integer placeholder indices, point index or None, fraction placeholder indices,
    grouping, scale (powers of 1000), percent count, indices of commas shown as literals)."""
    point = next((i for i, (k, _) in enumerate(toks) if k == POINT), None)
    ints = [i for i, (k, _) in enumerate(toks) if k == DIGIT and (point is None or i < point)]
    fracs = [i for i, (k, _) in enumerate(toks) if k == DIGIT and point is not None and i > point]
    grouping, scale, shown = False, 0, set()
    last_digit = max((i for i, (k, _) in enumerate(toks) if k == DIGIT), default=-1)
    for i, (k, _) in enumerate(toks):
        if k != COMMA:
            continue
        prev = toks[i - 1][0] if i > 0 else None
        after = i + 1 < len(toks) and toks[i + 1][0] == DIGIT
        if prev == DIGIT and after and (point is None or i < point):
            grouping = True
        elif prev == DIGIT or (prev == COMMA and i - 1 not in shown):
            j = i
            while j < len(toks) and toks[j][0] == COMMA:
                j += 1
            if i > last_digit or (j < len(toks) and toks[j][0] == POINT and (point is None or j == point)):
                scale += 1              # after the last placeholder, or just before the point
        else:
            shown.add(i)                # a comma after a literal is one
    percent = sum(1 for k, _ in toks if k == PERCENT)
    return ints, point, fracs, grouping, scale, percent, shown


def _integer_cells(digits: str, holders: list[str], grouping: bool) -> list[str]:
    """The text each integer placeholder shows (the first takes the digits beyond the others):
    digits right-aligned, a missing digit is 0 for 0, a space for ?, nothing for #; thousands
    separators between groups of three (a space beside a ? pad, nothing beside a # pad)."""
    n = len(holders)
    width = max(n, len(digits))
    cells = []
    for k in range(width - 1, -1, -1):          # position k: 10**k
        if k < len(digits):
            ch, real = digits[len(digits) - 1 - k], "d"
        else:
            h = holders[n - 1 - k]
            ch, real = {"0": ("0", "d"), "?": (" ", "s"), "#": ("", "n")}[h]
        if grouping and k > 0 and k % 3 == 0:
            ch += {"d": ",", "s": " ", "n": ""}[real]
        cells.append((k, ch))
    out = [""] * n
    for k, ch in cells:
        out[max(0, n - 1 - k)] += ch
    return out


def _fraction_cells(digits: str, holders: list[str]) -> list[str]:
    """Decimal digits left-aligned; past the last digit that is not 0, a 0 shows 0, a ? a space,
    a # nothing."""
    out = list(digits)
    last = max((j for j, ch in enumerate(out) if ch != "0"), default=-1)
    for j in range(last + 1, len(out)):
        out[j] = {"0": "0", "?": " ", "#": ""}[holders[j]]
    return out


def _format_plain(v: float, section: Section) -> tuple[str, bool]:
    toks = section.tokens
    ints, point, fracs, grouping, scale, percent, shown = _number_plan(toks)
    if not ints and point is not None:          # .## still shows the whole part
        toks = toks[:point] + [(DIGIT, "#")] + toks[point:]
        return _format_plain(v, _with_tokens(section, toks))
    v = v * 100 ** percent / 1000 ** scale
    r = round_half_away(v, len(fracs))
    text = format(r, "f")
    whole, _, frac = text.partition(".")
    whole = whole.lstrip("0")
    icells = _integer_cells(whole, [toks[i][1] for i in ints], grouping)
    fcells = _fraction_cells(frac, [toks[i][1] for i in fracs]) if fracs else []
    where = {i: c for i, c in zip(ints, icells)}
    where.update({i: c for i, c in zip(fracs, fcells)})
    out = []
    for i, (k, t) in enumerate(toks):
        if k == DIGIT:
            out.append(where[i])
        elif k == COMMA:
            out.append("," if i in shown else "")
        elif k in (LIT, POINT, PERCENT, SLASH, EXP):
            out.append(t)
    return "".join(out), r == 0


def _with_tokens(section: Section, toks) -> Section:
    s = Section.__new__(Section)
    s.tokens, s.condition, s.kind, s.valid = toks, section.condition, section.kind, section.valid
    return s


# ---- scientific ------------------------------------------------------------------------------------

def _format_sci(v: float, section: Section) -> tuple[str, bool]:
    toks = section.tokens
    e_at = _exp_at(toks)
    mant_toks, exp_toks = toks[:e_at], toks[e_at + 1:]
    point = next((i for i, (k, _) in enumerate(mant_toks) if k == POINT), None)
    ints = [i for i, (k, _) in enumerate(mant_toks) if k == DIGIT and (point is None or i < point)]
    fracs = [i for i, (k, _) in enumerate(mant_toks) if k == DIGIT and point is not None and i > point]
    grouping = any(k == COMMA and 0 < i < len(mant_toks) - 1 and mant_toks[i + 1][0] == DIGIT
                   and any(kk == DIGIT for kk, _ in mant_toks[:i]) and (point is None or i < point)
                   for i, (k, _) in enumerate(mant_toks))
    step = max(1, len(ints))
    quantum = Decimal(1).scaleb(-len(fracs))
    if v == 0:
        exp, mant = 0, Decimal(0).quantize(quantum)
    else:
        d = _decimal(v)
        exp = math.floor(d.adjusted() / step) * step
        mant = d.scaleb(-exp).quantize(quantum, rounding=ROUND_HALF_UP)
        if mant >= Decimal(10) ** step:
            exp += step
            mant = d.scaleb(-exp).quantize(quantum, rounding=ROUND_HALF_UP)
    whole, _, frac = format(mant, "f").partition(".")
    whole = "0" * len(ints) if v == 0 else whole.lstrip("0")
    icells = _integer_cells(whole, [mant_toks[i][1] for i in ints], grouping)
    fcells = _fraction_cells(frac, [mant_toks[i][1] for i in fracs]) if fracs else []
    where = dict(zip(ints, icells))
    where.update(zip(fracs, fcells))
    out = []
    for i, (k, t) in enumerate(mant_toks):
        if k == DIGIT:
            out.append(where[i])
        elif k in (LIT, POINT, PERCENT, SLASH):
            out.append(t)
    e_text = toks[e_at][1]
    out.append(e_text[0])
    sign = "-" if exp < 0 else ("+" if e_text[1] == "+" else "")
    holders = [i for i, (k, _) in enumerate(exp_toks) if k == DIGIT]
    digits = str(abs(exp))
    cells = _exponent_cells(digits, [exp_toks[i][1] for i in holders])
    where = dict(zip(holders, cells))
    signed = False
    for i, (k, t) in enumerate(exp_toks):
        if k == DIGIT:
            if not signed:
                out.append(sign)
                signed = True
            out.append(where[i])
        elif k in (LIT, POINT, PERCENT, SLASH):
            out.append(t)
    if not signed:
        out.append(sign + digits)
    return "".join(out), mant == 0


def _exponent_cells(digits: str, holders: list[str]) -> list[str]:
    n = len(holders)
    out = [""] * n
    for k in range(max(n, len(digits)) - 1, -1, -1):
        ch = digits[len(digits) - 1 - k] if k < len(digits) else {"0": "0", "?": " ", "#": ""}[holders[n - 1 - k]]
        out[max(0, n - 1 - k)] += ch
    return out


# ---- fractions -------------------------------------------------------------------------------------

def _best_fraction(frac: float, max_den: int) -> tuple[int, int]:
    """The fraction nearest ``frac`` (0 <= frac < 1) with a denominator up to ``max_den``."""
    best = (0, 1)
    best_err = frac
    # continued fractions give the best approximations; check the semiconvergents too
    p0, q0, p1, q1 = 0, 1, 1, 0
    x = frac
    for _ in range(64):
        a = math.floor(x)
        p2, q2 = a * p1 + p0, a * q1 + q0
        if q2 > max_den:
            k = (max_den - q0) // q1 if q1 else 0
            for cand in ((k * p1 + p0, k * q1 + q0), (p1, q1)):
                if 0 < cand[1] <= max_den:
                    err = abs(frac - cand[0] / cand[1])
                    if err < best_err - 1e-15:
                        best, best_err = cand, err
            break
        p0, q0, p1, q1 = p1, q1, p2, q2
        err = abs(frac - p2 / q2)
        if err < best_err - 1e-15:
            best, best_err = (p2, q2), err
        if x == a or err == 0:
            break
        x = 1 / (x - a)
    return best


def _format_fraction(v: float, section: Section) -> tuple[str, bool]:
    toks = section.tokens
    slash = _slash_at(toks)
    # the numerator: the run of placeholders nearest before the slash; the whole part: before it
    num_idx = []
    j = slash - 1
    while j >= 0 and toks[j][0] != DIGIT:
        j -= 1
    while j >= 0 and toks[j][0] == DIGIT:
        num_idx.insert(0, j)
        j -= 1
    num_start = num_idx[0]
    int_idx = [i for i in range(num_start) if toks[i][0] == DIGIT]
    last_int = int_idx[-1] if int_idx else -1
    den_idx = [i for i in range(slash + 1, len(toks)) if toks[i][0] == DIGIT]
    fixed = None
    if not den_idx:
        fixed_at = next(i for i in range(slash + 1, len(toks)) if toks[i][0] == LIT and toks[i][1].isdigit())
        k = fixed_at
        while k < len(toks) and toks[k][0] == LIT and toks[k][1].isdigit():
            k += 1
        fixed = int("".join(t for _, t in toks[fixed_at:k]))
        den_end = k - 1
    else:
        den_end = den_idx[-1]
    whole = math.floor(v) if int_idx else 0
    rest = v - whole
    if fixed:
        num, den = int(round_half_away(rest * fixed, 0)), fixed
    else:
        num, den = _best_fraction(rest, 10 ** len(den_idx) - 1)
    if int_idx and num == den:
        whole, num = whole + 1, 0
    int_holders = [toks[i][1] for i in int_idx]
    num_holders = [toks[i][1] for i in num_idx]
    den_holders = [toks[i][1] for i in den_idx]
    # a whole number hides its fraction (as spaces when a ? asks for them), unless the numerator
    # has a 0 placeholder (then 0/1 shows); a fraction below 1 hides its whole part unless
    # that has a 0 placeholder
    blank_fraction = bool(int_idx) and num == 0 and "0" not in num_holders
    hide_whole = bool(int_idx) and whole == 0 and not blank_fraction and "0" not in int_holders and \
        not (num == 0 and "?" in int_holders)
    spaces = "?" in int_holders or "?" in num_holders or "?" in den_holders
    gap_spaces = "?" in int_holders or "?" in num_holders
    whole_digits = str(whole) if whole else ("0" if int_idx and not hide_whole else "")
    where = dict(zip(int_idx, _integer_cells(whole_digits, int_holders, False)))
    num_digits = str(num) if num else ("0" if not int_idx or "0" in num_holders else "")
    where.update(zip(num_idx, _integer_cells(num_digits, num_holders, False)))
    if fixed is None:
        where.update(zip(den_idx, _denominator_cells(str(den), den_holders)))
    out = []
    for i, (k, t) in enumerate(toks):
        shown = where.get(i, "") if k == DIGIT else (t if k in (LIT, POINT, PERCENT, SLASH, COMMA) else "")
        if last_int < i <= den_end and blank_fraction:
            if spaces:
                out.append(" " * len(shown if k != DIGIT else (shown or " ")))
            continue
        if hide_whole and last_int < i < num_start:
            if gap_spaces:
                out.append(" " * len(shown))
            continue
        out.append(shown)
    return "".join(out), whole == 0 and num == 0


def _denominator_cells(digits: str, holders: list[str]) -> list[str]:
    """A denominator is left-aligned: a ? beyond its digits is a space after them, a 0 a zero
    before them."""
    n = len(holders)
    zeros = max(0, sum(1 for h in holders if h == "0") - len(digits))
    digits = "0" * zeros + digits
    out = [""] * n
    for idx, ch in enumerate(digits):
        out[min(idx, n - 1)] += ch
    for idx in range(len(digits), n):
        out[idx] = " " if holders[idx] == "?" else ""
    return out


_FORMATTERS = {"number": _format_plain, "sci": _format_sci, "fraction": _format_fraction,
               "general": _general_section, "literal": _literal, "text": _general_section}


# ---- dates and times -------------------------------------------------------------------------------

def _serial_date(days: int) -> tuple[int, int, int, int]:
    """(year, month, day, weekday 0=Sunday) of a day serial in Excel's 1900 calendar."""
    weekday = (days - 1) % 7
    if days == 0:
        return 1900, 1, 0, weekday
    if days == 60:
        return 1900, 2, 29, weekday
    d = dt.date(1899, 12, 31 if days < 60 else 30) + dt.timedelta(days=days)
    return d.year, d.month, d.day, weekday


def _date_codes(toks) -> list[str | None]:
    """Each token's meaning: 'y', 'mon', 'min', 'd', 'h', 's', 'H', 'M', 'S' (elapsed), 'frac',
    'ampm' or None (a literal)."""
    codes: list[str | None] = []
    elapsed = {t[0] for k, t in toks if k == ELAPSED}
    for k, t in toks:
        if k == ELAPSED:
            codes.append(t[0].upper())
        elif k == DATE:
            c = t[0]
            codes.append({"e": "y"}.get(c, c.upper() if c in elapsed else c))
        elif k == POINT and t.startswith(".0"):
            codes.append("frac")
        elif k == AMPM:
            codes.append("ampm")
        else:
            codes.append(None)
    real = [i for i, c in enumerate(codes) if c is not None]
    for n, i in enumerate(real):
        if codes[i] != "m":
            continue
        if len(toks[i][1]) > 2:
            codes[i] = "mon"
            continue
        before = codes[real[n - 1]] if n > 0 else None
        after = codes[real[n + 1]] if n + 1 < len(real) else None
        codes[i] = "min" if before in ("h", "H", "s", "S") or after in ("s", "S") else "mon"
    return codes


def format_date(x: float, section: Section) -> str | None:
    toks = section.tokens
    codes = _date_codes(toks)
    elapsed = [c for c in codes if c in ("H", "M", "S")]
    real = [c for c in codes if c is not None]
    if x < 0:
        if not (len(real) == 1 and elapsed):
            return None
    elif not elapsed and x >= LAST_SERIAL:
        return None
    digits = min(3, max((len(t) - 1 for (k, t), c in zip(toks, codes) if c == "frac"), default=0))
    scale = 10 ** digits
    ticks = math.floor(abs(x) * 86400 * scale + 0.5)
    seconds, frac = divmod(ticks, scale)
    days, in_day = divmod(seconds, 86400)
    sign = "-" if x < 0 else ""
    year = month = day = weekday = None
    if any(c in ("y", "mon", "d") for c in codes):
        year, month, day, weekday = _serial_date(days)
    twelve = "ampm" in codes
    hour = in_day // 3600
    out = []
    for (k, t), c in zip(toks, codes):
        n = len(t)
        if c is None:
            out.append(t if k == LIT or k == POINT else "")
        elif c == "y":
            out.append(f"{year % 100:02d}" if n <= 2 and t[0] != "e" else str(year))
        elif c == "mon":
            out.append(str(month) if n == 1 else f"{month:02d}" if n == 2 else _MONTHS[month - 1][:3] if n == 3
                       else _MONTHS[month - 1][0] if n == 5 else _MONTHS[month - 1])
        elif c == "d":
            out.append(str(day) if n == 1 else f"{day:02d}" if n == 2 else _DAYS[weekday][:3] if n == 3
                       else _DAYS[weekday])
        elif c == "h":
            h = (hour % 12 or 12) if twelve else hour
            out.append(str(h).zfill(min(n, 2)))
        elif c == "min":
            m = seconds // 60 if "M" in elapsed else (in_day // 60) % 60
            out.append(str(m).zfill(min(n, 2)))
        elif c == "s":
            s = seconds if "S" in elapsed else in_day % 60
            out.append(str(s).zfill(min(n, 2)))
        elif c in ("H", "M", "S"):
            width = n
            count = seconds // 3600 if c == "H" else seconds // 60 if c == "M" else seconds
            out.append(sign + str(count).zfill(width))
        elif c == "frac":
            shown = str(frac).zfill(digits)[:n - 1] if digits else ""
            out.append("." + shown.ljust(n - 1, "0"))
        elif c == "ampm":
            pm = hour >= 12
            out.append((t[2] if pm else t[0]) if n == 3 else ("PM" if pm else "AM"))
    return "".join(out)
