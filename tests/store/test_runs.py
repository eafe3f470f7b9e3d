"""Runs over time: changes stored once and read back whole, retention, and history."""

import dataclasses

import pytest
from sqlalchemy import func, select

from insights.catalog.model import Catalog
from insights.config import load_config
from insights.errors import ConfigError
from insights.evaluation import evaluate_run
from insights.resources import default_config
from insights.store import Store, entity_history, team_history
from insights.store import tables as t
from insights.store.coding import CODED, stored


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
    assert store.apply_retention(keep_runs=2) == [first]
    assert list(store.runs()["id"]) == [third, second]
    for run, (facts, results, scores) in pictures.items():  # kept runs read back exactly as before
        assert store.facts(run).equals(facts)
        assert store.table(t.check_results, run).equals(results)
        assert store.table(t.scorecard_results, run).equals(scores)
    assert store.facts(second).shape == bundle.facts.shape

    def rows(table, **where):
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            if column in CODED:  # rows hold the id of the name
                key, names = CODED[column]
                value = select(names.c.id).where(names.c.name == value).scalar_subquery()
            query = query.where(table.c[stored(column)] == value)
        with store.engine.connect() as connection:
            return connection.execute(query).scalar()

    # What the first run wrote stays only where a kept run still reads it.
    assert rows(t.fact_values, entity_ref="component:default/ranking") == 0  # gone from later runs
    assert rows(t.fact_values, entity_ref="component:default/payments-api",
                fact_id="pagerduty.service_has_description") == 1  # the first value was superseded
    assert 0 < rows(t.fact_values, run_id=first) < count_before_first


@pytest.mark.parametrize("keep", [{"keep_runs": -1}, {"keep_days": -5}, {"keep_runs": 0}, {"keep_days": 1.5}])
def test_retention_refuses_what_would_delete_everything(two_runs, keep):
    store, first, second, _ = two_runs
    name, value = next(iter(keep.items()))
    with pytest.raises(ConfigError) as raised:
        store.apply_retention(**keep)
    assert str(raised.value) == (f"store.{name} must be a whole number of 1 or more, not {value!r} (leave it out "
                                 "to keep every run)")
    assert list(store.runs()["id"]) == [second, first]


def test_retention_leaves_a_running_run_to_the_interrupted_check(two_runs):
    store, first, second, bundle = two_runs
    running = store.begin_run(config_hash="x", sources=["t"])
    third = save(store, bundle)
    assert store.apply_retention(keep_runs=1) == [first, second]
    assert list(store.runs()["id"]) == [third, running]
    assert store.run(running)["status"] == "running"


def test_history_of_an_entity_and_a_team(two_runs):
    store, first, second, _ = two_runs
    checkout = entity_history(store, "component:default/checkout")
    assert set(checkout["run_id"]) == {first, second}
    row = checkout[(checkout.run_id == second) & (checkout.scorecard_id == "pagerduty-readiness")].iloc[0]
    assert row["level"] == "Bronze" and "escalation-two-levels" in row["failing"]
    payments = team_history(store, "payments")
    assert set(payments["run_id"]) == {first, second}
    assert (payments["entities"] == 4).all()


def test_unknown_values_store_no_row_until_the_fact_had_one(db_url, demo_catalog, demo_state, demo_now):
    """A key without a row reads as unknown; a value that becomes unknown is stored as such, also when its
    entity was away in between (its older value must not come back)."""
    from insights.report.view import facts_as_stored

    store, ref, fact = Store(db_url), "component:default/checkout", "pagerduty.escalation_levels"
    bundle = bundle_for(demo_catalog, demo_state, demo_now)
    first = save(store, bundle)
    assert count(store, t.fact_values, first) == int(bundle.facts.notna().to_numpy().sum()) < bundle.facts.size
    assert store.facts(first).equals(facts_as_stored(bundle.facts))
    assert store.facts(first).loc[ref, fact] == 1
    away = Catalog(tuple(e for e in demo_catalog.entities if e.ref != ref), ())
    second = save(store, bundle_for(away, demo_state, demo_now))
    assert ref not in store.facts(second).index
    unknown = dataclasses.replace(bundle, facts=bundle.facts.assign(**{fact: bundle.facts[fact].where(
        bundle.facts.index != ref, None)}))
    third = save(store, unknown)
    fourth = save(store, unknown)
    assert store.facts(third).loc[ref, fact] is None and store.facts(fourth).loc[ref, fact] is None
    assert store.facts(fourth).equals(facts_as_stored(unknown.facts))
    assert count(store, t.fact_values, fourth) == 0
    assert store.facts(first).loc[ref, fact] == 1
