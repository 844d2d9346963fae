"""The ``ilt-xl`` Typer application and its exit-code contract.

Exit codes, for every command:
  0  done, no errors
  1  the workbook was read but holds errors (validation problems, cells in error)
  2  the input could not be used at all (not a workbook, corrupt, unsafe, missing)
  3  the output could not be written (read-only folder, file locked, already present)
"""
from __future__ import annotations

from typing import NoReturn

import typer
from rich.markup import escape

from ilt_xl.cli import quick_params
from ilt_xl.cli.output import FittingConsole

class _Command(typer.core.TyperCommand):
    """A command whose help shows on/off flags as flags, not as options taking ``<bool>``, and
    whose parameters' values skip pydantic where typer's coercion returns them unchanged
    (:mod:`ilt_xl.cli.quick_params`)."""

    def parse_args(self, ctx, args):
        quick_params.install(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class _Group(typer.core.TyperGroup, _Command):
    """The ``ilt-xl`` group, its flags (``--version``, ``--help``) shown as :class:`_Command` shows them."""


class _Typer(typer.Typer):
    def command(self, *args, cls=None, **kwargs):
        return super().command(*args, cls=cls or _Command, **kwargs)


app = _Typer(
    cls=_Group,
    name="ilt-xl",
    help="Spreadsheet-native planner for instructor-led training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Results on stdout, messages and progress on stderr; neither wraps unless it is a terminal.
console = FittingConsole()
err_console = FittingConsole(stderr=True)

@app.callback(invoke_without_command=True)
def _options(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", is_eager=True, help="Show the version and exit."),
) -> None:
    """Spreadsheet-native planner for instructor-led training.

    Every command prints its results on standard output and its messages and progress on
    standard error; `ilt-xl COMMAND --help` shows its options and examples.
    """
    if version:
        from importlib.metadata import version as installed

        console.print(f"ilt-xl {installed('ilt-xl')}", highlight=False)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help(), highlight=False, markup=False)


EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_CANNOT_WRITE = 3


def refuse_unusable(exc) -> NoReturn:
    """Report a :class:`~ilt_xl.xlsx.WorkbookError` (file and reason) and exit with EXIT_BAD_INPUT."""
    err_console.print(f"[bold red]Cannot use {escape(exc.file)}:[/] {escape(exc.reason)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def refuse_output_is_input(source, target, in_place_option: bool = True) -> None:
    """Exit with EXIT_CANNOT_WRITE when ``target`` is ``source`` itself (by name, or through a link)
    without ``--in-place``: the one rule of every command that writes beside its input."""
    import os
    from pathlib import Path

    source, target = Path(source), Path(target)
    try:
        same = os.path.samefile(source, target)
    except OSError:
        same = Path(os.path.realpath(source)) == Path(os.path.realpath(target))
    if same:
        hint = "pass --in-place to rewrite the input, or name another output" if in_place_option else "name another output"
        err_console.print(f"[bold red]Cannot write {escape(str(target))}:[/] it is the input; {hint}.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)


_MACRO_SUFFIXES = (".xlsm", ".xltm")


def refuse_mismatched_suffix(source, target) -> None:
    """Exit 3 when ``target``'s extension does not match what ``source`` holds: Excel refuses to
    open macro-enabled content under an .xlsx name, and a plain workbook under an .xlsm name.
    The one rule of every command that writes a copy of its input."""
    import os
    import stat
    from pathlib import Path

    from ilt_xl.xlsx.safezip import SafeZip

    source, target = Path(source), Path(target)
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            return              # a FIFO is never opened here: the reader refuses it with its reason
        with SafeZip(source) as package:
            has_macros = b"macroEnabled.main+xml" in package.read("[Content_Types].xml")
    except Exception:           # not a usable zip: the reader refuses it with the located reason
        return
    if has_macros != (target.suffix.lower() in _MACRO_SUFFIXES):
        kind, want = ("a macro-enabled workbook", ".xlsm") if has_macros else ("a workbook without macros", ".xlsx")
        err_console.print(f"[bold red]Cannot write {escape(str(target))}:[/] {escape(str(source))} is {kind}; "
                          f"give the output a {want} name so Excel opens it.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)


def refuse_existing(path) -> NoReturn:
    """Refuse to replace ``path`` without ``--force`` (exit 3), in the words every command uses."""
    err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] it already exists; use --force to replace it.",
                      highlight=False)
    raise typer.Exit(EXIT_CANNOT_WRITE)


def reason_of(exc: BaseException) -> str:
    """Why ``exc`` happened, in words: the message of the refusals the core words itself (ValueError,
    KeyError), the type as well for anything else (an unforeseen failure is named, never hidden)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
