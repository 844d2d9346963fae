"""Times in TEXT: sections of a number format that show only a time of day or an elapsed time
([h]:mm:ss, [m], [s].000), the date range a date or time format accepts, and text that reads as a
time, as Excel formats them (reading a time in a text: :mod:`ilt_xl.engine.number_text`)."""
from __future__ import annotations

import re

# the largest serial Excel formats as a date or time: 9999-12-31 23:59:59.999
LAST_SERIAL = 2958466.0

_TOKEN = re.compile(r'"[^"]*"?|\\.|\[[hH]+\]|\[[mM]+\]|\[[sS]+\]|\[[^\]]*\]|[hH]+|[mM]+|[sS]+|\.0+|(?i:AM/PM|A/P)|'
                    r'[eE][+-]|[yYdDeEgGbB0#?@*_,%/]|.', re.S)


def _tokens(section: str) -> list[str]:
    return _TOKEN.findall(section)


def _code(tok: str) -> str | None:
    """The kind of a format token: 'H', 'M', 'S' (elapsed), 'h', 'm', 's', 'frac', 'ampm', 'date',
    'number', 'text', or None for a literal."""
    low = tok.lower()
    if tok.startswith('"') or tok.startswith("\\"):
        return None
    if low.startswith("[") and len(low) > 2 and set(low[1:-1]) <= set("hms") and len(set(low[1:-1])) == 1:
        return low[1].upper()
    if low.startswith("["):
        return None                      # [Red], [$-409]: not shown
    if low[0] in "hms" and set(low) == {low[0]}:
        return low[0]
    if tok.startswith(".0"):
        return "frac"
    if low in ("am/pm", "a/p"):
        return "ampm"
    if low in ("y", "d", "e", "g", "b"):
        return "date"
    if tok in ("0", "#", "?") or low in ("e+", "e-"):
        return "number"
    if tok == "@":
        return "text"
    return None


def _with_minutes(toks: list[str], codes: list[str | None]) -> list[str | None]:
    """m or mm is minutes right after an hour or right before a second (literals between), else
    a month (mmm and longer always are)."""
    out = list(codes)
    seen = [(i, c) for i, c in enumerate(codes) if c is not None]
    for k, (i, c) in enumerate(seen):
        if c != "m":
            continue
        if len(toks[i]) > 2:
            out[i] = "date"
            continue
        before = seen[k - 1][1] if k > 0 else None
        after = seen[k + 1][1] if k + 1 < len(seen) else None
        out[i] = "min" if before in ("h", "H") or after in ("s", "S") else "date"
    return out


def is_date_section(section: str) -> bool:
    """Whether the section shows a date or a time (then only serials 0..LAST_SERIAL format)."""
    toks = _tokens(section)
    codes = _with_minutes(toks, [_code(t) for t in toks])
    return any(c in ("h", "s", "min", "date", "ampm", "H", "M", "S") for c in codes) and \
        section.strip().lower() != "general"


def time_only(section: str) -> bool:
    """Whether every code of the section is a time code (no date, digit or text placeholder), so
    :func:`format_time` shows it; elapsed codes ([h], [m], [s]) count."""
    toks = _tokens(section)
    codes = _with_minutes(toks, [_code(t) for t in toks])
    kinds = {c for c in codes if c is not None}
    return bool(kinds) and kinds <= {"H", "M", "S", "h", "min", "s", "frac", "ampm"} and (
        "frac" not in kinds or bool(kinds & {"s", "S"}))


def format_time(number: float, section: str) -> str | None:
    """``number`` (days) through a time-only section; None when Excel gives #VALUE! (a negative
    time, except a lone elapsed count such as [h] of -1, which is -24, or a serial past 9999)."""
    toks = _tokens(section)
    codes = _with_minutes(toks, [_code(t) for t in toks])
    elapsed = [c for c in codes if c in ("H", "M", "S")]
    real = [c for c in codes if c is not None]
    if number < 0 and not (len(real) == 1 and elapsed):
        return None
    if not elapsed and number >= LAST_SERIAL:
        return None
    digits = max((len(t) - 1 for t, c in zip(toks, codes) if c == "frac"), default=0)
    digits = min(digits, 3)               # Excel shows at most thousandths of a second
    sign = "-" if number < 0 else ""
    # rounded to the smallest unit shown (a second, or its shown fraction), then cut into parts
    ticks = round(abs(number) * 86400 * 10 ** digits)
    seconds, frac = divmod(ticks, 10 ** digits)
    top = elapsed[0] if elapsed else None
    hours = seconds // 3600
    out = []
    ampm_hour = hours % 24
    for tok, code in zip(toks, codes):
        width = len(tok) - 2 if code in ("H", "M", "S") else len(tok)
        if code == "H":
            out.append(sign + str(hours).zfill(width))
        elif code == "M":
            out.append(sign + str(seconds // 60).zfill(width))
        elif code == "S":
            out.append(sign + str(seconds).zfill(width))
        elif code == "h":
            h = hours % 24
            if "ampm" in codes:
                h = h % 12 or 12
            out.append(str(h).zfill(min(width, 2)))
        elif code == "min":
            m = seconds // 60 if top == "M" else (seconds // 60) % 60
            out.append(str(m).zfill(min(width, 2)))
        elif code == "s":
            out.append(str(seconds % 60).zfill(min(width, 2)))
        elif code == "frac":
            n = len(tok) - 1
            shown = str(frac).zfill(digits)[:n] if digits else ""
            out.append("." + shown.ljust(n, "0"))
        elif code == "ampm":
            pm = ampm_hour >= 12
            if tok.lower() == "a/p":        # each letter as written: a/P shows a or P
                out.append(tok[2] if pm else tok[0])
            else:
                out.append("PM" if pm else "AM")
        elif tok.startswith('"'):
            out.append(tok[1:-1] if tok.endswith('"') and len(tok) > 1 else tok[1:])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif tok.startswith("[") or tok.startswith("*"):
            continue
        elif tok == "_":
            out.append(" ")
        else:
            out.append(tok)
    return "".join(out)
