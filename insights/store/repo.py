"""The only module that opens database connections. Runs are written atomically.

A run is first recorded as `running` in a transaction of its own; all of its results are then written
in one transaction that also marks it `succeeded`, so readers see all of a run or none of it. A run that
fails is marked `failed` with its error, and the latest succeeded run stays the latest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, delete, insert, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from insights import __version__
from insights.errors import StoreError
from insights.frames import map_distinct
from insights.store import tables as t
from insights.store.delta import DELTA_TABLES, as_of, as_of_runs, changed


FULL = re.compile(r"disk is full|no space left|could not extend file|table .* is full", re.IGNORECASE)


def mask_password(url: str) -> str:
    """A database URL as shown to people: the user stays, the password does not."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _json(value) -> str | None:
    if value is None or value is True or value is False:
        return None if value is None else ("true" if value else "false")
    if type(value) is int:
        return str(value)
    return json.dumps(value, default=str, sort_keys=True)


@dataclass
class RunBundle:
    """Everything one run writes: plain DataFrames and lists, produced by the pipeline."""

    entities: list = field(default_factory=list)
    facts: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: list = field(default_factory=list)
    results: pd.DataFrame = field(default_factory=pd.DataFrame)
    scorecards: list = field(default_factory=list)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: list = field(default_factory=list)
    organisation: list[dict] = field(default_factory=list)
    pagerduty_url: str = ""
    pagerduty_collected_at: str = ""
    pagerduty_requests: dict = field(default_factory=dict)


def bulk_insert(connection, table, frame: pd.DataFrame) -> None:
    """Many rows at once: COPY on PostgreSQL, the driver's executemany elsewhere. Missing values are NULL."""
    if not len(frame):
        return
    columns = [c.name for c in table.columns if c.name in frame.columns]
    values = frame[columns].astype(object)
    rows = list(values.where(values.notna(), None).itertuples(index=False, name=None))
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marker = {"qmark": "?", "numeric": ":1"}.get(connection.dialect.paramstyle, "%s")
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    connection.exec_driver_sql(statement, rows)


