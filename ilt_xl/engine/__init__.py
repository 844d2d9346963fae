"""Headless recalculation of xlsx workbooks: read the zip, rewrite structured references,
evaluate every formula (vectorised over table columns) and write cached values back losslessly.

Public entry point: :func:`ilt_xl.engine.recalc.recalculate`.
"""
