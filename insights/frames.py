"""Small helpers over pandas/numpy columns of Python objects, shared by the facts and the store."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Kinds where values that compare equal also look alike (unlike True == 1 == 1.0, or unhashable lists).
PLAIN_KINDS = {"string", "boolean", "integer", "floating", "empty"}


def map_distinct(values, function) -> np.ndarray:
    """`function(v)` for every value; None stays None. Called once per distinct value when the column holds
    one plain kind (many rows share few values), once per value otherwise."""
    values = np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in PLAIN_KINDS:
        return np.fromiter((None if v is None else function(v) for v in values), dtype=object, count=len(values))
    codes, uniques = pd.factorize(values)
    mapped = np.fromiter(map(function, uniques), dtype=object, count=len(uniques))
    return np.append(mapped, None)[codes]


def combined_codes(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One small integer per distinct combination of several code columns, given as (codes, number of
    distinct values) with codes from -1 (missing) up. Kept small by re-coding after each column."""
    combined = np.zeros(len(columns[0][0]) if columns else 0, dtype=np.int64)
    for codes, size in columns:
        combined = pd.factorize(combined * (size + 1) + codes + 1)[0]
    return combined
