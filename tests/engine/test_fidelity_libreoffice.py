"""ilt-xl recalc against LibreOffice headless (forced full recalculation) on the same files.

Every formula cell must agree within 1e-9 relative: the feature corpus (tables with calculated
columns, structured references of every form, SUMIFS/COUNTIFS/AVERAGEIFS, INDEX/MATCH, IF/IFERROR,
dates, text, cross-sheet references, a defined name, a totals row) and the example planner.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compare import mismatches
from corpus import build_corpus
from libreoffice import recalculate_with_libreoffice, soffice_available

from ilt_xl.engine.recalc import recalculate

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed"),
]

TODAY = dt.date.today()  # LibreOffice evaluates TODAY() as the real date


def _both(src: Path, tmp: Path) -> tuple[Path, Path]:
    ours = tmp / "ours" / src.name
    ours.parent.mkdir()
    report = recalculate(src, ours, today=TODAY)
    assert report.problems == [], [str(p) for p in report.problems]
    theirs = recalculate_with_libreoffice(src, tmp / "lo")
    return ours, theirs


def test_corpus_matches_libreoffice(tmp_path):
    src = tmp_path / "corpus.xlsx"
    build_corpus(src)
    ours, theirs = _both(src, tmp_path)
    assert mismatches(src, ours, theirs) == []


def test_short_form_this_row_gives_the_long_form_values(tmp_path):
    # LibreOffice 7.4 returns #N/A for a literal [@Col]: compare with our own long-form results,
    # which the test above ties to LibreOffice.
    long_src, short_src = tmp_path / "long.xlsx", tmp_path / "short.xlsx"
    build_corpus(long_src)
    build_corpus(short_src, short_form=True)
    recalculate(long_src, tmp_path / "long.out.xlsx", today=TODAY)
    report = recalculate(short_src, tmp_path / "short.out.xlsx", today=TODAY)
    assert report.problems == []
    diffs = mismatches(short_src, tmp_path / "short.out.xlsx", tmp_path / "long.out.xlsx")
    assert diffs == []


def test_stale_cached_values_are_replaced(tmp_path):
    # the recalculated copy of a recalculated copy is identical: nothing depends on old caches
    src = tmp_path / "corpus.xlsx"
    build_corpus(src)
    first = tmp_path / "first.xlsx"
    recalculate(src, first, today=TODAY)
    second = tmp_path / "second.xlsx"
    recalculate(first, second, today=TODAY)
    assert mismatches(src, first, second) == []


@pytest.fixture(scope="module")
def example_planner(tmp_path_factory) -> Path:
    from ilt_xl.workbook.builder import write_planner_atomically
    from ilt_xl.workbook.example import make_example
    path = tmp_path_factory.mktemp("planner") / "example.xlsx"
    write_planner_atomically(path, make_example(sessions=300, seed=7))
    return path


def test_example_planner_matches_libreoffice(example_planner, tmp_path):
    ours, theirs = _both(example_planner, tmp_path)
    assert mismatches(example_planner, ours, theirs) == []


def test_empty_template_matches_libreoffice(tmp_path):
    from ilt_xl.workbook.builder import write_planner_atomically
    src = tmp_path / "template.xlsx"
    write_planner_atomically(src, None)
    ours, theirs = _both(src, tmp_path)
    assert mismatches(src, ours, theirs) == []
