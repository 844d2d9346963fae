"""Output that fits where it goes.

On a terminal, text wraps at the terminal's width and tables are sized to it, with numbers that
are never cut: a table whose numbers cannot fit is printed as plain aligned lines instead.
Anywhere else (a pipe, a file, a test runner) nothing wraps or is cropped: one logical line is
one line, so logs can be grepped and no output depends on a width nobody chose. ``--format json``
output goes through :func:`print_json`, on one line per document in a pipe.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

import typer

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table as RichTable


class Format(str, Enum):
    table = "table"
    json = "json"


FORMAT = typer.Option(Format.table, "--format", "-f", help="table: text for people; json: for machines.")


class FittingConsole(Console):
    """A rich console that soft-wraps (never inserts line breaks nor crops) unless it writes to a terminal."""

    @property
    def soft_wrap(self) -> bool:  # rich reads this attribute on every print
        return not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:  # Console.__init__ assigns it; the destination decides
        pass


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``plural(1, "error")`` -> ``"1 error"``, ``plural(3, "error")`` -> ``"3 errors"``."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


@dataclass(frozen=True)
class Column:
    """A column of :func:`print_table`: numbers are right-aligned and never wrapped or cut."""

    name: str
    numeric: bool = False


def print_table(console: Console, title: str, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> None:
    """``rows`` (texts, one per column) under ``title``: a rich table on a terminal wide enough for
    every number, plain aligned lines otherwise (a pipe, a file, a narrow terminal)."""
    rows = [[str(cell) for cell in row] for row in rows]
    if console.is_terminal:
        table = RichTable(title=escape(title), header_style="bold")
        for column in columns:
            if column.numeric:
                table.add_column(escape(column.name), justify="right", no_wrap=True, overflow="ignore")
            else:
                table.add_column(escape(column.name), overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        if Measurement.get(console, console.options, table).minimum <= console.width:
            console.print(table)
            return
    console.print(plain_table(title, columns, rows), highlight=False, markup=False)


def plain_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> str:
    """The table as text: the title, then a header and one line per row, columns padded to
    their widest cell and separated by two spaces (numbers right-aligned)."""
    widths = [max([len(c.name)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(w) if c.numeric else cell.ljust(w)
                         for cell, w, c in zip(cells, widths, columns)).rstrip()

    return "\n".join([title, line([c.name for c in columns]), *(line(row) for row in rows)])


def records(frame) -> list[dict]:
    """A DataFrame's rows, JSON-ready: dates as ISO text, blanks and NaN as null, numpy numbers as numbers."""
    from ilt_xl.workbook.problems import json_value

    return [{str(k): json_value(v) for k, v in row.items()} for row in frame.to_dict("records")]


def print_json(console: Console, document: object) -> None:
    """``document`` as JSON: indented on a terminal, one line elsewhere (for jq and log lines)."""
    text = json.dumps(document, indent=2 if console.is_terminal else None, ensure_ascii=False, default=str)
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def examples(*lines: tuple[str, str]) -> str:
    """A command's help epilog: each example command line, then what it does."""
    return "\n".join(["[bold]Examples[/]"] + [f"  [dim]# {escape(what)}[/]\n  {escape(command)}"
                                             for command, what in lines])
