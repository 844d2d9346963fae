"""The workbook edge: build the planner, read and validate it, rewrite its tables losslessly."""
