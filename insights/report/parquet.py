"""Parquet files for data teams: `facts.parquet` (one row per entity, one column per fact) and
`results.parquet` (one row per entity and check, with the entity's team). Needs pyarrow, the optional extra
`insights[parquet]` (see `formats.REGISTRY`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from insights.report.view import RunView


def _column(values: pd.Series) -> pd.Series:
    """A fact column Parquet can type: booleans, numbers and text stay so; lists, mappings and columns of
    mixed types become JSON text; unknown is null."""
    known = values.dropna()
    kinds = {type(v) for v in known}
    if kinds <= {bool}:
        return values.astype("boolean")
    if kinds <= {int} or kinds <= {int, float}:
        return pd.to_numeric(values).astype("Int64" if kinds <= {int} else "Float64")
    if kinds <= {str}:
        return values.astype("string")
    return values.map(lambda v: None if v is None else json.dumps(v, default=str)).astype("string")


def write(view: RunView, folder: Path) -> list[Path]:
    facts = view.facts
    teams = view.entities.set_index("ref")["team"]
    frame = pd.DataFrame({c: _column(facts[c]) for c in facts.columns}, index=facts.index)
    frame = frame.rename_axis("entity_ref").reset_index()
    frame.insert(1, "team", frame["entity_ref"].map(teams).astype("string"))
    frame.to_parquet(folder / "facts.parquet", index=False)
    results = view.results.assign(team=view.results["entity_ref"].map(teams), run_id=int(view.run["id"]))
    columns = ["run_id", "entity_ref", "team", "check_id", "outcome", "reason", "fix"]
    results[columns].astype({c: "string" for c in columns[1:]}).to_parquet(folder / "results.parquet", index=False)
    return [folder / "facts.parquet", folder / "results.parquet"]
