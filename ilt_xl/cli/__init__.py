"""Command-line interface: ``ilt-xl COMMAND``. Each command lives in its own module
and registers itself on :data:`ilt_xl.cli.app.app` when imported."""
from __future__ import annotations

import gc
import sys


def _console_script() -> bool:
    """Whether this process is the ``ilt-xl`` console script (its ``__main__`` is the script pip
    wrote), rather than a program importing the package and going on afterwards (tests, drivers)."""
    import os

    path = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return os.path.splitext(os.path.basename(path))[0] in ("ilt-xl", "ilt-xl-script")


def _scan_ahead(args: list[str]) -> None:
    """``ilt-xl recalc IN ...``: the load's helper process starts scanning IN's sheets on a
    second core now, while this process imports the rest of the command line (pandas, typer, rich,
    every command: 0.3-0.45 s; the scan needs only numpy of them); the load takes it up when it
    opens the same file, and scans with it from there (ilt_xl/engine/second_core.py). Only a head
    start: a guess of the input from the arguments, before typer reads them, that the load checks.
    Not with ``--in-place`` (the file is read before the command locks it)."""
    if len(args) >= 2 and args[0] == "recalc" and not args[1].startswith("-") and "--in-place" not in args:
        from ilt_xl.engine.workbook_model import scan_ahead

        scan_ahead(args[1])


# In the console script, the commands' libraries (pandas, numpy, typer, rich ...) are imported with
# the cycle collector paused, then frozen (gc.freeze: never walked again): they create ~0.5 million
# long-lived objects and no garbage, and the collector's passes over them cost ~0.08 s CPU of the
# ~0.6 s of imports. A program importing this package keeps its collector as it was.
_start_up = _console_script() and gc.isenabled()
if _start_up:
    gc.disable()
try:
    if _start_up:
        _scan_ahead(sys.argv[1:])
    from ilt_xl.cli.app import app

    # Command modules register themselves on import.
    from ilt_xl.cli import commands_registered  # noqa: F401
finally:
    if _start_up:
        gc.freeze()
        gc.enable()


def main() -> None:
    """Entry point of the ``ilt-xl`` console script."""
    from ilt_xl.atomic_write import install_signal_cleanup

    install_signal_cleanup()   # a stopped command removes its temporary files
    try:
        app()
    except SystemExit as exc:
        if _console_script():
            exit_without_teardown(exc.code)
        raise


def exit_without_teardown(code) -> None:
    """End the process with ``code`` as ``sys.exit(code)`` would, without the interpreter's
    teardown: freeing every module and object at exit costs 0.13-0.2 s CPU after a recalc
    (pandas, numpy, the engine), for nothing once the command is done. The ``atexit`` handlers
    run and the standard streams are flushed first; returns (and the usual exit follows) when
    that is not the whole story: an exit status that is not a number, other threads still
    running, or a stream that cannot be flushed (Python reports that as it always does)."""
    import atexit
    import os
    import threading

    if not (code is None or isinstance(code, int)) or threading.active_count() != 1:
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()         # they run once: Python's own exit would find none left
    if not _flushed():
        return
    os._exit(0 if code is None else code)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        return False
    return True
