"""Storing what changed: a value row is written only when it differs from the entity's value in the
previous successful run. Reading "as of" a run takes, for each key, the newest row at or before it.

The three per-entity tables kept this way, with their keys and values:"""

from __future__ import annotations

import pandas as pd

from insights.store import tables as t

DELTA_TABLES = {
    "fact_values": (t.fact_values, ["entity_ref", "fact_id"], ["value"]),
    "check_results": (t.check_results, ["entity_ref", "check_id"], ["outcome", "reason", "fix"]),
    "scorecard_results": (t.scorecard_results, ["entity_ref", "scorecard_id"],
                          ["level", "score", "passed", "failed", "unknown"]),
}


def _comparable(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Values as text, with missing values as one marker, so that None, NaN and NULL compare equal."""
    return frame[columns].astype(object).where(frame[columns].notna(), "\x00").astype(str)


def changed(new: pd.DataFrame, previous: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """The rows of `new` whose values differ from `previous` (or whose key is new there)."""
    if previous is None or not len(previous):
        return new
    merged = new.merge(previous[keys + values], on=keys, how="left", suffixes=("", "_before"), indicator=True)
    before = merged[[f"{v}_before" for v in values]].set_axis(values, axis=1)
    differs = (_comparable(merged, values) != _comparable(before, values)).any(axis=1)
    return new[(differs | (merged["_merge"] == "left_only")).to_numpy()]
