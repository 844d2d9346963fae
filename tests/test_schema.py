"""The schema is consistent with itself, with design.md's tabs and with the README."""
import re
from pathlib import Path

import pytest

from ilt_xl.schema import PLANNER, ColumnType
from ilt_xl.readme import updated

ROOT = Path(__file__).resolve().parents[1]
TABLE_REF = re.compile(r"\b([A-Za-z]+)\[(?:\[#This Row\],)?\[?([A-Za-z]+)\]")


def test_design_tabs_are_tables():
    for name in ("Courses", "Instructors", "Rooms", "Equipment", "Sessions", "Enrolments", "FX",
                 "ChecklistTemplate", "Checklist", "Allocation", "Budget", "Conflicts"):
        assert name in PLANNER.table_names


def test_sessions_calculate_what_design_asks():
    calculated = {c.name for c in PLANNER.table("Sessions").calculated_columns}
    assert {"Days", "Capacity", "FixedCost", "VariableCost", "SessionCost", "Occupancy", "CostPerLearner",
            "CostPerLearnerHour", "BreakEvenLearners", "GoNoGo", "ConflictFlag"} <= calculated


@pytest.mark.parametrize("table", PLANNER.tables, ids=lambda t: t.name)
def test_long_form_formulas_name_real_tables_and_columns(table):
    for column in table.calculated_columns:
        formula = table.formula_of(column.name)
        assert "[@" not in formula
        for ref_table, ref_column in TABLE_REF.findall(formula):
            assert ref_column in PLANNER.table(ref_table).column_names, (table.name, column.name, ref_table, ref_column)


def test_this_row_expands_to_long_form_and_a_blank_row_key_gives_a_blank():
    sessions = PLANNER.table("Sessions")
    assert sessions.formula_of("Occupancy") == (
        '=IF(Sessions[[#This Row],[SessionId]]="","",Sessions[[#This Row],[Registered]]/Sessions[[#This Row],[Capacity]])'
    )
    assert PLANNER.table("Courses").row_key is None  # no calculated column: nothing to wrap


def test_every_table_with_calculated_columns_has_a_row_key():
    """So that a blank row of the template shows blanks, not errors, in every calculated column."""
    for table in PLANNER.tables:
        if table.calculated_columns:
            assert table.row_key in table.column_names and table.column(table.row_key).required, table.name


def test_named_settings_used_in_formulas_exist():
    settings = {s.name for s in PLANNER.settings}
    assert {"AsOfDate", "GoNoGoLeadDays"} <= settings
    for table in PLANNER.tables:
        for column in table.calculated_columns:
            for name in re.findall(r"\b(AsOfDate|GoNoGoLeadDays|ReportingCurrency)\b", column.formula):
                assert name in settings


def test_references_point_at_unique_keys():
    for table in PLANNER.tables:
        for column in table.columns:
            if column.references:
                target = PLANNER.table(column.referenced_table).column(column.referenced_column)
                assert target.unique, column.references


def test_allowed_values_only_on_text_like_columns():
    for table in PLANNER.tables:
        for column in table.columns:
            if column.allowed:
                assert column.type in (ColumnType.TEXT, ColumnType.CURRENCY), (table.name, column.name)


def test_readme_generated_sections_are_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert updated(readme) == readme, "README is stale: run `python -m ilt_xl.readme`"
