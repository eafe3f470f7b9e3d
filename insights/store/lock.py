"""The run lock: two runs on one store never interleave, on any engine, whatever happens to a connection.

The lock lives on the connection that commits
---------------------------------------------
A run takes the store's lock on a database session of its own and keeps that session for its whole
life. Everything the run writes (its `running` row, its results and final status, interrupted runs,
retention) is written in a transaction on that same session, and every such transaction asks, at its
start and again just before COMMIT, whether this very session holds the lock (for SQLite, whose lock is a
file: whether the lock file is still the one locked). A server releases a session's lock only when the
session ends, and a session that ends takes its open transaction with it: a write commits while the lock
is held, or not at all. There is no window between "check" and "commit" for another run to slip into.

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`). Advisory locks belong to one database,
  so runs on other databases of the same server go on. Between writes the session is idle *outside* a
  transaction, so `idle_in_transaction_session_timeout` does not end it.
- MariaDB/MySQL: `GET_LOCK` on `insights-run-<md5 of the database name>`: `GET_LOCK` names are
  server-wide, so the name carries the database.
- SQLite: `flock` on `<real path of the database>.lock`. The real path: a symlinked folder or file
  reaches the same lock. The check is that this path still names the very file locked. The file is removed
  (while still locked) when the run ends, so nothing is left beside the database; a run that locked the
  removed file meanwhile sees that the path no longer names it and locks the new one.

A run whose session ends (terminated, timed out, cut) has lost the lock: its next write finds the lock
gone or the connection dead, nothing of it commits, and it stops with exit 3, storing nothing more. A
background thread pings the session every `heartbeat` seconds, which keeps idle-session timeouts
(`idle_session_timeout`, `wait_timeout`, proxies) away and notices a lost lock early, so that the run
stops at its next stage instead of after collecting for an hour.

Owners, heartbeats and "interrupted": see `insights.store.owners`.

Why not a lease alone: a lease expires by the clock, so a slow store that outlives it would have to be
refused at commit, and every write would depend on clocks agreeing. A session lock has no expiry (a
slow store keeps it) and a dead process loses it at once; heartbeats here decide only who is gone,
never who may write.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from insights.errors import StoreError
from insights.store import tables as t
from insights.store.owners import describe

log = logging.getLogger(__name__)

BUSY = "another insights run is writing to database {url}{holder}; wait for it to finish (runs never interleave)"
LOST = ("this run lost its lock on database {url} ({reason}); it stops here and stores nothing more. Another "
        "run may have started meanwhile: run again once it is over")


@dataclass(frozen=True)
class LockTiming:
    heartbeat: float = 10.0  # seconds between pings of the lock's session (and beats on the run's row)
    stale_after: float = 60.0  # an owner elsewhere that has not beaten for this long is gone


def database_now(dialect: str):
    """The database's own clock, in UTC."""
    if dialect in ("mysql", "mariadb"):
        return func.utc_timestamp()
    return func.now() if dialect == "postgresql" else func.current_timestamp()


def reason_of(error: Exception) -> str:
    message = str(getattr(error, "orig", None) or error).strip()
    return message.splitlines()[0] if message else type(error).__name__


# --- the engines' locks ---------------------------------------------------------------------------

class _Postgres:
    KEY = 0x696E73  # "ins"; advisory locks are per database
    beats = True
    gone = "the database ended the session holding it"
    short_wait = "SET LOCAL lock_timeout = '1s'"

    def take(self, engine):
        return _session_lock(engine, text("SELECT pg_try_advisory_lock(:key)"), {"key": self.KEY})

    def holds(self, connection) -> bool:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted "
            "AND classid = 0 AND objid = :key AND objsubid = 1"), {"key": self.KEY}).scalar())

    def release(self, connection) -> None:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.KEY})

    def close(self) -> None:
        pass


