"""The store on real SQLite files and a real PostgreSQL server."""

import sqlite3

import pytest
from alembic import command
from sqlalchemy import text

from insights.config import load_config
from insights.errors import StoreError
from insights.evaluation import evaluate_run
from insights.resources import default_config
from insights.store import Store


@pytest.fixture(scope="module")
def bundle(demo_catalog, demo_state, demo_now):
    return evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now)


def stored(url, bundle):
    store = Store(url)
    store.ensure_schema()
    run_id = store.begin_run(config_hash="abc", sources=["demo"])
    store.save_run(run_id, bundle)
    return store, run_id


def test_a_run_round_trips(db_url, bundle):
    store, run_id = stored(db_url, bundle)
    run = store.run(run_id)
    assert run["status"] == "succeeded" and run["entity_count"] == len(bundle.entities)
    facts = store.facts(run_id)
    assert facts.loc["component:default/billing-worker", "pagerduty.open_incidents"] == 4
    assert facts.loc["component:default/auth-service", "pagerduty.service_shared_with"] == [
        "component:default/token-service"]
    assert facts.loc["component:default/query-suggest", "pagerduty.service_found"] is None
    from insights.store import tables as t

    results = store.table(t.check_results, run_id)
    assert len(results) == len(bundle.results)
    row = results[(results.entity_ref == "component:default/checkout") & (results.check_id == "escalation-two-levels")]
    assert row.iloc[0]["outcome"] == "fail" and "Add a second level" in row.iloc[0]["fix"]
    assert store.latest_run_id() == run_id


def test_a_failed_store_leaves_no_partial_run_and_keeps_the_previous_latest(db_url, bundle):
    store, first = stored(db_url, bundle)
    second = store.begin_run(config_hash="abc", sources=["demo"])
    broken = type(bundle)(**{**bundle.__dict__, "organisation": bundle.organisation + [{"kind": None, "service_id": "X"}]})
    with pytest.raises(StoreError, match="cannot store the run"):
        store.save_run(second, broken)
    from insights.store import tables as t

    assert store.run(second)["status"] == "failed"
    assert len(store.table(t.check_results, second)) == 0 and len(store.table(t.entities, second)) == 0
    assert store.latest_run_id() == first


def test_schema_matches_the_migrations(db_url):
    store = Store(db_url)
    store.upgrade()
    with store.engine.begin() as connection:
        command.check(store._alembic(connection))


def test_upgrading_keeps_stored_runs_and_migrations_go_both_ways(db_url, bundle):
    from sqlalchemy import inspect

    from insights.store import tables as t

    store = Store(db_url)
    store.upgrade()
    run_id = store.begin_run(config_hash="abc", sources=["demo"])
    store.save_run(run_id, bundle)

    def run_keys(table):
        with store.engine.connect() as connection:
            return [k["referred_table"] for k in inspect(connection).get_foreign_keys(table)]

    def run_columns():
        with store.engine.connect() as connection:
            return {c["name"] for c in inspect(connection).get_columns("runs")}

    with store.engine.begin() as connection:
        command.downgrade(store._alembic(connection), "0002")
    assert run_keys("fact_values") == ["runs"]  # revision 0003 dropped it; going back puts it back
    assert not {"owner", "heartbeat_at"} & run_columns()
    with store.engine.connect() as connection:  # the rows, with names and texts again
        plain = connection.execute(text("SELECT outcome, reason, fix FROM check_results WHERE entity_ref = "
                                         "'component:default/checkout' AND check_id = 'escalation-two-levels'")).one()
        assert connection.execute(text("SELECT count(*) FROM check_results")).scalar() == len(bundle.results)
    expected = bundle.results.set_index(["entity_ref", "check_id"]).loc[
        ("component:default/checkout", "escalation-two-levels")]
    assert tuple(plain) == (expected["outcome"], expected["reason"], expected["fix"])
    store.upgrade()  # from 0002, with a stored run
    assert store.schema_state()[0] == store.schema_state()[1]
    assert {"owner", "heartbeat_at"} <= run_columns()
    assert run_keys("fact_values") == run_keys("check_results") == run_keys("scorecard_results") == []
    assert run_keys("entities") == ["runs"]
    assert len(store.table(t.check_results, run_id)) == len(bundle.results)
    assert store.facts(run_id).loc["component:default/billing-worker", "pagerduty.open_incidents"] == 4
    assert store.run(run_id)["status"] == "succeeded"
    with store.engine.begin() as connection:
        command.downgrade(store._alembic(connection), "0002")
    assert run_keys("check_results") == ["runs"]
    store.upgrade()
    assert len(store.table(t.fact_values, run_id)) == int(bundle.facts.notna().to_numpy().sum())


