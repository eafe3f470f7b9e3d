"""The only module that opens database sessions. Runs are written atomically, by one writer at a time.

A run is first recorded as `running` in a transaction of its own; all of its results are then written
in one transaction that also marks it `succeeded`, so readers see all of a run or none of it. A run that
fails is marked `failed` with its error, and the latest succeeded run stays the latest. Every write goes
through the run lock (`insights.store.lock`): on the lock's own session, only while the lock is held,
and a run's final status only while the run is still its process's.
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pandas as pd
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, inspect, make_url, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from insights import __version__
from insights.errors import NotInStore, StoreError
from insights.frames import map_distinct
from insights.store import maintenance
from insights.store import tables as t
from insights.store.coding import Codes
from insights.store.delta import DELTA_TABLES, as_of_runs, before_run, changed, store_changes
from insights.store.lock import LockTiming, RunLock, database_now, reason_of, sqlite_file
from insights.store.owners import new_owner
from insights.store.rows import as_json, clean_text, run_rows

FULL = re.compile(r"disk is full|no space left|could not extend file|table .* is full", re.IGNORECASE)
SQLITE_BUSY_SECONDS = 30  # a writer waits this long for readers (a report being rendered) to let go


def mask_password(url: str) -> str:
    """A database URL as shown to people: the user stays, the password does not."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _missing_database(error: Exception) -> bool:
    """MySQL's 'Unknown database'; PostgreSQL's invalid_catalog_name, which libpq reports at connect only
    as text."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "args", None) and orig.args[0] == 1049:
        return True
    return getattr(orig, "sqlstate", None) == "3D000" or bool(re.search(r'FATAL: +database ".*" does not exist',
                                                                        str(orig)))


class Store:
    def __init__(self, url: str, timing: LockTiming = LockTiming()):
        self.url = url
        self.timing = timing
        self.owner = new_owner()  # this process, as the runs it writes name it
        self._lock: RunLock | None = None
        try:
            sqlite = make_url(url).get_backend_name() == "sqlite"
            self.engine: Engine = create_engine(url, poolclass=NullPool,
                                                connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
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
        reason = reason_of(error)
        hint = "; free space where the database keeps its files and run again" if FULL.search(reason) else ""
        return StoreError(f"database {self.safe_url}: cannot {action}: {mask_password(reason)}{hint}")

    @contextmanager
    def writing(self):
        """Hold the run lock for what runs inside (re-entrant). A write made outside takes it for itself."""
        if self._lock:
            yield self._lock
            return
        lock = RunLock(self.engine, self.safe_url, self.owner, self.timing)
        try:
            lock.acquire()
        except StoreError as error:
            if _missing_database(error.__cause__):
                raise self._no_database() from error
            raise
        self._lock = lock
        try:
            yield lock
        finally:
            self._lock = None
            lock.release()

    # --- schema -------------------------------------------------------------------------------------
    def _alembic(self, connection) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", "insights.store:migrations")
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> str:
        with self.writing() as lock:
            try:
                with lock.transaction() as connection:
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
            if _missing_database(error):
                raise self._no_database() from error
            raise self._fail("connect", error) from error

    def _no_database(self) -> NotInStore:
        return NotInStore(f"database {self.safe_url} does not exist; create it, or point --db at the database "
                          "your runs use")

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
            raise StoreError(f"database {self.safe_url} has tables but no insights schema version; "
                             "point --db at an empty database or one made by insights")
        self._refuse(current, head)

    def _refuse(self, current: str, head: str):
        known = {s.revision for s in ScriptDirectory.from_config(self._alembic(None)).walk_revisions()}
        if current not in known:
            raise StoreError(f"database {self.safe_url} was written by a newer version of insights "
                             f"(schema {current}); upgrade insights to read or write it")
        raise StoreError(f"database {self.safe_url} has an older schema ({current}, this version needs "
                         f"{head}); run `insights db upgrade --db URL` first")

    def require_runs(self) -> None:
        """For commands that only read: the database exists, has this schema and holds a successful run.
        Nothing is created on the way (SQLite makes an empty file for whoever connects)."""
        path = sqlite_file(self.engine)
        if path and not os.path.exists(path):
            raise NotInStore(f"no insights database at {path}; `insights run` creates it, or point --db at the "
                             "database your runs use")
        current, head = self.schema_state()
        if current is None:
            raise NotInStore(f"database {self.safe_url} holds no insights runs; `insights run` stores the first "
                             "one, or point --db at the database your runs use")
        if current != head:
            self._refuse(current, head)
        if self.latest_run_id() is None:
            raise NotInStore(f"database {self.safe_url} holds no successful run yet; `insights run` stores one")

    def readable_run(self, run_id: int | None = None) -> int:
        """The run a reading command shows: `run_id`, or the latest successful run."""
        self.require_runs()
        if run_id is None:
            return self.latest_run_id()
        run = self.run(run_id)
        if run["status"] != "succeeded":
            raise NotInStore(f"run {run_id} {run['status']}: {run.get('error') or 'no results'}; pick another --run "
                             f"({self._succeeded_runs()})")
        return run_id

    # --- writing: each under the run lock -----------------------------------------------------------
    def begin_run(self, *, config_hash: str, sources: list[str]) -> int:
        with self.writing() as lock:
            try:
                with lock.transaction() as connection:
                    run_id = connection.execute(insert(t.runs).values(
                        started_at=datetime.now(timezone.utc), status="running", tool_version=__version__,
                        config_hash=config_hash, sources=as_json(sources), owner=self.owner,
                        heartbeat_at=database_now(connection.dialect.name))).inserted_primary_key[0]
            except SQLAlchemyError as error:
                raise self._fail("record the run", error) from error
            lock.watch(run_id)
            return run_id

    def fail_run(self, run_id: int, error: str) -> None:
        """Record a run's failure, if this process still holds the lock and the run; else store nothing."""
        try:
            with self.writing() as lock, lock.transaction() as connection:
                connection.execute(self._finish(run_id).values(
                    status="failed", finished_at=datetime.now(timezone.utc), error=clean_text(error[:4000])))
        except (StoreError, SQLAlchemyError):
            pass  # the database or the lock is what failed; the original error is what the user needs

    def _finish(self, run_id: int):
        """The compare-and-set that ends a run: only a run still running, and still this process's."""
        runs = t.runs.c
        return update(t.runs).where(runs.id == run_id, runs.status == "running", runs.owner == self.owner)

    def save_run(self, run_id: int, bundle, stages: dict | None = None) -> None:
        """Write a run's results (a RunBundle) and mark it succeeded, in one transaction. `stages`: wall seconds
        of the stages before, stored with this one's as `runs.stages`."""
        started = time.monotonic()
        with self.writing() as lock:
            previous = self.latest_run_id(before=run_id)
            try:
                with lock.transaction() as connection:
                    codes = Codes(connection)
                    for table, rows in run_rows(run_id, bundle):
                        if table.name in DELTA_TABLES:
                            _, keys, values = DELTA_TABLES[table.name]
                            before, newest = before_run(connection, table.name, previous, codes)
                            rows = changed(rows, before, keys, values, newest).assign(run_id=run_id)
                            store_changes(connection, table.name, rows, codes)
                        elif rows:
                            connection.execute(insert(table), rows)
                    finished = connection.execute(self._finish(run_id).values(
                        status="succeeded", finished_at=datetime.now(timezone.utc), entity_count=len(bundle.entities),
                        pagerduty_url=bundle.pagerduty_url, pagerduty_collected_at=bundle.pagerduty_collected_at,
                        pagerduty_requests=as_json(bundle.pagerduty_requests),
                        pagerduty_accounts=as_json(bundle.pagerduty_accounts),
                        fact_ids=as_json(list(bundle.facts.columns)),
                        stages=as_json({**(stages or {}), "store": round(time.monotonic() - started, 3)})))
                    if finished.rowcount != 1:
                        raise StoreError(f"database {self.safe_url}: run {run_id} is no longer this process's to "
                                         "finish (another run marked it); nothing of it was stored")
            except SQLAlchemyError as error:
                failure = self._fail("store the run", error)
                self.fail_run(run_id, str(failure))
                raise failure from error

    def record_stages(self, run_id: int, stages: dict) -> None:
        """Replace a run's stage timings (`runs.stages`), e.g. once its reports are written."""
        try:
            with self.writing() as lock, lock.transaction() as connection:
                connection.execute(update(t.runs).where(t.runs.c.id == run_id).values(stages=as_json(stages)))
        except SQLAlchemyError as error:
            raise self._fail("record the run's stages", error) from error

    def fail_interrupted_runs(self) -> int:
        """Mark `failed` ("interrupted") the runs left `running` by a process that is gone."""
        with self.writing() as lock:
            try:
                with lock.transaction() as connection:
                    return maintenance.fail_abandoned_runs(connection, self.owner, self.timing.stale_after)
            except SQLAlchemyError as error:
                raise self._fail("mark interrupted runs", error) from error

    def apply_retention(self, keep_runs: int | None = None, keep_days: int | None = None) -> list[int]:
        """Delete the runs older than the oldest one kept (see `maintenance.delete_runs_before`)."""
        maintenance.check_retention(keep_runs, keep_days)
        if not keep_runs and not keep_days:
            return []
        with self.writing() as lock:
            oldest = maintenance.oldest_kept(self.runs(status="succeeded", limit=100_000), keep_runs, keep_days)
            if oldest is None:
                return []
            try:
                with lock.transaction() as connection:
                    return maintenance.delete_runs_before(connection, oldest)
            except SQLAlchemyError as error:
                raise self._fail("apply retention", error) from error

    # --- reading ------------------------------------------------------------------------------------
    def _read(self, query, **kwargs) -> pd.DataFrame:
        try:
            with self.engine.connect() as connection:
                return pd.read_sql(query, connection, **kwargs)
        except SQLAlchemyError as error:
            raise self._fail("read", error) from error

    def runs(self, status: str | None = None, limit: int = 50) -> pd.DataFrame:
        query = select(*t.RUN_COLUMNS).order_by(t.runs.c.id.desc()).limit(limit)
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
        frame = self._read(select(*t.RUN_COLUMNS).where(t.runs.c.id == run_id))
        if not len(frame):
            raise NotInStore(f"database {self.safe_url} has no run {run_id}; {self._succeeded_runs()}")
        return frame.iloc[0].to_dict()

    def _succeeded_runs(self, shown: int = 5) -> str:
        """Which runs a reading command can show, for an error naming one it cannot."""
        ids = [str(int(i)) for i in self.runs(status="succeeded", limit=shown)["id"]]
        return f"the latest successful runs are {', '.join(ids)}" if ids else "it holds no successful run yet"

    def table(self, table, run_id: int) -> pd.DataFrame:
        """One table's rows for a run (the full picture "as of" the run), without the run_id column."""
        return self.table_for_runs(table, [run_id]).drop(columns=["run_id"])

    def facts(self, run_id: int) -> pd.DataFrame:
        """The run's fact table: one row per entity, one column per fact the run computed, sorted; a value
        with no row (see `delta.changed`) or a SQL NULL is unknown and reads back as None."""
        fact_ids = self.run(run_id).get("fact_ids")
        long, entities = self.tables_for_runs([t.fact_values, t.entities], [run_id])
        fact_ids = sorted(json.loads(fact_ids) if fact_ids else set(long["fact_id"]))
        if not len(entities) or not fact_ids:
            return pd.DataFrame()
        values = map_distinct(long["value"], lambda v: json.loads(v) if isinstance(v, str) else None)
        wide = pd.DataFrame({"entity_ref": long["entity_ref"], "fact_id": long["fact_id"], "value": values}).pivot(
            index="entity_ref", columns="fact_id", values="value") if len(long) else pd.DataFrame()
        wide = wide.reindex(index=sorted(set(entities["ref"])), columns=fact_ids).astype(object)
        wide = wide.rename_axis(index="entity_ref", columns="fact_id")
        return wide.where(wide.notna(), None)

    def table_for_runs(self, table, run_ids: list[int]) -> pd.DataFrame:
        """One table's rows for several runs (each run's full picture), with a run_id column."""
        return self.tables_for_runs([table], run_ids)[0]

    def tables_for_runs(self, tables: list, run_ids: list[int]) -> list[pd.DataFrame]:
        """Each table's rows for several runs, as `table_for_runs`; the names and texts dictionaries are read
        once for all of them."""
        if not run_ids:
            return [pd.DataFrame(columns=[c.name for c in table.columns]) for table in tables]
        if not any(table.name in DELTA_TABLES for table in tables):
            return [self._read(select(table).where(table.c.run_id.in_(run_ids))) for table in tables]
        try:
            with self.engine.connect() as connection:
                codes = Codes(connection)
                return [as_of_runs(connection, table.name, run_ids, codes) if table.name in DELTA_TABLES
                        else self._read(select(table).where(table.c.run_id.in_(run_ids))) for table in tables]
        except SQLAlchemyError as error:
            raise self._fail("read", error) from error
