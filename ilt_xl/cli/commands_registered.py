"""Imports every command module so that each registers on the app.

One line per module; keep the list sorted.
"""
from ilt_xl.cli import check  # noqa: F401
