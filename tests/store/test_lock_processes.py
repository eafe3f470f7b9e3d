"""The run lock between real processes (the installed `insights` command), on SQLite, PostgreSQL and
MariaDB. A run that must be caught at some point is held there (by the catalog stand-in, or by a lock the
test holds in the database) and the test waits for the run to get there: no sleeps, no race with a clock."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from insights.pagerduty.state import save_snapshot
from insights.store import Store
from insights.store import tables as t

SCRIPT = Path(sys.executable).parent / "insights"


@pytest.fixture()
def start(tmp_path, demo_state, held_catalog):
    """`start(db_url, name)`: an `insights run` process over the catalog stand-in, reports in tmp_path/name."""
    save_snapshot(demo_state, tmp_path / "snap.json")
    hidden = ("PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET", "INSIGHTS_DB_URL")
    env = {**{k: v for k, v in os.environ.items() if k not in hidden}, "BACKSTAGE_TOKEN": "stand-in"}

    def run(db_url: str, name: str) -> subprocess.Popen:
        return subprocess.Popen([str(SCRIPT), "run", "--catalog", held_catalog.source, "--pagerduty-snapshot",
                                 str(tmp_path / "snap.json"), "--db", db_url, "--out", str(tmp_path / name)],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return run


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def statuses(db_url: str) -> dict[int, str]:
    return {int(run.id): run.status for run in Store(db_url).runs().itertuples()}


def rows_of(db_url: str, run_id: int) -> int:
    with create_engine(db_url).connect() as connection:
        return sum(connection.execute(text(f"SELECT count(*) FROM {table.name} WHERE run_id = {run_id}")).scalar()
                   for table in (t.entities, t.fact_values, t.check_results, t.scorecard_results, t.findings))


def test_two_runs_racing_on_an_empty_database(db_url, start, held_catalog, outside):
    held_catalog.hold_next()  # whichever run gets the lock is held while crawling
    first, second = start(db_url, "a"), start(db_url, "b")
    loser = outside.wait_for(lambda: next((p for p in (first, second) if p.poll() is not None), None),
                             "one run to be refused")
    winner = second if loser is first else first
    code, stderr = finish(loser)
    assert code == 3, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: another insights run is writing to database {Store(db_url).safe_url}")
    assert last.endswith("; wait for it to finish (runs never interleave)")
    held_catalog.wait_arrived()
    held_catalog.let_go()
    assert finish(winner)[0] == 0
    assert statuses(db_url) == {1: "succeeded"}


def hold_the_end_of(db_url: str, tmp_path: Path, run_id: int):
    """A transaction of the test's own that lets the run write its rows but not finish: its final UPDATE
    (SQLite: its COMMIT) waits for the test. Returns (release, waiting): `waiting()` is true once the run is there."""
    engine = create_engine(db_url)
    if engine.dialect.name == "sqlite":
        path = tmp_path / "insights.db"
        # A reader in a process of its own (SQLite shares one process's locks between its connections, so a
        # probe from the process holding the reader's lock would not see the writer's).
        hold = ("import sqlite3, sys; reader = sqlite3.connect(sys.argv[1], isolation_level=None); "
                "reader.execute('BEGIN'); reader.execute('SELECT count(*) FROM runs').fetchone(); "
                "print('held', flush=True); sys.stdin.read()")
        reader = subprocess.Popen([sys.executable, "-c", hold, str(path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert reader.stdout.readline() == "held\n"

        def committing():  # the writer took the pending lock that comes before its commit: new readers wait
            try:
                sqlite3.connect(path, timeout=0).execute("SELECT count(*) FROM runs").fetchone()
            except sqlite3.OperationalError as error:
                return "locked" in str(error)
            return False

        def release():
            reader.stdin.close()
            reader.wait()
        return release, committing
    connection = engine.connect()
    lock = "FOR NO KEY UPDATE" if engine.dialect.name == "postgresql" else "LOCK IN SHARE MODE"
    connection.execute(text(f"SELECT id FROM runs WHERE id = {run_id} {lock}")).all()
    if engine.dialect.name == "postgresql":
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                   "wait_event_type = 'Lock' AND query LIKE 'UPDATE runs SET finished_at%'")
    else:  # (INNODB_TRX, a cache, may leave a waiting transaction out; the process list does not)
        waiting = ("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND = 'Query' "
                   "AND INFO LIKE 'UPDATE runs SET finished_at%' AND TIME_MS > 200")

    def at_the_end():
        with engine.connect() as probe:
            return bool(probe.execute(text(waiting)).scalar())
    return connection.close, at_the_end


def test_sigkill_while_storing_leaves_no_partial_run(db_url, tmp_path, start, held_catalog, outside):
    assert finish(start(db_url, "first"))[0] == 0
    before = Store(db_url).table(t.check_results, 1)
    held_catalog.hold_next()
    process = start(db_url, "killed")
    held_catalog.wait_arrived()  # run 2 holds the lock and is recorded `running`
    release, at_the_end = hold_the_end_of(db_url, tmp_path, 2)
    try:
        held_catalog.let_go()
        outside.wait_for(at_the_end, "run 2 to have written its rows and wait to finish")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        release()
    assert statuses(db_url) == {1: "succeeded", 2: "running"}
    assert rows_of(db_url, 2) == 0
    store = Store(db_url)
    assert store.latest_run_id() == 1 and store.table(t.check_results, 1).equals(before)
    code, stderr = finish(start(db_url, "next"))  # the next run finds run 2's process gone
    assert code == 0, stderr
    assert statuses(db_url) == {1: "succeeded", 2: "failed", 3: "succeeded"}
    assert store.run(2)["error"].startswith(f"interrupted: its process (host ")
    assert f"pid {process.pid})" in store.run(2)["error"]


def test_a_run_that_loses_its_lock_stops_with_exit_3_and_stores_nothing_more(db_url, tmp_path, start,
                                                                             held_catalog, outside):
    assert finish(start(db_url, "first"))[0] == 0
    held_catalog.hold_next()
    losing = start(db_url, "losing")
    held_catalog.wait_arrived()  # run 2 holds the lock and is crawling
    outside.take_lock_away(db_url)
    code, stderr = finish(start(db_url, "meanwhile"))  # the lock is free: run 3 goes ahead
    assert code == 0, stderr
    assert statuses(db_url) == {1: "succeeded", 2: "running", 3: "succeeded"}  # run 2's process lives on
    report = json.loads((tmp_path / "meanwhile" / "report.json").read_text())
    assert report["changes"]["previous_run_id"] == 1
    held_catalog.let_go()
    code, stderr = finish(losing)
    assert code == 3, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: this run lost its lock on database {Store(db_url).safe_url} (")
    assert "it stops here and stores nothing more" in last
    assert statuses(db_url)[2] == "running" and rows_of(db_url, 2) == 0
    assert not (tmp_path / "losing").exists()
    assert finish(start(db_url, "later"))[0] == 0  # run 2's process is gone now
    assert statuses(db_url) == {1: "succeeded", 2: "failed", 3: "succeeded", 4: "succeeded"}
    assert Store(db_url).run(2)["error"].startswith("interrupted: its process")


def test_an_idle_in_transaction_timeout_does_not_let_a_second_run_in(server_url, start, held_catalog, outside):
    url = outside.with_idle_timeouts(server_url, in_transaction=1, idle=600)
    held_catalog.hold_next()
    first = start(url, "first")
    held_catalog.wait_arrived()
    holder = outside.lock_session(url)
    engine = create_engine(url)
    if outside.engine_of(url) == "postgresql":  # idle, and not in a transaction, for longer than the timeout
        idle = (f"SELECT state = 'idle' AND now() - state_change > interval '2 seconds' FROM pg_stat_activity "
                f"WHERE pid = {int(holder)}")
    else:
        idle = f"SELECT COMMAND = 'Sleep' AND TIME > 2 FROM information_schema.PROCESSLIST WHERE ID = {int(holder)}"

    def idle_long():
        with engine.connect() as connection:
            return connection.execute(text(idle)).scalar()
    outside.wait_for(idle_long, "the lock's session to sit idle past the timeout")
    code, stderr = finish(start(url, "second"))
    assert code == 3 and "another insights run is writing to database" in stderr
    assert outside.lock_session(url) == holder
    held_catalog.let_go()
    code, stderr = finish(first)
    assert code == 0, stderr
    assert statuses(url) == {1: "succeeded"}
