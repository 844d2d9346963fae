"""Per-value work done once per distinct value: text columns repeat few distinct values."""
from __future__ import annotations

import numpy as np
import pandas as pd


def map_unique(values: np.ndarray, fn, dtype=object) -> np.ndarray:
    """``fn`` applied to each distinct element of ``values`` (hash-factorised), spread back.

    Text columns repeat few distinct values, so per-value Python work runs per distinct value.
    Elements that are None map to ``fn(None)``.
    """
    flat = np.asarray(values, dtype=object).ravel()
    if len(flat) == 0:
        return np.zeros(0, dtype=dtype)
    codes, uniq = pd.factorize(flat, use_na_sentinel=True)
    mapped = np.empty(len(uniq) + 1, dtype=dtype)
    mapped[:len(uniq)] = [fn(u) for u in uniq]
    if (codes < 0).any():
        mapped[len(uniq)] = fn(None)
    return mapped[codes]


def text_keys(texts) -> np.ndarray:
    """The equality key of each text in lookups and criteria, ``"s:"`` and the text lowered (as
    ``str``), one Python call per text (pandas' ``.str.lower()`` costs several)."""
    out = np.empty(len(texts), dtype=object)
    out[:] = ["s:" + str(t).lower() for t in texts]
    return out