class Store:
    def __init__(self, url: str):
        self.url = url
        try:
            self.engine: Engine = create_engine(url, poolclass=NullPool)
        except (ArgumentError, ValueError) as error:
            raise StoreError(f"database URL {mask_password(url)} is not valid: {error}; "
                             "expected e.g. sqlite:///insights.db or postgresql+psycopg://user@host/db") from error
        except ImportError as error:
            raise StoreError(f"database URL {mask_password(url)} needs a driver that is not installed ({error.name}); "
                             "for PostgreSQL: pip install 'insights-scorecards[postgres]'; for MySQL/MariaDB: "
                             "pip install 'insights-scorecards[mysql]'") from error

    @property
    def safe_url(self) -> str:
        return mask_password(self.url)

    def _fail(self, action: str, error: Exception) -> StoreError:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        hint = "; free space where the database keeps its files and run again" if FULL.search(reason) else ""
        return StoreError(f"database {mask_password(self.url)}: cannot {action}: {mask_password(reason)}{hint}")

    # --- schema -------------------------------------------------------------------------------------
    def _alembic(self, connection) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", "insights.store:migrations")
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> str:
        try:
            with self.engine.begin() as connection:
                command.upgrade(self._alembic(connection), "head")
                return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as error:
            raise self._fail("apply migrations", error) from error

    def schema_state(self) -> tuple[str | None, str]:
        """(revision of the database, revision this version of the tool expects)."""
        head = ScriptDirectory.from_config(self._alembic(None)).get_current_head()
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision(), head
        except SQLAlchemyError as error:
            raise self._fail("connect", error) from error

    def ensure_schema(self) -> None:
        """An empty database is set up; one of another schema version is refused with the way out."""
        current, head = self.schema_state()
        if current == head:
            return
        if current is None:
            with self.engine.connect() as connection:
                existing = inspect(connection).get_table_names()
            if not existing:
                self.upgrade()
                return
            raise StoreError(f"database {mask_password(self.url)} has tables but no insights schema version; "
                             "point --db at an empty database or one made by insights")
        known = {s.revision for s in ScriptDirectory.from_config(self._alembic(None)).walk_revisions()}
        if current not in known:
            raise StoreError(f"database {mask_password(self.url)} was written by a newer version of insights "
                             f"(schema {current}); upgrade insights to read or write it")
        raise StoreError(f"database {mask_password(self.url)} has an older schema ({current}, this version needs "
                         f"{head}); run `insights db upgrade --db URL` first")

    # --- writing ------------------------------------------------------------------------------------
    def begin_run(self, *, config_hash: str, sources: list[str]) -> int:
        try:
            with self.engine.begin() as connection:
                result = connection.execute(insert(t.runs).values(
                    started_at=datetime.now(timezone.utc), status="running", tool_version=__version__,
                    config_hash=config_hash, sources=_json(sources)))
                return result.inserted_primary_key[0]
        except SQLAlchemyError as error:
            raise self._fail("record the run", error) from error

    def fail_run(self, run_id: int, error: str) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(update(t.runs).where(t.runs.c.id == run_id).values(
                    status="failed", finished_at=datetime.now(timezone.utc), error=error[:4000]))
        except SQLAlchemyError:
            pass  # the database itself is what failed; the original error is what the user needs

    def save_run(self, run_id: int, bundle: RunBundle) -> None:
        previous = self.latest_run_id(before=run_id)
        try:
            with self.engine.begin() as connection:
                for table, rows in self._rows(run_id, bundle):
                    if table.name in DELTA_TABLES:
                        _, keys, values = DELTA_TABLES[table.name]
                        before = as_of(connection, table.name, previous) if previous else None
                        rows = changed(rows, before, keys, values).assign(run_id=run_id)
                        bulk_insert(connection, table, rows.sort_values(keys, kind="stable"))  # index order
                    elif rows:
                        connection.execute(insert(table), rows)
                connection.execute(update(t.runs).where(t.runs.c.id == run_id).values(
                    status="succeeded", finished_at=datetime.now(timezone.utc), entity_count=len(bundle.entities),
                    pagerduty_url=bundle.pagerduty_url, pagerduty_collected_at=bundle.pagerduty_collected_at,
                    pagerduty_requests=_json(bundle.pagerduty_requests), fact_ids=_json(list(bundle.facts.columns))))
        except SQLAlchemyError as error:
            failure = self._fail("store the run", error)
            self.fail_run(run_id, str(failure))
            raise failure from error

    @staticmethod
    def _rows(run_id: int, bundle: RunBundle):
        entity_columns = [c.name for c in t.entities.columns if c.name != "run_id"]
        yield t.entities, [{"run_id": run_id, **{c: getattr(e, c) for c in entity_columns}}
                           for e in {e.ref: e for e in bundle.entities}.values()]
        facts = bundle.facts
        yield t.fact_values, pd.DataFrame({
            "entity_ref": np.tile(facts.index.to_numpy(dtype=object), len(facts.columns)),
            "fact_id": np.repeat(np.array(facts.columns, dtype=object), len(facts)),
            "value": np.concatenate([map_distinct(facts[fact], _json) for fact in facts.columns])
            if len(facts.columns) else np.array([], dtype=object)})
        yield t.checks, [{"run_id": run_id, "check_id": c.id, "name": c.name, "description": c.description,
                          "weight": c.weight, "defined_at": c.where} for c in bundle.checks]
        yield t.check_results, bundle.results[["entity_ref", "check_id", "outcome", "reason", "fix"]]
        yield t.scorecards, [{"run_id": run_id, "scorecard_id": s.id, "name": s.name,
                              "levels": _json([{"name": l.name, "checks": list(l.checks)} for l in s.levels])}
                             for s in bundle.scorecards]
        yield t.scorecard_results, bundle.scores.astype(object).where(bundle.scores.notna(), None)
        yield t.findings, [{"run_id": run_id, "code": f.code, "severity": f.severity, "message": f.message,
                            "source": f.source, "path": f.path, "line": f.line, "entity_ref": f.entity_ref}
                           for f in bundle.findings]
        yield t.organisation_results, [{"run_id": run_id, "kind": o["kind"], "service_id": o["service_id"],
                                        "service_name": o.get("service_name"), "detail": _json(o.get("detail"))}
                                       for o in bundle.organisation]

    # --- reading ------------------------------------------------------------------------------------
    def _read(self, query, **kwargs) -> pd.DataFrame:
        try:
            with self.engine.connect() as connection:
                return pd.read_sql(query, connection, **kwargs)
        except (SQLAlchemyError, OperationalError) as error:
            raise self._fail("read", error) from error

    def runs(self, status: str | None = None, limit: int = 50) -> pd.DataFrame:
        query = select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)
        if status:
            query = query.where(t.runs.c.status == status)
        return self._read(query)

    def latest_run_id(self, before: int | None = None) -> int | None:
        query = select(t.runs.c.id).where(t.runs.c.status == "succeeded").order_by(t.runs.c.id.desc()).limit(1)
        if before is not None:
            query = query.where(t.runs.c.id < before)
        frame = self._read(query)
        return int(frame.iloc[0, 0]) if len(frame) else None

    def run(self, run_id: int) -> dict:
        frame = self._read(select(t.runs).where(t.runs.c.id == run_id))
        if not len(frame):
            raise StoreError(f"database {mask_password(self.url)} has no run {run_id}; `insights history` lists runs")
        return frame.iloc[0].to_dict()

    def table(self, table, run_id: int) -> pd.DataFrame:
        """One table's rows for a run (the full picture "as of" the run), without the run_id column."""
        return self.table_for_runs(table, [run_id]).drop(columns=["run_id"])

    def facts(self, run_id: int) -> pd.DataFrame:
        long = self.table(t.fact_values, run_id)
        if not len(long):
            return pd.DataFrame()
        long["value"] = pd.Series([json.loads(v) if isinstance(v, str) else None for v in long["value"]],
                                  index=long.index, dtype=object)
        wide = long.pivot(index="entity_ref", columns="fact_id", values="value").astype(object)
        return wide.where(wide.notna(), None)  # SQL NULL, the unknown value, reads back as None

    def table_for_runs(self, table, run_ids: list[int]) -> pd.DataFrame:
        """One table's rows for several runs (each run's full picture), with a run_id column."""
        if not run_ids:
            return pd.DataFrame(columns=[c.name for c in table.columns])
        if table.name in DELTA_TABLES:
            try:
                with self.engine.connect() as connection:
                    return as_of_runs(connection, table.name, run_ids)
            except SQLAlchemyError as error:
                raise self._fail("read", error) from error
        return self._read(select(table).where(table.c.run_id.in_(run_ids)))
