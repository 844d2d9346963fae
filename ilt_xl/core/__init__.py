"""Pure computation for instructor-led training: costs, allocation, FX, calendars,
checklists, resources, plan and KPIs.

Nothing in this package imports Excel, xlwings, openpyxl or formulas: it works on
numpy arrays and pandas DataFrames whose columns are named as in ``ilt_xl.schema``.
"""
