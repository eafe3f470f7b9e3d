"""Runs whose owner is gone, and retention that keeps history readable. `Store` calls these on the run
lock's own session, inside a transaction that holds the lock; nothing here opens a connection."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import and_, bindparam, delete, select, update

from insights.errors import ConfigError
from insights.store import tables as t
from insights.store.delta import DELTA_TABLES, unread_before
from insights.store.lock import database_now
from insights.store.owners import describe, owner_gone


def fail_abandoned_runs(connection, me: str, stale_after: float) -> int:
    """Mark `failed` the runs still `running` whose owner is really gone (see `store.lock`)."""
    runs = t.runs.c
    now = connection.execute(select(database_now(connection.dialect.name))).scalar()
    running = connection.execute(select(runs.id, runs.owner, runs.heartbeat_at).where(runs.status == "running")).all()
    gone = [run for run in running if run.owner != me and owner_gone(run.owner, run.heartbeat_at, now, stale_after)]
    for run in gone:
        same_owner = runs.owner.is_(None) if run.owner is None else runs.owner == run.owner
        connection.execute(update(t.runs).where(runs.id == run.id, runs.status == "running", same_owner).values(
            status="failed", finished_at=datetime.now(timezone.utc),
            error=f"interrupted: its process ({describe(run.owner)}) stopped before the run finished "
                  "(found by the next run)"))
    return len(gone)


def check_retention(keep_runs: int | None, keep_days: int | None) -> None:
    """Retention keeps at least one run and one day: anything lower is a mistake, never "delete all"."""
    for name, value in (("keep_runs", keep_runs), ("keep_days", keep_days)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ConfigError(f"store.{name} must be a whole number of 1 or more, not {value!r} (leave it out to "
                              "keep every run)")


def oldest_kept(succeeded: pd.DataFrame, keep_runs: int | None, keep_days: int | None) -> int | None:
    """The id of the oldest succeeded run retention keeps (runs are newest first); None: nothing to do."""
    kept = succeeded
    if keep_runs:
        kept = kept.head(keep_runs)
    if keep_days:
        cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)
        started = pd.to_datetime(kept["started_at"], utc=True)
        kept = kept[started >= cutoff] if (started >= cutoff).any() else kept.head(1)
    return int(kept["id"].min()) if len(kept) else None


def delete_runs_before(connection, oldest: int) -> list[int]:
    """Delete finished runs older than `oldest`. Rows those runs wrote stay where a kept run still reads them
    (the value did not change since); the rest of their rows go. A run still `running` is left to the
    interrupted-run check."""
    doomed = [int(i) for i in connection.execute(
        select(t.runs.c.id).where(t.runs.c.id < oldest, t.runs.c.status != "running")).scalars()]
    if not doomed:
        return []
    for name, (table, _, _) in DELTA_TABLES.items():
        unread = unread_before(connection, name, oldest)
        if len(unread):
            columns = list(unread.columns)  # run_id and the keys, as stored
            match = and_(*(table.c[c] == bindparam(f"_{c}") for c in columns))
            connection.execute(delete(table).where(match),
                               unread[columns].rename(columns=lambda c: f"_{c}").to_dict("records"))
    for table in (t.findings, t.entities, t.checks, t.scorecards, t.organisation_results):
        connection.execute(delete(table).where(table.c.run_id.in_(doomed)))
    connection.execute(delete(t.runs).where(t.runs.c.id.in_(doomed)))
    return doomed
