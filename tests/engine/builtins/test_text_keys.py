"""Equality keys of texts (criteria and exact lookups): "s:" and the text lowered, or the number a
text reads as (criteria), worked out once per distinct text; checked against pandas' string
methods, which computed them before (the same Python str operations, one call per text)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.engine.builtins.conditional import _keys_of
from ilt_xl.engine.builtins.lookup import _exact_keys
from ilt_xl.engine.values import Block

TEXTS = ["S001", "s001", "ÉTÉ", "İstanbul", "ß", " 12 ", "12", "-3.5", "+7", ".5", "1e3", "inf", "Infinity",
         "\u0663", "١٢", "nan", "", "  ", "x y", "0x10", "1,000", "ID-7", "\u00a012\u00a0", "TRUE"]


def _pandas_keys(texts: list[str]) -> list:
    """The keys as they were computed with pandas' string methods."""
    s = pd.Series(texts, dtype=object).astype(str)
    keys = ("s:" + s.str.lower()).to_numpy(dtype=object)
    stripped = s.str.strip()
    tried = np.flatnonzero(stripped.str.match(r"[-+.\dIi]").to_numpy(dtype=bool))
    as_num = pd.to_numeric(stripped.iloc[tried], errors="coerce").to_numpy(dtype=float)
    keys[tried[~np.isnan(as_num)]] = as_num[~np.isnan(as_num)].tolist()
    return keys.tolist()


def test_criterion_keys_of_texts_are_what_pandas_string_methods_gave():
    block = Block.from_objects(np.array(TEXTS + TEXTS[::-1], dtype=object))
    got = _keys_of(block).tolist()
    expected = _pandas_keys(TEXTS + TEXTS[::-1])
    assert [type(k) for k in got] == [type(k) for k in expected]
    assert [str(k) for k in got] == [str(k) for k in expected]        # nan keys compare by their text
    assert got[TEXTS.index(" 12 ")] == 12.0 and got[TEXTS.index("İstanbul")] == "s:i̇stanbul"


def test_lookup_keys_of_texts_are_the_texts_lowered():
    block = Block.from_objects(np.array(TEXTS, dtype=object))
    assert _exact_keys(block).tolist() == ["s:" + t.lower() for t in TEXTS]