class _MySQL:
    NAME = "CONCAT('insights-run-', MD5(DATABASE()))"  # GET_LOCK names are server-wide; 45 characters
    beats = True
    gone = "the database ended the session holding it"
    short_wait = "SET SESSION innodb_lock_wait_timeout = 1"

    def take(self, engine):
        return _session_lock(engine, text(f"SELECT GET_LOCK({self.NAME}, 0)"), {})

    def holds(self, connection) -> bool:
        return bool(connection.execute(text(f"SELECT IS_USED_LOCK({self.NAME}) = CONNECTION_ID()")).scalar())

    def release(self, connection) -> None:
        connection.execute(text(f"SELECT RELEASE_LOCK({self.NAME})"))

    def close(self) -> None:
        pass


def _session_lock(engine, statement, parameters):
    """A connection holding the lock, or None when another session holds it."""
    connection = engine.connect()
    try:
        with connection.begin():
            taken = connection.execute(statement, parameters).scalar()
    except BaseException:
        connection.close()
        raise
    if not taken:
        connection.close()
        return None
    return connection


class _SQLiteFile:
    beats = False
    gone = "its lock file was removed or replaced"
    short_wait = "PRAGMA busy_timeout = 1000"

    def __init__(self, database: str, safe_url: str):
        self.path = os.path.realpath(database) + ".lock"
        self.safe_url = safe_url
        self.handle = None

    def take(self, engine):
        for _ in range(5):
            handle = self._locked()
            if handle is None:
                return None
            if self._same_file(handle):
                break
            handle.close()  # a run that just ended removed the file we locked: lock the one there now
        else:
            raise StoreError(f"database {self.safe_url}: its lock file {self.path} keeps being replaced; "
                             "another program is removing it")
        self.handle = handle
        try:
            return engine.connect()
        except BaseException:
            self.close()
            raise

    def _locked(self):
        """The lock file, opened and locked; None when another run holds it."""
        try:
            handle = open(self.path, "a")
        except OSError as error:
            raise StoreError(f"database {self.safe_url}: cannot open its lock file {self.path}: {error.strerror}; "
                             "insights writes its lock and journal beside the database, so its folder must be "
                             "writable") from error
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        except OSError as error:
            handle.close()
            raise StoreError(f"database {self.safe_url}: cannot lock {self.path}: {error.strerror}") from error
        return handle

    def _same_file(self, handle) -> bool:
        try:
            named, locked = os.stat(self.path), os.fstat(handle.fileno())
        except (OSError, ValueError):
            return False
        return (named.st_dev, named.st_ino) == (locked.st_dev, locked.st_ino)

    def holds(self, connection) -> bool:
        return self._same_file(self.handle)

    def release(self, connection) -> None:
        pass  # the lock goes with the file handle, in close()

    def close(self) -> None:
        """The lock file is removed while still locked, so nothing is left beside the database; a run that
        opened it meanwhile finds its lock on a removed file and takes the new one (see `take`)."""
        if self.handle:
            if self._same_file(self.handle):
                try:
                    os.unlink(self.path)
                except OSError:
                    pass  # a read-only folder keeps it; the next run locks the same file
            self.handle.close()
            self.handle = None


class _Unshared:
    """An in-memory SQLite database: no other process can reach it."""

    beats = False
    gone = ""
    short_wait = "SELECT 1"

    def take(self, engine):
        return engine.connect()

    def holds(self, connection) -> bool:
        return True

    def release(self, connection) -> None:
        pass

    def close(self) -> None:
        pass


