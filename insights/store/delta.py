"""Storing what changed: a value row is written only when it differs from the entity's value in the
previous successful run. Reading "as of" a run takes, for each key, the newest row at or before it
(picked here rather than by a SQL join, whose plan some engines get badly wrong).

The three per-entity tables kept this way, with their keys and values:"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import select

from insights.frames import combined_codes
from insights.store import tables as t
from insights.store.coding import Codes, stored
from insights.store.rows import CHUNK, bulk_insert

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


def changed(new: pd.DataFrame, previous: pd.DataFrame | None, keys: list[str], values: list[str],
            newest: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of `new` whose values differ from `previous` (or whose key is new there). `previous` holds
    one row per key; `newest`, each key's newest stored row whatever run it is part of (default: `previous`).

    A row whose values are all missing (an unknown fact) is left out while its key has no stored row with a
    value: a key without a row reads as unknown, so most first runs store no row for an unknown fact."""
    previous = previous if previous is not None else new.iloc[:0]
    newest = previous if newest is None else newest
    new_codes, previous_codes, newest_codes = key_codes(keys, new, previous, newest)
    position = pd.Index(previous_codes).get_indexer(new_codes)  # -1: a key the previous run did not have
    differs = position < 0
    missing = np.ones(len(new), dtype=bool)
    for value in values:
        now = new[value].to_numpy(dtype=object)
        missing &= pd.isna(now)
        if len(previous):
            before = previous[value].to_numpy(dtype=object)[np.where(differs, 0, position)]
            differs |= _missing_as_marker(now) != _missing_as_marker(before)
    if missing.any():
        with_value = newest_codes[newest[values].notna().any(axis=1).to_numpy()]
        differs &= ~missing | np.isin(new_codes, with_value)
    return new[differs]


def _read(connection, table, run_id: int, columns: list[str]) -> pd.DataFrame:
    """Stored rows at or before a run, through the driver's own cursor: for bulk reads, where building
    SQLAlchemy row objects cost more than the query."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name} WHERE run_id <= {int(run_id)}")
        parts = []
        while rows := cursor.fetchmany(CHUNK):  # Python tuples for a chunk at a time, not for every row
            parts.append(pd.DataFrame(rows, columns=columns))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    finally:
        cursor.close()


def history(connection, name: str, run_id: int, codes: Codes | None = None) -> pd.DataFrame:
    """A delta table's rows at or before a run, with names and texts (see `coding`)."""
    table, keys, values = DELTA_TABLES[name]
    rows = _read(connection, table, run_id, [stored(c) for c in ["run_id"] + keys + values])
    return (codes or Codes(connection)).decode(rows)


def store_changes(connection, name: str, rows: pd.DataFrame, codes: Codes) -> None:
    """Write a run's changed rows (names and texts as ids), in the order of the table's primary key."""
    table, keys, _ = DELTA_TABLES[name]
    rows = codes.encode(connection, rows)
    bulk_insert(connection, table, rows.sort_values([stored(k) for k in keys], kind="stable"))


def in_run(connection, name: str, run_id: int, rows: pd.DataFrame) -> np.ndarray:
    """Which rows belong to the run's picture: its entities, and its checks, scorecards or facts."""
    def ids(column, condition):
        return set(connection.execute(select(column).where(condition)).scalars())

    mask = rows["entity_ref"].isin(ids(t.entities.c.ref, t.entities.c.run_id == run_id)).to_numpy()
    if name == "check_results":
        mask = mask & rows["check_id"].isin(ids(t.checks.c.check_id, t.checks.c.run_id == run_id)).to_numpy()
    if name == "scorecard_results":
        cards = ids(t.scorecards.c.scorecard_id, t.scorecards.c.run_id == run_id)
        mask = mask & rows["scorecard_id"].isin(cards).to_numpy()
    if name == "fact_values":
        fact_ids = connection.execute(select(t.runs.c.fact_ids).where(t.runs.c.id == run_id)).scalar()
        if fact_ids:
            mask = mask & rows["fact_id"].isin(json.loads(fact_ids)).to_numpy()
    return mask


def before_run(connection, name: str, previous: int | None, codes: Codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a run's rows are compared with (`changed`): the previous run's picture, and each key's newest row
    at or before it whatever run it is part of. Empty frames when there is no previous run."""
    _, keys, values = DELTA_TABLES[name]
    if previous is None:
        empty = pd.DataFrame(columns=keys + values)
        return empty, empty
    newest = latest(history(connection, name, previous, codes), keys)
    return _of_run(connection, name, previous, newest), newest.reset_index(drop=True)


def as_of_runs(connection, name: str, run_ids: list[int], codes: Codes | None = None) -> pd.DataFrame:
    """Several runs' pictures from one read of the table, with a run_id column."""
    rows = history(connection, name, max(run_ids), codes)
    return pd.concat([_picture(connection, name, run_id, rows[rows["run_id"] <= run_id]).assign(run_id=run_id)
                      for run_id in run_ids], ignore_index=True)


def _picture(connection, name: str, run_id: int, rows: pd.DataFrame) -> pd.DataFrame:
    return _of_run(connection, name, run_id, latest(rows, DELTA_TABLES[name][1]))


def _of_run(connection, name: str, run_id: int, newest: pd.DataFrame) -> pd.DataFrame:
    """The run's picture from each key's newest row: the keys that are part of the run."""
    _, keys, values = DELTA_TABLES[name]
    rows = newest[in_run(connection, name, run_id, newest)]
    if name == "scorecard_results":
        rows = rows.astype({"passed": int, "failed": int, "unknown": int})
    return rows[keys + values].reset_index(drop=True)


def unread_before(connection, name: str, run_id: int) -> pd.DataFrame:
    """Rows written before a run that neither it nor any later run reads: a newer value for the key exists
    at or before the run, or the key is not part of the run's picture (later runs stored those anew). Their
    key columns as stored."""
    table, keys, _ = DELTA_TABLES[name]
    rows = _read(connection, table, run_id, ["run_id"] + [stored(k) for k in keys])
    named = Codes(connection).decode(rows)
    read = named.index.isin(latest(named, keys).index) & in_run(connection, name, run_id, named)
    return rows[(rows["run_id"].to_numpy() < run_id) & ~read]
