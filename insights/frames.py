"""Small helpers over pandas/numpy columns of Python objects, shared by the facts and the store."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Kinds where values that compare equal also look alike (unlike True == 1 == 1.0, or unhashable lists).
PLAIN_KINDS = {"string", "boolean", "integer", "floating", "empty"}


def _key(value):
    """A hashable stand-in that tells apart what looks different (True, 1 and 1.0), also inside lists and
    mappings (values of any JSON shape can reach a fact column)."""
    if isinstance(value, (list, tuple)):
        return value.__class__, tuple(map(_key, value))
    if isinstance(value, dict):
        return dict, tuple((_key(k), _key(v)) for k, v in value.items())
    try:
        hash(value)
    except TypeError:
        return value.__class__, repr(value)
    return value.__class__, value


def distinct_codes(values) -> tuple[np.ndarray, np.ndarray, str]:
    """(code per value, -1 for None; one value per code; pandas' kind of the values). Values of one plain
    kind are coded as they are; others by type and content, so that lists can be coded and True, 1 and 1.0
    get codes of their own."""
    values = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in PLAIN_KINDS:
        codes, uniques = pd.factorize(values)
        return codes, uniques.astype(object), kind
    codes, _ = pd.factorize(np.fromiter((None if v is None else _key(v) for v in values), dtype=object,
                                        count=len(values)))
    known = np.flatnonzero(codes >= 0)
    return codes, values[known[np.unique(codes[known], return_index=True)[1]]], kind


def map_distinct(values, function) -> np.ndarray:
    """`function(v)` for every value, called once per distinct value; None stays None."""
    codes, uniques, _ = distinct_codes(values)
    mapped = np.fromiter(map(function, uniques), dtype=object, count=len(uniques))
    return np.append(mapped, None)[codes]


def combined_codes(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One small integer per distinct combination of several code columns, given as (codes, number of
    distinct values) with codes from -1 (missing) up. Kept small by re-coding after each column."""
    combined = np.zeros(len(columns[0][0]) if columns else 0, dtype=np.int64)
    for codes, size in columns:
        combined = pd.factorize(combined * (size + 1) + codes + 1)[0]
    return combined
