"""Storing what changed: a value row is written only when it differs from the entity's value in the
previous successful run. Reading "as of" a run takes, for each key, the newest row at or before it.

The three per-entity tables kept this way, with their keys and values:"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.frames import combined_codes
from insights.store import tables as t

DELTA_TABLES = {
    "fact_values": (t.fact_values, ["entity_ref", "fact_id"], ["value"]),
    "check_results": (t.check_results, ["entity_ref", "check_id"], ["outcome", "reason", "fix"]),
    "scorecard_results": (t.scorecard_results, ["entity_ref", "scorecard_id"],
                          ["level", "score", "passed", "failed", "unknown"]),
}


def key_codes(keys: list[str], *frames: pd.DataFrame) -> list[np.ndarray]:
    """One integer per distinct combination of the key columns, comparable across `frames`: joins and
    de-duplication on integers rather than on pairs of strings."""
    factorised = [pd.factorize(np.concatenate([frame[key].to_numpy(dtype=object) for frame in frames]))
                  for key in keys]
    combined = combined_codes([(codes, len(uniques)) for codes, uniques in factorised])
    return np.split(combined, np.cumsum([len(frame) for frame in frames])[:-1])


def latest(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each key's row with the highest run_id."""
    if not len(rows):
        return rows
    codes = key_codes(keys, rows)[0]
    order = np.lexsort((rows["run_id"].to_numpy(), codes))
    last = np.append(codes[order][1:] != codes[order][:-1], True)
    return rows.iloc[np.sort(order[last])]


def _missing_as_marker(values: np.ndarray) -> np.ndarray:
    """None, NaN and NULL as one marker, so that they compare equal to each other."""
    return np.where(pd.isna(values), "\x00", values)


def changed(new: pd.DataFrame, previous: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """The rows of `new` whose values differ from `previous` (or whose key is new there).
    `previous` holds one row per key."""
    if previous is None or not len(previous):
        return new
    new_codes, previous_codes = key_codes(keys, new, previous)
    position = pd.Index(previous_codes).get_indexer(new_codes)  # -1: a key the previous run did not have
    differs = position < 0
    for value in values:
        before = previous[value].to_numpy(dtype=object)[np.where(differs, 0, position)]
        now = new[value].to_numpy(dtype=object)
        differs |= _missing_as_marker(now) != _missing_as_marker(before)
    return new[differs]
