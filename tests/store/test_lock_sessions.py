"""The run lock in one process, on real SQLite files, PostgreSQL and MariaDB: one writer at a time, per
database, through symlinks; a lost lock fences every later write; idle timeouts do not lose it; only
runs whose owner is gone are marked interrupted."""

import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from insights.config import load_config
from insights.errors import StoreError
from insights.evaluation import evaluate_run
from insights.resources import default_config
from insights.store import Store
from insights.store import tables as t
from insights.store.lock import LockTiming, database_now
from insights.store.owners import new_owner, owner_gone

LOST = "this run lost its lock on database "


@pytest.fixture(scope="module")
def bundle(demo_catalog, demo_state, demo_now):
    return evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now)


def test_one_writer_at_a_time(db_url):
    store = Store(db_url)
    store.ensure_schema()
    with store.writing():
        run_id = store.begin_run(config_hash="x", sources=["t"])
        with pytest.raises(StoreError) as busy:
            Store(db_url).begin_run(config_hash="x", sources=["t"])
        assert str(busy.value) == (
            f"another insights run is writing to database {store.safe_url} (run {run_id}, host "
            f"{socket.gethostname()}, pid {os.getpid()}); wait for it to finish (runs never interleave)")
        with pytest.raises(StoreError, match="another insights run is writing"):
            Store(db_url).apply_retention(keep_runs=1)  # maintenance too goes through the lock
    assert Store(db_url).begin_run(config_hash="x", sources=["t"]) == run_id + 1  # free once the run is over


@pytest.fixture()
def second_database(server_url):
    """Another database on the same server as `server_url`, dropped afterwards."""
    url = make_url(server_url)
    name = f"{url.database}_b"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    quoted = f'"{name}"' if url.get_backend_name() == "postgresql" else f"`{name}`"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        force = " WITH (FORCE)" if url.get_backend_name() == "postgresql" else ""
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
    admin.dispose()


def test_the_lock_belongs_to_one_database_not_the_server(server_url, second_database):
    first, other = Store(server_url), Store(second_database)
    first.ensure_schema()
    other.ensure_schema()
    with first.writing():
        run_id = other.begin_run(config_hash="x", sources=["t"])  # a run on another database goes on
    assert other.run(run_id)["status"] == "running"


