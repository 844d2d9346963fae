"""Command-line interface: ``ilt-xl COMMAND``. Each command lives in its own module
and registers itself on :data:`ilt_xl.cli.app.app` when imported."""
from __future__ import annotations

from ilt_xl.cli.app import app

# Command modules register themselves on import.
from ilt_xl.cli import commands_registered  # noqa: F401


def main() -> None:
    """Entry point of the ``ilt-xl`` console script."""
    from ilt_xl.atomic_write import install_signal_cleanup

    install_signal_cleanup()   # a stopped command removes its temporary files
    app()
