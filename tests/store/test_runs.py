"""Runs over time: changes stored once and read back whole, retention, one writer, and a killed process."""

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from insights.catalog.model import Catalog
from insights.config import load_config
from insights.errors import StoreError
from insights.evaluation import evaluate_run
from insights.pagerduty.generate import generate, write_catalog
from insights.pagerduty.state import save_snapshot
from insights.resources import default_config
from insights.store import Store, entity_history, team_history
from insights.store import tables as t
from insights.store.maintenance import apply_retention, fail_interrupted_runs, run_lock


def bundle_for(catalog, state, now):
    return evaluate_run(load_config(default_config()), catalog, state, now)


def save(store, bundle):
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["t"])
    store.save_run(run_id, bundle)
    return run_id


def count(store, table, run_id):
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(table.c.run_id == run_id)).scalar()


@pytest.fixture()
def two_runs(db_url, demo_catalog, demo_state, demo_now):
    store = Store(db_url)
    first = save(store, bundle_for(demo_catalog, demo_state, demo_now))
    services = [dict(s, description="") if s["id"] == "PPAYAPI" else s for s in demo_state.services]
    entities = [e for e in demo_catalog.entities if e.name != "ranking"]
    second_bundle = bundle_for(Catalog(tuple(entities), ()), dataclasses.replace(demo_state, services=services), demo_now)
    second = save(store, second_bundle)
    return store, first, second, second_bundle


def test_only_changes_are_stored_and_every_run_reads_back_whole(two_runs):
    store, first, second, bundle = two_runs
    assert count(store, t.fact_values, second) < count(store, t.fact_values, first) / 20
    facts = store.facts(second)
    assert facts.loc["component:default/payments-api", "pagerduty.service_has_description"] is False
    assert facts.loc["component:default/checkout", "pagerduty.escalation_levels"] == 1  # unchanged, read from run 1
    assert "component:default/ranking" not in facts.index
    assert facts.shape == bundle.facts.shape
    assert store.facts(first).loc["component:default/payments-api", "pagerduty.service_has_description"] is True
    results = store.table(t.check_results, second)
    assert len(results) == len(bundle.results)
    row = results[(results.entity_ref == "component:default/payments-api")
                  & (results.check_id == "pagerduty-service-described")].iloc[0]
    assert row["outcome"] == "fail"


def test_retention_keeps_later_runs_whole(two_runs, demo_catalog, demo_state, demo_now):
    store, first, second, bundle = two_runs
    count_before_first = count(store, t.fact_values, first)
    third = save(store, bundle)  # no change at all: nothing but the run and its entities is written
    assert count(store, t.fact_values, third) == 0
    pictures = {run: (store.facts(run), *(store.table(table, run) for table in
                                          (t.check_results, t.scorecard_results))) for run in (second, third)}
    assert apply_retention(store, keep_runs=2) == [first]
    assert list(store.runs()["id"]) == [third, second]
    for run, (facts, results, scores) in pictures.items():  # kept runs read back exactly as before
        assert store.facts(run).equals(facts)
        assert store.table(t.check_results, run).equals(results)
        assert store.table(t.scorecard_results, run).equals(scores)
    assert store.facts(second).shape == bundle.facts.shape

    def rows(table, **where):
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with store.engine.connect() as connection:
            return connection.execute(query).scalar()

    # What the first run wrote stays only where a kept run still reads it.
    assert rows(t.fact_values, entity_ref="component:default/ranking") == 0  # gone from later runs
    assert rows(t.fact_values, entity_ref="component:default/payments-api",
                fact_id="pagerduty.service_has_description") == 1  # the first value was superseded
    assert 0 < rows(t.fact_values, run_id=first) < count_before_first


def test_one_writer_at_a_time(db_url):
    store = Store(db_url)
    store.ensure_schema()
    with run_lock(store):
        with pytest.raises(StoreError, match="another insights run is writing to database"):
            with run_lock(Store(db_url)):
                pass
    with run_lock(Store(db_url)):  # free again once the first run is over
        pass


def test_history_of_an_entity_and_a_team(two_runs):
    store, first, second, _ = two_runs
    checkout = entity_history(store, "component:default/checkout")
    assert set(checkout["run_id"]) == {first, second}
    row = checkout[(checkout.run_id == second) & (checkout.scorecard_id == "pagerduty-readiness")].iloc[0]
    assert row["level"] == "Bronze" and "escalation-two-levels" in row["failing"]
    payments = team_history(store, "payments")
    assert set(payments["run_id"]) == {first, second}
    assert (payments["entities"] == 4).all()


# --- a process killed while it stores a run -----------------------------------------------------

def in_write(db_url: str, tmp_path: Path) -> bool:
    """True while the second run is writing its results (its own row exists, a write is under way)."""
    if db_url.startswith("sqlite"):
        if not (tmp_path / "insights.db-journal").exists():
            return False
        try:
            with sqlite3.connect(tmp_path / "insights.db", timeout=0) as connection:
                return connection.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] > 0
        except sqlite3.OperationalError:  # locked while it commits
            return False
    if db_url.startswith("mysql"):
        query = ("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                 "AND (INFO LIKE 'INSERT INTO fact_values%' OR INFO LIKE 'INSERT INTO entities%')")
    else:
        query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                 "AND (query ILIKE 'COPY %' OR query ILIKE 'INSERT INTO entities%') AND pid <> pg_backend_pid()")
    with create_engine(db_url).connect() as connection:
        return bool(connection.execute(text(query)).scalar())


def test_sigkill_while_storing_leaves_no_partial_run(db_url, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'insights.db'}" if db_url.startswith("sqlite") else db_url
    generated = generate(1500, 6000, seed=5)
    write_catalog(generated.catalog, tmp_path / "catalog")
    save_snapshot(generated.state, tmp_path / "snap.json")
    script = Path(sys.executable).parent / "insights"
    command = [str(script), "run", "--catalog", str(tmp_path / "catalog"), "--pagerduty-snapshot",
               str(tmp_path / "snap.json"), "--db", db_url, "--out", str(tmp_path / "reports")]
    assert subprocess.run(command, capture_output=True, timeout=300).returncode == 0
    store = Store(db_url)
    before = store.table(t.check_results, 1)

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not in_write(db_url, tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the run finished before it could be killed while storing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    runs = store.runs()
    assert list(runs["status"]) == ["running", "succeeded"]
    assert store.latest_run_id() == 1
    assert count(store, t.check_results, 2) == 0 and count(store, t.fact_values, 2) == 0
    assert store.table(t.check_results, 1).equals(before)
    assert fail_interrupted_runs(store) == 1
    assert "interrupted" in store.run(2)["error"]
