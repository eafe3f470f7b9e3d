"""One writer at a time, runs interrupted by a dead process, and retention that keeps history readable."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import and_, bindparam, delete, select, text, update

from insights.errors import StoreError
from insights.store import tables as t
from insights.store.delta import DELTA_TABLES, unread_before

LOCK_KEY = 0x696E73  # "ins": the PostgreSQL advisory lock of insights runs
BUSY = "another insights run is writing to database {url}; wait for it to finish (runs never interleave)"


@contextmanager
def run_lock(store):
    """Held for a whole run. Released by the operating system or the server if the process dies."""
    dialect = store.engine.dialect.name
    if dialect == "sqlite" and store.engine.url.database not in (None, "", ":memory:"):
        path = store.engine.url.database.removeprefix("file:").split("?")[0]
        with open(f"{path}.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise StoreError(BUSY.format(url=store.safe_url)) from error
            yield
        return
    if dialect in ("postgresql", "mysql", "mariadb"):
        take, release = (("SELECT pg_try_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)") if dialect ==
                         "postgresql" else ("SELECT GET_LOCK('insights-run', 0)", "SELECT RELEASE_LOCK('insights-run')"))
        with store.engine.connect() as connection:
            if not connection.execute(text(take), {"key": LOCK_KEY}).scalar():
                raise StoreError(BUSY.format(url=store.safe_url))
            try:
                yield
            finally:
                connection.execute(text(release), {"key": LOCK_KEY})
        return
    yield


def fail_interrupted_runs(store) -> int:
    """Runs still `running` when a new run holds the lock belong to a process that died (killed, power cut)."""
    with store.engine.begin() as connection:
        return connection.execute(update(t.runs).where(t.runs.c.status == "running").values(
            status="failed", finished_at=datetime.now(timezone.utc),
            error="interrupted: the process stopped before the run finished (found by the next run)"
        )).rowcount


def apply_retention(store, keep_runs: int | None = None, keep_days: int | None = None) -> list[int]:
    """Delete runs older than the oldest one kept. Rows those runs wrote stay where a kept run still reads
    them (the value did not change since); the rest of their rows go."""
    if not keep_runs and not keep_days:
        return []
    succeeded = store.runs(status="succeeded", limit=100_000)
    kept = succeeded
    if keep_runs:
        kept = kept.head(keep_runs)
    if keep_days:
        cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)
        started = pd.to_datetime(kept["started_at"], utc=True)
        kept = kept[started >= cutoff] if (started >= cutoff).any() else kept.head(1)
    if not len(kept):
        return []
    oldest = int(kept["id"].min())
    with store.engine.begin() as connection:
        doomed = [int(i) for i in connection.execute(select(t.runs.c.id).where(t.runs.c.id < oldest)).scalars()]
        if not doomed:
            return []
        for name, (table, keys, _) in DELTA_TABLES.items():
            unread = unread_before(connection, name, oldest)
            if len(unread):
                columns = ["run_id"] + keys
                match = and_(*(table.c[c] == bindparam(f"_{c}") for c in columns))
                connection.execute(delete(table).where(match),
                                   unread[columns].rename(columns=lambda c: f"_{c}").to_dict("records"))
        for table in (t.findings, t.entities, t.checks, t.scorecards, t.organisation_results):
            connection.execute(delete(table).where(table.c.run_id.in_(doomed)))
        connection.execute(delete(t.runs).where(t.runs.c.id.in_(doomed)))
    return doomed
