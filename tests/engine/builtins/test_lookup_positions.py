"""Exact-match positions (MATCH/INDEX/VLOOKUP/XLOOKUP's hash path), each distinct lookup text asked
once with its wildcards read in the same pass, against the previous formulation (every element's key
looked up, wildcards from a second pass; kept here as the reference) on random values."""
from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ilt_xl.engine.builtins.lookup import _exact_keys, _first_positions
from ilt_xl.engine.evaluator import Val
from ilt_xl.engine.values import ERRORS, STR, Block

_CTX = SimpleNamespace(book=SimpleNamespace(lookup_cache=None))


def _reference(rng: Block, look: Block) -> tuple[list, list]:
    keys = _exact_keys(rng)
    s = pd.Series(np.arange(len(keys)), index=pd.Index(keys, dtype=object))
    s = s[~s.index.isna()]
    found = s[~s.index.duplicated(keep="first")]
    at = found.index.get_indexer(pd.Index(_exact_keys(look), dtype=object))
    pos = np.where(at >= 0, found.to_numpy()[np.maximum(at, 0)], -1) if len(found) else np.full(len(at), -1)
    k, obj = look.kind.ravel(), look.obj.ravel()
    wild = [bool(k[i] == STR and any(w in obj[i] for w in "*?~")) for i in range(len(k))]
    return pos.tolist(), wild


def _column(values: list) -> Block:
    return Block.from_objects(np.array(values, dtype=object).reshape(-1, 1))


def test_random_lookups_find_what_the_previous_formulation_found():
    rng = random.Random(5)
    pool = ["a", "A", "b", "ÉTÉ", "été", "a*", "b?", "~x", "1", " 1", 1.0, 2.0, -0.0, 0.0, True, False, None,
            ERRORS["#N/A"], ERRORS["#DIV/0!"], "#N/A", "", "S001", "s001"]
    for trial in range(30):
        area = _column([rng.choice(pool) for _ in range(rng.randint(0, 40))] or [None])
        look = _column([rng.choice(pool + ["zz", 3.0]) for _ in range(rng.randint(1, 60))])
        pos, wild = _first_positions(_CTX, Val(area), Val(look, True))
        assert (pos.tolist(), wild.tolist()) == _reference(area, look), trial


def test_hand_made_lookups():
    area = _column(["x", "B", 2.0, True, "b"])
    pos, wild = _first_positions(_CTX, Val(area), Val(_column(["b", "X", 2.0, "2", True, 1.0, "b*", None]), True))
    assert pos.tolist() == [1, 0, 2, -1, 3, -1, -1, -1]
    assert wild.tolist() == [False, False, False, False, False, False, True, False]
