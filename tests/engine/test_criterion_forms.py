"""The forms of per-row criteria (plain equality; comparison with a number and its bound), read in
one pass per distinct text, against the two separate readings they replace (kept here as the
reference) on random criteria, and on hand-made ones."""
from __future__ import annotations

import random

import numpy as np

from ilt_xl.engine.criterion_forms import criterion_forms, plain_texts, text_form
from ilt_xl.engine.ranked_counts import OPERATORS
from ilt_xl.engine.values import ERRORS, STR, Block

_OPS = ("<=", ">=", "<>", "=", "<", ">")


def _reference(u) -> tuple[bool, int, float]:
    """The previous formulation: ``_plain_criteria``'s test, then ``_comparisons``' parse."""
    plain = (isinstance(u, str) and u != "" and u[0] not in "<>=" and not any(w in u for w in "*?~")
             and u.upper() not in ("TRUE", "FALSE") and u not in ERRORS)
    op = next((o for o in _OPS if u.startswith(o)), None) if isinstance(u, str) else None
    if op not in OPERATORS:
        return plain, -1, 0.0
    try:
        bound = float(u[len(op):])
    except ValueError:
        return plain, -1, 0.0
    return (plain, -1, 0.0) if np.isnan(bound) else (plain, OPERATORS.index(op), bound)


def _forms(values: list) -> list[tuple[bool, int, float]]:
    f = criterion_forms(Block.from_objects(np.array(values, dtype=object).reshape(-1, 1)))
    return list(zip(f.plain.tolist(), f.ops.tolist(), f.bounds.tolist()))


def test_hand_made_criteria():
    assert _forms(["<=45292", ">= 3.5", "<2", ">-1", "<>2", "=2", "<", "<=x", ">=nan", ">>1", "=<1"]) == [
        (False, 0, 45292.0), (False, 1, 3.5), (False, 2, 2.0), (False, 3, -1.0), (False, -1, 0.0),
        (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0)]
    assert _forms(["R-7", "a*", "b?", "~", "true", "FALSE", "#N/A", "", 3.0, True, None]) == [
        (True, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0),
        (False, -1, 0.0), (False, -1, 0.0), (False, -1, 0.0), (True, -1, 0.0), (True, -1, 0.0), (True, -1, 0.0)]


def test_random_criteria_read_as_the_previous_formulation_reads_them():
    rng = random.Random(19)
    heads = ["", "<", ">", "=", "<=", ">=", "<>", "=<", "><", ">>", "<<="]
    bodies = ["1", "-2.5", " 3 ", "1e3", "1_0", "nan", "inf", "-Infinity", "x", "", "TRUE", "false", "#N/A",
              "#DIV/0!", "a*b", "?", "~*", "S001", "İ", "\u0663", "0x1", "1,5", "45292"]
    texts = [rng.choice(heads) + rng.choice(bodies) + rng.choice(["", "", " ", "*"]) for _ in range(3000)]
    values = texts + [rng.choice([1.0, True, None, ERRORS["#N/A"]]) for _ in range(200)]
    rng.shuffle(values)
    got = _forms(values)
    kinds = Block.from_objects(np.array(values, dtype=object).reshape(-1, 1)).kind[:, 0]
    expected = []
    for v, k in zip(values, kinds):
        if k == STR:
            expected.append(_reference(v))
        else:       # numbers, booleans and empty cells are plain equalities; errors are not
            expected.append((v is None or not isinstance(v, str), -1, 0.0))
    assert got == expected
    assert sum(op >= 0 for _, op, _ in got) > 300 and sum(p for p, _, _ in got) > 300


def test_plain_texts_read_as_text_form_reads_each_text():
    """The one-pass test of plain equalities against ``text_form``, text by text (numpy's texts,
    numbers and None included: only ``str`` texts can be plain)."""
    rng = random.Random(20)
    pieces = ["", "<", ">", "=", "a", "S001", "*", "?", "~", "true", "FALSE", "#N/A", "#REF!", " ", "İ", "1"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(3000)]
    texts += [np.str_("x1"), np.str_(""), 3.0, None, True, "TRUE", "#N/A", "<"]
    assert plain_texts(texts).tolist() == [text_form(u)[0] for u in texts]
    assert 300 < sum(plain_texts(texts)) < 2900
