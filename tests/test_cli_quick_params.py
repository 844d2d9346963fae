"""The command line's parameter values taken without pydantic (ilt_xl.cli.quick_params) are the
values typer's own coercion gives, and its refusals are typer's, on every parameter of every command."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from ilt_xl.cli import app, quick_params
from ilt_xl.cli.output import Format

pytestmark = pytest.mark.skipif(quick_params.RuntimeParam is None, reason="typer without a coercion layer")


def _commands(group):
    for cmd in group.commands.values():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd)
        else:
            yield cmd


def _params():
    group = get_command(app)
    for cmd in [group, *_commands(group)]:
        for param in cmd.params:
            if isinstance(param, quick_params._TyperParameter):
                yield cmd, param


def _outcome(runtime, value, param, ctx):
    """(type, repr) of the coerced value, or of the exception and its message."""
    try:
        got = runtime.coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return ("refused", type(exc).__name__, exc.format_message())
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    if isinstance(got, float) and math.isnan(got):
        return (float, "nan")
    return (type(got), repr(got))


def _values(param, tmp_path: Path):
    existing = tmp_path / "plan.xlsx"
    existing.write_bytes(b"x")
    texts = ["", "plan.xlsx", str(existing), str(tmp_path), str(tmp_path / "missing.xlsx"), "./a.xlsx",
             "a//b.xlsx", "dir/", "-", "x\x00y", "caf\u00e9.xlsx", "\udcff.xlsx", " spaced ",
             "json", "JSON", "table", "Table", "csv", "3", "-1", " 7 ", "3.5", "1e3", "inf", "nan", "true", "0"]
    numbers = [0, 1, -1, 5, 120, 121, 0.0, -0.5, 2.5, float("inf"), float("nan"), True, False]
    return [None, param.default, *texts, *numbers, *Format, ("a", "b"), b"bytes"]


def test_every_parameter_coerces_as_typer_does(tmp_path):
    compared = quick = 0
    for cmd, param in _params():
        ctx = typer.Context(cmd)
        descriptor = param.type_descriptor
        for value in _values(param, tmp_path):
            mine = quick_params.QuickParam(parameter_info=descriptor.parameter_info,
                                           annotation=descriptor.annotation, descriptor=descriptor)
            theirs = quick_params.build_runtime_param(descriptor)
            assert _outcome(mine, value, param, ctx) == _outcome(theirs, value, param, ctx), (cmd.name, param.name, value)
            compared += 1
            try:
                quick_params._quick_value(descriptor, value, param, ctx)
                quick += 1
            except Exception:
                pass
    # every command's parameters were compared, and many values took the quick way
    assert compared > 100 * 40 and quick > 500, (compared, quick)


def test_the_usual_values_take_the_quick_way(tmp_path):
    seen = set()
    for cmd, param in _params():
        d = param.type_descriptor
        ctx = typer.Context(cmd)
        if d.annotation is Path:
            assert quick_params._quick_value(d, str(tmp_path / "out.xlsx"), param, ctx) == tmp_path / "out.xlsx"
        elif d.annotation is Format:
            assert quick_params._quick_value(d, "json", param, ctx) is Format.json
            assert quick_params._quick_value(d, Format.table, param, ctx) is Format.table
        elif d.annotation is str:
            assert quick_params._quick_value(d, "2026-06-15", param, ctx) == "2026-06-15"
        elif d.annotation in (int, float) and param.default is not None:
            assert quick_params._quick_value(d, param.default, param, ctx) == param.default
        else:
            continue
        seen.add(d.annotation)
    assert {Path, Format, str, int, float} <= seen
    with pytest.raises(LookupError):    # a number's text is left to typer (pydantic's parsing)
        quick_params._quick_value(d, "3", param, ctx)


def test_a_command_runs_without_pydantic(tmp_path):
    """The pydantic typer would import to coerce parameters is not imported by a run of recalc
    (here refused: its output exists) nor by --help."""
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"")
    script = ("import sys\nfrom ilt_xl.cli import main\n"
              "sys.argv = ['ilt-xl'] + sys.argv[1:]\n"
              "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
              "print('pydantic' in sys.modules, code, file=sys.stderr)\n")
    root = Path(__file__).resolve().parents[1]
    for args, code in ((["recalc", str(root / "workbooks" / "ilt_planner.xlsx"), "-o", str(out), "--today",
                         "2026-06-15", "--format", "json"], 3),
                       (["recalc", "--help"], 0)):
        done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.stderr.strip().splitlines()[-1] == f"False {code}", done.stderr