def sqlite_file(engine) -> str | None:
    """The file of a SQLite database (None for another engine or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    database = (engine.url.database or "").removeprefix("file:").split("?")[0]
    return database if database not in ("", ":memory:") else None


def _kind(engine, safe_url: str):
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return _Postgres()
    if dialect in ("mysql", "mariadb"):
        return _MySQL()
    if dialect == "sqlite":
        database = sqlite_file(engine)
        return _SQLiteFile(database, safe_url) if database else _Unshared()
    raise StoreError(f"database {safe_url}: insights runs on SQLite, PostgreSQL and MariaDB/MySQL, not {dialect}")


# --- the lock a run holds -------------------------------------------------------------------------

class RunLock:
    """Held from `acquire` to `release`; writes go through `transaction`."""

    def __init__(self, engine, safe_url: str, owner: str, timing: LockTiming):
        self.engine, self.safe_url, self.owner, self.timing = engine, safe_url, owner, timing
        self.kind = _kind(engine, safe_url)
        self.connection = None
        self.lost: str | None = None  # why the lock was lost, once it is
        self.run_id: int | None = None  # the run whose row this process beats on
        self._mutex = threading.Lock()  # one user of the session at a time: the run or the heartbeat
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        try:
            self.connection = self.kind.take(self.engine)
        except SQLAlchemyError as error:
            raise StoreError(f"database {self.safe_url}: cannot take the run lock: {reason_of(error)}") from error
        if self.connection is None:
            raise StoreError(BUSY.format(url=self.safe_url, holder=self._holder()))
        self._thread = threading.Thread(target=self._beat, name="insights-run-lock", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        with self._mutex:
            try:
                with self.connection.begin():
                    self.kind.release(self.connection)
            except SQLAlchemyError:
                pass  # a session that is gone has released its lock with it
            finally:
                self.connection.close()
                self.kind.close()

    def ensure(self) -> None:
        """Stop here when the lock is known to be lost."""
        if self.lost:
            raise StoreError(LOST.format(url=self.safe_url, reason=self.lost))

    @contextmanager
    def transaction(self):
        """A transaction on the lock's own session, which commits only while the lock is held.
        Raises StoreError when the lock is lost; other database errors pass through."""
        with self._mutex:
            self.ensure()
            try:
                with self.connection.begin():
                    self._verify()
                    yield self.connection
                    self._verify()
            except SQLAlchemyError as error:
                if self.lost or not self._still_held():
                    self.lost = self.lost or f"the session holding it ended: {reason_of(error)}"
                    raise StoreError(LOST.format(url=self.safe_url, reason=self.lost)) from error
                raise

    def watch(self, run_id: int) -> None:
        self.run_id = run_id

    def _verify(self) -> None:
        if not self.kind.holds(self.connection):
            self.lost = self.lost or self.kind.gone
            raise StoreError(LOST.format(url=self.safe_url, reason=self.lost))

    def _still_held(self) -> bool:
        try:
            with self.connection.begin():
                return self.kind.holds(self.connection)
        except SQLAlchemyError:
            return False

    def _beat(self) -> None:
        while not self._stop.wait(self.timing.heartbeat):
            if not self._mutex.acquire(blocking=False):
                continue  # the run is writing: its session is busy, not idle
            try:
                if not self.lost and not self._still_held():
                    self.lost = self.kind.gone
                    log.warning("run lock on %s lost: %s", self.safe_url, self.lost)
                if self.run_id is not None and self.kind.beats:
                    self._mark_alive()
            finally:
                self._mutex.release()

    def _mark_alive(self) -> None:
        """On a fresh session, so that a process whose lock session was cut still shows it is alive."""
        runs = t.runs.c
        try:
            with self.engine.begin() as connection:
                connection.execute(text(self.kind.short_wait))
                connection.execute(update(t.runs).where(
                    runs.id == self.run_id, runs.owner == self.owner, runs.status == "running",
                ).values(heartbeat_at=database_now(self.engine.dialect.name)))
        except SQLAlchemyError as error:
            log.debug("heartbeat of run %s skipped: %s", self.run_id, reason_of(error))

    def _holder(self) -> str:
        """Who holds the lock, when its run row says so."""
        if isinstance(self.kind, _SQLiteFile) and not os.path.exists(self.kind.path.removesuffix(".lock")):
            return ""
        try:
            with self.engine.connect() as connection:
                row = connection.execute(select(t.runs.c.id, t.runs.c.owner).where(t.runs.c.status == "running")
                                         .order_by(t.runs.c.id.desc()).limit(1)).first()
        except SQLAlchemyError:
            return ""
        return f" (run {row.id}, {describe(row.owner)})" if row else ""
