"""TRIM and T called from the table on hand-made values (Excel's documented results)."""
from direct_calls import arg, call


def test_trim_keeps_single_spaces_between_words():
    assert call("TRIM", arg("  First Quarter   Earnings ")) == "First Quarter Earnings"
    assert call("TRIM", arg(12)) == "12"                      # a number as its text
    assert call("TRIM", arg("#N/A")) == "#N/A"                # errors pass through
    assert call("TRIM", arg([" a", "b  c "], per_row=True), rows=(1, 2)) == [["a"], ["b c"]]


def test_t_keeps_text_and_errors_only():
    assert [call("T", arg(v)) for v in ("Rainfall", 19, True, "#REF!")] == ["Rainfall", "", "", "#REF!"]