def test_a_symlinked_path_reaches_the_same_lock(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    (tmp_path / "alias.db").symlink_to(real / "insights.db")
    store = Store(f"sqlite:///{real / 'insights.db'}")
    store.ensure_schema()
    monkeypatch.chdir(real)
    with store.writing():
        for path in (tmp_path / "linked" / "insights.db", tmp_path / "alias.db", "insights.db"):
            with pytest.raises(StoreError, match="another insights run is writing to database"):
                Store(f"sqlite:///{path}").begin_run(config_hash="x", sources=["t"])
    assert len(store.runs()) == 0


def test_a_run_whose_lock_is_taken_away_stores_nothing_more(db_url, bundle, outside):
    store = Store(db_url, LockTiming(heartbeat=3600))  # no heartbeat: the write itself must find out
    store.ensure_schema()
    with store.writing():
        run_id = store.begin_run(config_hash="x", sources=["t"])
        outside.take_lock_away(db_url)
        other = Store(db_url)
        with other.writing():  # free for another run at once
            assert other.fail_interrupted_runs() == 0  # this process is alive: its run is not "interrupted"
            other_run = other.begin_run(config_hash="y", sources=["t"])
        with pytest.raises(StoreError) as lost:
            store.save_run(run_id, bundle)
        assert str(lost.value).startswith(f"{LOST}{store.safe_url} (")
        assert str(lost.value).endswith("it stops here and stores nothing more. Another run may have started "
                                        "meanwhile: run again once it is over")
        store.fail_run(run_id, "should not be written")
    assert store.run(run_id)["status"] == "running" and store.run(run_id)["error"] is None
    assert len(store.table(t.check_results, run_id)) == len(store.table(t.entities, run_id)) == 0
    assert store.run(other_run)["status"] == "running"


def test_the_heartbeat_notices_a_lost_lock_and_the_run_stops_at_its_next_step(server_url, outside):
    store = Store(server_url, LockTiming(heartbeat=0.05))
    store.ensure_schema()
    with store.writing() as lock:
        store.begin_run(config_hash="x", sources=["t"])
        outside.take_lock_away(server_url)
        outside.wait_for(lambda: lock.lost, "the heartbeat to notice")
        with pytest.raises(StoreError, match="lost its lock .*the database ended the session holding it"):
            lock.ensure()


def heartbeat_at(store, run_id):
    with store.engine.connect() as connection:
        return connection.execute(select(t.runs.c.heartbeat_at).where(t.runs.c.id == run_id)).scalar()


def test_a_run_beats_on_its_row_by_the_database_clock(server_url, outside):
    store = Store(server_url, LockTiming(heartbeat=0.05))
    store.ensure_schema()
    with store.writing():
        run_id = store.begin_run(config_hash="x", sources=["t"])
        first = heartbeat_at(store, run_id)
        with store.engine.connect() as connection:
            now = connection.execute(select(database_now(store.engine.dialect.name))).scalar()
        assert abs((now.replace(tzinfo=None) - first.replace(tzinfo=None)).total_seconds()) < 60
        outside.wait_for(lambda: heartbeat_at(store, run_id) > first, "a heartbeat")


def test_idle_timeouts_do_not_end_the_lock(server_url, bundle, outside):
    url = outside.with_idle_timeouts(server_url, in_transaction=1, idle=2)
    store = Store(url, LockTiming(heartbeat=0.2))
    store.ensure_schema()
    engine = create_engine(url)
    with engine.connect() as control:  # the server does end a session left idle in a transaction
        control.execute(select(func.count()).select_from(t.runs)).scalar()
        started = _now(engine)
        outside.wait_for(lambda: _seconds_since(engine, started) > 1.5, "the in-transaction timeout to pass")
        with pytest.raises(Exception):
            control.execute(text("SELECT 1")).scalar()
    with store.writing():
        run_id = store.begin_run(config_hash="x", sources=["t"])
        started = _now(engine)
        outside.wait_for(lambda: _seconds_since(engine, started) > 3, "both timeouts to pass")
        with pytest.raises(StoreError, match="another insights run is writing"):
            Store(url).begin_run(config_hash="y", sources=["t"])
        store.save_run(run_id, bundle)
    assert store.run(run_id)["status"] == "succeeded"


def _now(engine):
    with engine.connect() as connection:
        return connection.execute(select(func.now())).scalar()


def _seconds_since(engine, then) -> float:
    return (_now(engine) - then).total_seconds()


def test_only_runs_whose_owner_is_gone_are_marked_interrupted(db_url):
    store = Store(db_url)
    store.ensure_schema()
    mine = store.begin_run(config_hash="x", sources=["t"])  # this process is alive
    begin = ("import sys; from insights.store import Store; "
             "print(Store(sys.argv[1]).begin_run(config_hash='x', sources=['t']))")
    child = subprocess.run([sys.executable, "-c", begin, db_url], capture_output=True, text=True, check=True)
    theirs = int(child.stdout)  # its process has exited since
    assert Store(db_url).fail_interrupted_runs() == 1
    assert store.run(mine)["status"] == "running"
    failed = store.run(theirs)
    assert failed["status"] == "failed"
    assert failed["error"] == (f"interrupted: its process (host {socket.gethostname()}, pid {child_pid(store, theirs)}) "
                               "stopped before the run finished (found by the next run)")


def child_pid(store, run_id):
    with store.engine.connect() as connection:
        return json.loads(connection.execute(select(t.runs.c.owner).where(t.runs.c.id == run_id)).scalar())["pid"]


def test_a_finished_run_cannot_be_finished_again_by_another_process(db_url, bundle):
    store = Store(db_url)
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["t"])
    with store.engine.begin() as connection:  # as if another process had taken the run over
        connection.execute(t.runs.update().where(t.runs.c.id == run_id).values(owner=new_owner()))
    with pytest.raises(StoreError, match=f"run {run_id} is no longer this process's to finish"):
        store.save_run(run_id, bundle)
    assert len(store.table(t.check_results, run_id)) == 0 and store.run(run_id)["status"] == "running"


def test_whether_an_owner_is_gone():
    now = datetime(2030, 1, 1, 12)
    elsewhere = json.dumps({"host": "ci-7", "pid": os.getpid(), "started": "1", "machine": "other", "token": "t"})
    assert not owner_gone(elsewhere, now - timedelta(seconds=59), now, 60)  # another machine: by its heartbeat
    assert owner_gone(elsewhere, now - timedelta(seconds=61), now, 60)
    assert owner_gone(None, None, now, 60)  # a run recorded before runs had owners
    mine = new_owner()
    assert not owner_gone(mine, now - timedelta(days=1), now, 60)  # this machine: by the process, not the clock
    reused = {**json.loads(mine), "started": "0"}  # the same pid, another process: the pid was reused
    assert owner_gone(json.dumps(reused), now, now, 60)
