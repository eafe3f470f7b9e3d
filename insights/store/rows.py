"""What a run writes, as rows per table, and the fastest way each engine takes many rows at once."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from insights.frames import map_distinct
from insights.store import tables as t


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: PostgreSQL and MariaDB refuse them


def clean_text(value):
    """A text as every engine can hold it: NUL and lone surrogates (from hostile catalog files or APIs)
    become U+FFFD; anything else is returned as it is."""
    return UNSTORABLE.sub("\ufffd", value) if isinstance(value, str) and UNSTORABLE.search(value) else value


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`clean_text` over every column holding texts: distinct values looked at once (a column is only
    rebuilt when one of them needs it), a column of mixed kinds value by value."""
    for column in frame.columns:
        values = frame[column].to_numpy()
        kind = pd.api.types.infer_dtype(values, skipna=True) if values.dtype == object else ""
        if kind == "string":
            codes, uniques = pd.factorize(values)
            uniques = np.asarray(uniques, dtype=object)
            bad = [i for i, text in enumerate(uniques) if UNSTORABLE.search(text)]
            if bad:
                uniques[bad] = [clean_text(uniques[i]) for i in bad]
                frame = frame.assign(**{column: np.append(uniques, None)[codes]})
        elif kind.startswith("mixed"):
            frame = frame.assign(**{column: np.array([clean_text(v) for v in values], dtype=object)})
    return frame


def clean_rows(rows):
    """`clean_text` over a DataFrame or a list of row dicts."""
    if isinstance(rows, pd.DataFrame):
        return clean_frame(rows)
    return [{key: clean_text(value) for key, value in row.items()} for row in rows]


def as_json(value) -> str | None:
    if value is None or value is True or value is False:
        return None if value is None else ("true" if value else "false")
    if type(value) is int:
        return str(value)
    return json.dumps(value, default=str, sort_keys=True)


CHUNK = 50_000  # rows turned into Python tuples at a time: a run's millions of rows never all at once


def _chunks(frame: pd.DataFrame, columns: list[str]):
    """The rows as tuples of Python values (missing: None), CHUNK at a time."""
    for start in range(0, len(frame), CHUNK):
        values = frame[columns].iloc[start:start + CHUNK].astype(object)
        yield list(values.where(values.notna(), None).itertuples(index=False, name=None))


def bulk_insert(connection, table, frame: pd.DataFrame) -> None:
    """Many rows at once: COPY on PostgreSQL, the driver's executemany elsewhere. Missing values are NULL."""
    if not len(frame):
        return
    columns = [c.name for c in table.columns if c.name in frame.columns]
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for rows in _chunks(frame, columns):
                for row in rows:
                    copy.write_row(row)
        return
    marker = {"qmark": "?", "numeric": ":1"}.get(connection.dialect.paramstyle, "%s")
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    for rows in _chunks(frame, columns):
        connection.exec_driver_sql(statement, rows)


def run_rows(run_id: int, bundle):
    """(table, rows) for every table a run writes: lists of dicts, or DataFrames for the delta tables; texts
    cleaned (`clean_text`) before they are compared with the previous run's or stored."""
    for table, rows in _run_rows(run_id, bundle):
        yield table, rows if table is t.fact_values else clean_rows(rows)  # made of cleaned distinct texts


def _run_rows(run_id: int, bundle):
    entity_columns = [c.name for c in t.entities.columns if c.name != "run_id"]
    yield t.entities, [{"run_id": run_id, **{c: getattr(e, c) for c in entity_columns}}
                       for e in {e.ref: e for e in bundle.entities}.values()]
    facts = bundle.facts
    # millions of rows: each distinct name and text is cleaned once, and the columns stay arrays of
    # references to them (dtype object: pandas would otherwise copy every text into a string column)
    refs, fact_ids = (np.array([clean_text(v) for v in values], dtype=object) for values in (facts.index, facts.columns))
    yield t.fact_values, pd.DataFrame({
        "entity_ref": np.tile(refs, len(fact_ids)), "fact_id": np.repeat(fact_ids, len(refs)),
        "value": np.concatenate([map_distinct(facts[fact], lambda v: clean_text(as_json(v))) for fact in facts.columns])
        if len(fact_ids) else np.array([], dtype=object)}, dtype=object)
    yield t.checks, [{"run_id": run_id, "check_id": c.id, "name": c.name, "description": c.description,
                      "weight": c.weight, "defined_at": c.where} for c in bundle.checks]
    yield t.check_results, bundle.results[["entity_ref", "check_id", "outcome", "reason", "fix"]]
    yield t.scorecards, [{"run_id": run_id, "scorecard_id": s.id, "name": s.name,
                          "levels": as_json([{"name": l.name, "checks": list(l.checks)} for l in s.levels])}
                         for s in bundle.scorecards]
    yield t.scorecard_results, bundle.scores.astype(object).where(bundle.scores.notna(), None)
    yield t.findings, [{"run_id": run_id, "code": f.code, "severity": f.severity, "message": f.message,
                        "source": f.source, "path": f.path, "line": f.line, "entity_ref": f.entity_ref}
                       for f in bundle.findings]
    yield t.organisation_results, [{"run_id": run_id, "kind": o["kind"], "service_id": o["service_id"],
                                    "service_name": o.get("service_name"), "detail": as_json(o.get("detail"))}
                                   for o in bundle.organisation]
