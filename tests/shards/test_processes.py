"""Sharded runs between real processes of the installed command, on PostgreSQL: four shards and a finalize
store exactly the rows one process stores; a shard killed leaves the run failed; a finalize killed is
taken over. Processes are caught at a known point by a catalog or a database lock the test holds, never
by a sleep."""

from __future__ import annotations

import signal

from sqlalchemy import create_engine, text

from insights.store import Store


def run_shards(spawn, org, db_url: str, key: str, *extra: str, only=range(1, 5), env=None) -> list:
    return [spawn("run", "--shard", f"{k}/4", "--run-key", key, *org.catalog, "--db", db_url, *extra,
                  env={**org.cache(f"shard-{k}"), **(env or {})}) for k in only]


def test_four_shards_store_exactly_the_rows_of_one_process(org, spawn, db, postgres_url, reference_url):
    one = spawn("run", *org.catalog, "--pagerduty-snapshot", org.snapshot, "--db", reference_url, "--out", "one",
                env=org.cache("one"))
    shards = run_shards(spawn, org, postgres_url, "2026-03-14")
    for process in [one, *shards]:  # the shards start together on an empty database
        code, stderr = db.finish(process)
        assert code == 0, stderr
    code, stderr = db.finish(spawn("finalize", "--run-key", "2026-03-14", "--pagerduty-snapshot", org.snapshot,
                                   "--db", postgres_url, "--out", "sharded"))
    assert code == 0, stderr

    sharded, single = db.stored(postgres_url), db.stored(reference_url)
    assert sharded == single
    # What only the whole catalog decides is there, so the equality above means something.
    codes = [row[0] for row in single["findings"]]
    assert {"duplicate-entity", "source-unreadable", "yaml-invalid"} <= set(codes)
    assert any(row[0] == "shared-service" for row in single["organisation_results"])
    assert any(row[0] == "orphan-service" for row in single["organisation_results"])
    assert ("component:default/defined-twice", "pagerduty.service_shared", "true") in single["fact_values"]
    assert sum(row[1:] == ("pagerduty.resolved_by", '"integration-key"') for row in single["fact_values"]) > 3
    assert db.staged(postgres_url) == {"staged_sources": [], "staged_items": []}
    with create_engine(postgres_url).connect() as connection:
        landed = connection.execute(text("SELECT shard, entity_count FROM run_shards ORDER BY shard")).all()
    assert [shard for shard, _ in landed] == [1, 2, 3, 4] and all(count > 0 for _, count in landed)


def test_a_killed_shard_leaves_the_run_failed_and_the_previous_run_the_latest(org, spawn, db, postgres_url,
                                                                              held_catalog):
    env = {"BACKSTAGE_TOKEN": "stand-in"}
    catalog = ("--catalog", held_catalog.source)
    finalize = ("--pagerduty-snapshot", org.snapshot, "--db", postgres_url)
    for process in run_shards(spawn, org, postgres_url, "night-1", *catalog, env=env):
        assert db.finish(process)[0] == 0
    assert db.finish(spawn("finalize", "--run-key", "night-1", *finalize))[0] == 0

    held_catalog.hold_next()  # the Backstage API is shard 1's: it is held there, crawling
    victim = spawn("run", "--shard", "1/4", "--run-key", "night-2", *org.catalog, *catalog, "--db", postgres_url,
                   env={**env, **org.cache("shard-1")})
    others = run_shards(spawn, org, postgres_url, "night-2", *catalog, only=range(2, 5), env=env)
    held_catalog.wait_arrived()
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    held_catalog.let_go()
    for process in others:
        assert db.finish(process)[0] == 0

    code, stderr = db.finish(spawn("finalize", "--run-key", "night-2", *finalize))
    assert code == 3
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: run key 'night-2' is missing shards: shard 1/4 has not landed (started ")
    assert last.endswith(f", pid {victim.pid}). The run is failed and the previous run stays the latest")
    store = Store(postgres_url)
    assert dict(zip(store.runs()["id"], store.runs()["status"])) == {1: "succeeded", 2: "failed"}
    assert store.latest_run_id() == 1 and last.removeprefix("error: ") == store.run(2)["error"]
    assert db.staged(postgres_url) == {"staged_sources": [], "staged_items": []}

    code, stderr = db.finish(spawn("run", "--shard", "1/4", "--run-key", "night-2", *org.catalog, *catalog, "--db",
                                   postgres_url, env=env))
    assert code == 2
    assert stderr.strip().splitlines()[-1] == (
        "error: run key 'night-2' is already failed (run 2); a finished run is never reopened: give the shards of "
        "a new run a new key (the date, or the scheduler's run id)")


def hold(db_url: str, table: str):
    """A transaction of the test's own that lets everyone read `table` and nobody write it, until closed."""
    connection = create_engine(db_url).connect()
    connection.begin()
    connection.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    return connection


def waiting(db_url: str, statement: str) -> bool:
    with create_engine(db_url).connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE :statement"), {"statement": statement + "%"}).scalar())


def run_lock_free(db_url: str) -> bool:
    with create_engine(db_url).connect() as connection:
        return not connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")).scalar()


def killed_finalize(spawn, db, db_url: str, snapshot, table: str, statement: str) -> None:
    """A finalize killed while it waits to write `table`; returns once its session has ended."""
    held = hold(db_url, table)
    process = spawn("finalize", "--run-key", "night", "--db", db_url, "--out", "reports", "--pagerduty-snapshot",
                    snapshot)
    db.until(lambda: waiting(db_url, statement) or process.poll() is not None, f"finalize at {statement}")
    assert process.poll() is None, db.finish(process)[1]
    process.send_signal(signal.SIGKILL)
    process.wait()
    held.rollback()
    held.close()
    db.until(lambda: run_lock_free(db_url), "the killed finalize's session to end")


def land_all(spawn, db, org, db_url: str) -> None:
    for process in run_shards(spawn, org, db_url, "night"):
        assert db.finish(process)[0] == 0


def test_a_finalize_killed_before_it_stored_anything_is_started_again(org, spawn, db, postgres_url):
    land_all(spawn, db, org, postgres_url)
    killed_finalize(spawn, db, postgres_url, org.snapshot, "runs", "INSERT INTO runs")
    assert db.staged(postgres_url)["staged_items"]  # the shares are still there
    code, stderr = db.finish(spawn("finalize", "--run-key", "night", "--db", postgres_url, "--out", "reports",
                                   "--pagerduty-snapshot", org.snapshot))
    assert code == 0, stderr
    runs = Store(postgres_url).runs()
    assert list(runs["status"]) == ["succeeded"] and runs["entity_count"].iloc[0] > 100
    assert db.staged(postgres_url) == {"staged_sources": [], "staged_items": []}


def test_a_finalize_killed_after_storing_the_run_leaves_it_stored_once(org, spawn, db, postgres_url):
    land_all(spawn, db, org, postgres_url)
    killed_finalize(spawn, db, postgres_url, org.snapshot, "staged_sources", "DELETE FROM staged_sources")
    store = Store(postgres_url)
    assert list(store.runs()["status"]) == ["succeeded"]
    code, stderr = db.finish(spawn("finalize", "--run-key", "night", "--db", postgres_url, "--pagerduty-snapshot",
                                   org.snapshot))
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith(f"error: run key 'night' is already succeeded (run "
                                                      f"{store.latest_run_id()}); a finished run is never reopened")
    assert list(store.runs()["status"]) == ["succeeded"]
    assert db.staged(postgres_url) == {"staged_sources": [], "staged_items": []}
