"""What the run-lock tests do to a database from outside: find the session holding the lock, end it the
way an operator or a timeout does, and make databases that end idle sessions."""

from __future__ import annotations

import os
import time
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, make_url, text

from insights.store.lock import _MySQL, _Postgres


def engine_of(db_url: str) -> str:
    return db_url.split(":", 1)[0].split("+")[0]


def lock_session(db_url: str):
    """The server's id of the session holding the run lock of this database (None: nobody holds it)."""
    engine = create_engine(db_url)
    with engine.connect() as connection:
        if engine_of(db_url) == "postgresql":
            return connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"), {"key": _Postgres.KEY}).scalar()
        return connection.execute(text(f"SELECT IS_USED_LOCK({_MySQL.NAME})")).scalar()


def take_lock_away(db_url: str) -> None:
    """End the session holding the run lock (pg_terminate_backend, KILL CONNECTION), or, on SQLite, put a new
    lock file where the locked one was (someone cleaning up "stale" files)."""
    if engine_of(db_url) == "sqlite":
        database = make_url(db_url).database
        os.unlink(os.path.realpath(database) + ".lock")
        return
    session = lock_session(db_url)
    assert session, "nobody holds the lock"
    with create_engine(db_url, isolation_level="AUTOCOMMIT").connect() as connection:
        if engine_of(db_url) == "postgresql":
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": session}).scalar()
        else:
            connection.execute(text(f"KILL CONNECTION {int(session)}"))
    wait_for(lambda: lock_session(db_url) != session, "the lock's session to end")


def wait_for(condition, what: str, timeout: float = 60):
    """Poll a condition another process or thread brings about (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def with_idle_timeouts(db_url: str, in_transaction: int = 1, idle: int = 2) -> str:
    """The database ends a session idle in a transaction after `in_transaction` seconds, and any idle
    session after `idle` seconds, as managed databases are often set up. PostgreSQL: on the database;
    MariaDB (no per-database settings): on every session the URL opens."""
    if engine_of(db_url) == "postgresql":
        name = make_url(db_url).database
        with create_engine(db_url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = '
                                    f"'{in_transaction}s'"))
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET idle_session_timeout = '{idle}s'"))
        return db_url
    command = f"SET SESSION idle_transaction_timeout={in_transaction}, wait_timeout={idle}"
    return f"{db_url}&init_command={quote(command)}"


@pytest.fixture(params=["postgresql", "mariadb"])
def server_url(request):
    """A fresh database on each server engine (the lock there is a session's)."""
    return request.getfixturevalue({"postgresql": "postgres_url", "mariadb": "mariadb_url"}[request.param])


@pytest.fixture(scope="session")
def outside():
    """The helpers above, for the tests: `outside.take_lock_away(url)`, `outside.wait_for(...)`, ..."""
    from types import SimpleNamespace

    return SimpleNamespace(engine_of=engine_of, lock_session=lock_session, take_lock_away=take_lock_away,
                           wait_for=wait_for, with_idle_timeouts=with_idle_timeouts)
