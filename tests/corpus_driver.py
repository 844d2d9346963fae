"""Runs ``ilt-xl`` commands one after another in this process and reports each as JSON.

``python tests/corpus_driver.py JOBS.json RESULTS.json``: JOBS is a list of
``{"id": ..., "argv": [...]}``; RESULTS gets, per job, the exit code, stdout, stderr,
seconds, and ``crash`` (the traceback text) when an exception escaped the CLI. The
test starts it as a subprocess with a memory limit and a timeout, one per corpus
case, so that a case costs one interpreter start rather than one per command; each
command still goes through the console script's entry point (:func:`ilt_xl.cli.main`)
with its own argv, standard streams and exit status.
"""
from __future__ import annotations

import io
import json
import signal
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout

SECONDS_PER_COMMAND = 60


class CommandTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CommandTimeout(f"over {SECONDS_PER_COMMAND} s")


def run(argv: list[str]) -> dict:
    """Run ``ilt-xl *argv`` through the console-script entry point; never raises."""
    from ilt_xl.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, crash = None, None
    sys.argv = ["ilt-xl", *argv]
    started = time.perf_counter()
    signal.alarm(SECONDS_PER_COMMAND)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CommandTimeout as exc:
        crash = f"timeout: {exc}"
    except BaseException:  # what a user would see as a traceback
        crash = traceback.format_exc()
    finally:
        signal.alarm(0)
    return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "crash": crash,
            "seconds": time.perf_counter() - started}


def main(jobs_file: str, results_file: str) -> None:
    signal.signal(signal.SIGALRM, _alarm)
    import os
    os.environ.setdefault("COLUMNS", "200")   # rich wraps less, so located messages stay on one line
    with open(jobs_file, encoding="utf-8") as f:
        jobs = json.load(f)
    results = {job["id"]: run(job["argv"]) for job in jobs}
    with open(results_file, "w", encoding="utf-8") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
