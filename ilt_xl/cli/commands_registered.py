"""Imports every command module so that each registers on the app.

One line per module; keep the list sorted.
"""
from ilt_xl.cli import check  # noqa: F401
from ilt_xl.cli import close  # noqa: F401
from ilt_xl.cli import forecast  # noqa: F401
from ilt_xl.cli import ics  # noqa: F401
from ilt_xl.cli import macros  # noqa: F401
from ilt_xl.cli import new  # noqa: F401
from ilt_xl.cli import optimise  # noqa: F401
from ilt_xl.cli import recalc  # noqa: F401
from ilt_xl.cli import refresh  # noqa: F401
from ilt_xl.cli import report  # noqa: F401
