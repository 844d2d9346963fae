"""ilt-xl: a spreadsheet-native planner for instructor-led training."""

__version__ = "0.1.0"