def test_a_full_disk_fails_the_run_cleanly_and_keeps_the_previous_one(sqlite_url, bundle):
    """SQLite's page limit gives the very error a full disk gives (SQLITE_FULL) without filling a disk."""
    from sqlalchemy import event

    from insights.store import tables as t

    store, first = stored(sqlite_url, bundle)
    before = store.table(t.check_results, first)
    pages = sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute("PRAGMA page_count").fetchone()[0]
    event.listen(store.engine, "connect", lambda connection, _: connection.execute(
        f"PRAGMA max_page_count = {pages + 4}"))
    reasons = [f"changed {n} " * 40 for n in range(len(bundle.results))]  # texts are stored once: all distinct
    changed = type(bundle)(**{**bundle.__dict__, "results": bundle.results.assign(reason=reasons)})
    second = store.begin_run(config_hash="abc", sources=["demo"])
    with pytest.raises(StoreError, match="database or disk is full; free space") as raised:
        store.save_run(second, changed)
    assert "sqlite:///" in str(raised.value)
    assert store.latest_run_id() == first
    assert count_rows(store, t.check_results, second) == 0
    assert store.run(second)["status"] == "failed" and "disk is full" in store.run(second)["error"]
    assert store.table(t.check_results, first).equals(before)


def count_rows(store, table, run_id):
    from sqlalchemy import func, select

    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(table.c.run_id == run_id)).scalar()


def test_a_database_from_a_newer_tool_is_refused(sqlite_url):
    store = Store(sqlite_url)
    store.upgrade()
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match=r"newer version of insights \(schema 9999_future\)"):
        store.ensure_schema()


def test_foreign_tables_are_not_touched(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE mine (x INTEGER)").connection.commit()
    with pytest.raises(StoreError, match="has tables but no insights schema version"):
        Store(f"sqlite:///{path}").ensure_schema()


@pytest.mark.parametrize("url, message", [
    ("sqlite:////nonexistent/dir/x.db", "cannot connect"),
    ("postgresql+psycopg://user:s3cret@127.0.0.1:1/db", "cannot connect"),
    ("notadb://x", "is not valid"),
])
def test_unreachable_or_bad_urls_are_clear_and_mask_the_password(url, message):
    with pytest.raises(StoreError) as error:
        Store(url).ensure_schema()
    assert message in str(error.value) and "s3cret" not in str(error.value)


def test_read_only_database_file(tmp_path, bundle):
    """SQLite's read-only mode fails writes the way a file without write permission does (and root
    ignores file permissions, so permissions alone would test nothing here). Maintenance fails as the
    store does, with a StoreError."""
    writable, _ = stored(f"sqlite:///{tmp_path / 'ro.db'}", bundle)
    writable.save_run(writable.begin_run(config_hash="x", sources=[]), bundle)
    store = Store(f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true")
    store.ensure_schema()
    with pytest.raises(StoreError, match="cannot record the run: attempt to write a readonly database"):
        store.begin_run(config_hash="x", sources=[])
    with pytest.raises(StoreError, match="cannot apply retention: attempt to write a readonly database"):
        store.apply_retention(keep_runs=1)
    assert len(store.runs()) == 2


def test_a_database_error_without_a_message_is_named_by_its_type(tmp_path):
    from insights.store import Store

    error = Store(f"sqlite:///{tmp_path}/x.db")._fail("store the run", RuntimeError(""))
    assert str(error).endswith("cannot store the run: RuntimeError")
