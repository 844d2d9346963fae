"""Which cell styles of a workbook show dates, and a date style when a column has none.

Cells store dates as serial numbers; only the style's number format makes them
dates. When a written column has no date style of its own, the writer borrows an
existing ``yyyy-mm-dd``-like style from ``styles.xml`` or, failing that, appends
one (the only case in which ``styles.xml`` changes).
"""
from __future__ import annotations

import re

from ilt_xl.workbook.package_editor import PackageEditor, prefix_of
from ilt_xl.xlsx.namespaces import NS_MAIN

STYLES_PART = "xl/styles.xml"
# Built-in number formats that are dates or times (ECMA-376 §18.8.30).
_BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
_ISO_DATE = "yyyy-mm-dd"
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def is_date_format(code: str) -> bool:
    """True when the number format ``code`` shows a date or time (d, m, y, h or s outside quotes)."""
    bare = _QUOTED_OR_BRACKETED.sub("", code.split(";")[0]).lower()
    return any(ch in bare for ch in "dmyhs") and "general" not in bare


class StyleBook:
    """The ``cellXfs`` of a workbook, read once; :meth:`save` writes ``styles.xml`` only if a style was added."""

    def __init__(self, package: PackageEditor) -> None:
        self.package = package
        self._added: str | None = None
        self._formats: list[int] = []
        self._codes: dict[int, str] = {}
        if package.has(STYLES_PART):
            root = package.xml(STYLES_PART)
            for fmt in root.iter(f"{{{NS_MAIN}}}numFmt"):
                self._codes[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
            xfs = root.find(f"{{{NS_MAIN}}}cellXfs")
            if xfs is not None:
                self._formats = [int(xf.get("numFmtId", "0")) for xf in xfs.findall(f"{{{NS_MAIN}}}xf")]

    def is_date(self, style: str | None) -> bool:
        """True when cell style index ``style`` (as written in ``s="..."``) has a date or time format."""
        if style is None or not style.isdigit() or int(style) >= len(self._formats):
            return False
        fmt = self._formats[int(style)]
        return fmt in _BUILTIN_DATE_FORMATS or is_date_format(self._codes.get(fmt, ""))

    def date_style(self) -> str:
        """Index of a date style: an existing ISO-date one if any, else any date one, else a new one."""
        for wanted in (lambda i: self._codes.get(self._formats[i], "").lower() == _ISO_DATE, lambda i: self.is_date(str(i))):
            for index in range(len(self._formats)):
                if wanted(index):
                    return str(index)
        if self._added is None:
            self._added = self._append_date_style()
        return self._added

    def _append_date_style(self) -> str:
        text = self.package.text(STYLES_PART)
        x = prefix_of(text, "styleSheet")     # "x:" in files the Open XML SDK wrote
        fmt_id = max([163, *self._codes]) + 1
        fmt = f'<{x}numFmt numFmtId="{fmt_id}" formatCode="{_ISO_DATE}"/>'
        if f"<{x}numFmts" in text:
            text = text.replace(f"</{x}numFmts>", fmt + f"</{x}numFmts>", 1)
            text = re.sub(rf'(<{x}numFmts\b[^>]*count=")(\d+)', lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", text, count=1)
        else:
            text = re.sub(rf"(<{x}styleSheet\b[^>]*>)", lambda m: m.group(1) + f'<{x}numFmts count="1">{fmt}</{x}numFmts>',
                          text, count=1)
        xf = f'<{x}xf numFmtId="{fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        text = re.sub(rf"</{x}cellXfs>", xf + f"</{x}cellXfs>", text, count=1)
        text = re.sub(rf'(<{x}cellXfs\b[^>]*count=")(\d+)', lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", text, count=1)
        self._codes[fmt_id] = _ISO_DATE
        self._formats.append(fmt_id)
        self._text = text
        return str(len(self._formats) - 1)

    def save(self) -> None:
        """Write ``styles.xml`` back when :meth:`date_style` had to add a style."""
        if self._added is not None:
            self.package.write(STYLES_PART, self._text)
