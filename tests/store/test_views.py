"""The SQL views for BI tools show exactly what `Store` reads for the newest succeeded run."""

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from insights.catalog.model import Catalog
from insights.catalog.refs import display_name
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.resources import default_config
from insights.store import Store
from insights.store import tables as t
from insights.store.coding import Codes
from insights.store.delta import store_changes

DROPPED_FACT = "pagerduty.escalation_levels"
DROPPED_CHECK = "escalation-two-levels"


def save(store, bundle, stages=None):
    run_id = store.begin_run(config_hash="x", sources=["t"])
    store.save_run(run_id, bundle, stages=stages)
    return run_id


def plain(value):
    """A cell as Python compares it: NULL, NaN and None alike; numbers as floats."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return sorted((tuple(plain(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)),
                  key=repr)


def view(store, name) -> pd.DataFrame:
    with store.engine.connect() as connection:
        return pd.read_sql(text(f"SELECT * FROM {name}"), connection)


@pytest.fixture()
def runs(db_url, demo_catalog, demo_state, demo_now):
    """Two succeeded runs with changes (an entity gone, a value changed, a fact and a check no longer
    computed), then a failed run whose stray rows must not show."""
    config = load_config(default_config())
    store = Store(db_url)
    store.ensure_schema()
    first = save(store, evaluate_run(config, demo_catalog, demo_state, demo_now))
    services = [dict(s, description="") if s["id"] == "PPAYAPI" else s for s in demo_state.services]
    catalog = Catalog(tuple(e for e in demo_catalog.entities if e.name != "ranking"), ())
    bundle = evaluate_run(config, catalog, dataclasses.replace(demo_state, services=services), demo_now)
    bundle = dataclasses.replace(bundle, facts=bundle.facts.drop(columns=[DROPPED_FACT]),
                                 checks=[c for c in bundle.checks if c.id != DROPPED_CHECK],
                                 results=bundle.results[bundle.results["check_id"] != DROPPED_CHECK])
    second = save(store, bundle, stages={"crawl": 0.25, "collect": 1.5})
    failed = store.begin_run(config_hash="x", sources=["t"])
    with store.engine.begin() as connection:
        codes = Codes(connection)
        stray = bundle.results.assign(outcome="fail", reason="stray", fix="stray", run_id=failed)
        store_changes(connection, "check_results", stray, codes)
        store_changes(connection, "fact_values", pd.DataFrame(
            {"run_id": failed, "entity_ref": bundle.facts.index, "fact_id": "pagerduty.service_found",
             "value": "\"stray\""}), codes)
    store.fail_run(failed, "broke")
    return store, first, second


def test_check_results_view_is_the_latest_succeeded_picture(runs):
    store, first, second = runs
    frame = view(store, "latest_check_results")
    expected = store.table(t.check_results, second)
    assert set(frame["run_id"]) == {second}
    assert rows(frame, ["entity_ref", "check_id", "outcome", "reason", "fix"]) == \
        rows(expected, ["entity_ref", "check_id", "outcome", "reason", "fix"])
    assert DROPPED_CHECK not in set(frame["check_id"]) and "stray" not in set(frame["reason"])
    assert "component:default/ranking" not in set(frame["entity_ref"])
    assert {first, second} == set(frame["changed_in_run"])  # unchanged rows come from the first run
    owners = store.table(t.entities, second).set_index("ref")["owner"]
    teams = [display_name(plain(owners[ref])) for ref in frame["entity_ref"]]
    assert [plain(team) for team in frame["team"]] == teams and "payments" in teams
    checks = store.table(t.checks, second).set_index("check_id")["name"]
    assert (frame["check_name"] == frame["check_id"].map(checks)).all()


def test_fact_values_view_is_the_latest_succeeded_picture(runs):
    store, _, second = runs
    frame = view(store, "latest_fact_values")
    expected = store.table(t.fact_values, second)
    expected = expected[expected["value"].notna()]  # an unknown value has no row in the view
    assert rows(frame, ["entity_ref", "fact_id", "value"]) == rows(expected, ["entity_ref", "fact_id", "value"])
    assert DROPPED_FACT not in set(frame["fact_id"])
    described = frame[(frame.entity_ref == "component:default/payments-api")
                      & (frame.fact_id == "pagerduty.service_has_description")]
    assert json.loads(described["value"].iloc[0]) is False


def test_scorecard_results_view_is_the_latest_succeeded_picture(runs):
    store, _, second = runs
    frame = view(store, "latest_scorecard_results")
    columns = ["entity_ref", "scorecard_id", "level", "score", "passed", "failed", "unknown"]
    assert len(frame) and rows(frame, columns) == rows(store.table(t.scorecard_results, second), columns)
    cards = store.table(t.scorecards, second).set_index("scorecard_id")["name"]
    assert (frame["scorecard_name"] == frame["scorecard_id"].map(cards)).all()


def test_run_summary_counts_the_latest_succeeded_run(runs):
    store, _, second = runs
    frame = view(store, "run_summary")
    assert len(frame) == 1
    summary, run = frame.iloc[0], store.run(second)
    assert int(summary["run_id"]) == second and summary["status"] == "succeeded"
    assert int(summary["entity_count"]) == run["entity_count"]
    assert json.loads(summary["stages"])["collect"] == 1.5
    outcomes = store.table(t.check_results, second)["outcome"].value_counts()
    for outcome, column in (("pass", "passed"), ("fail", "failed"), ("unknown", "unknown"),
                            ("not-applicable", "not_applicable")):
        assert int(summary[column]) == int(outcomes.get(outcome, 0))
    assert int(summary["findings"]) == len(store.table(t.findings, second))


def test_the_readme_queries_run(runs):
    store, _, second = runs
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Views for BI tools", 1)[1].split("\n## ", 1)[0]
    queries = [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]
    assert len(queries) == 2
    with store.engine.connect() as connection:
        failing = connection.execute(text(queries[0])).all()
        levels = connection.execute(text(queries[1])).all()
    results = store.table(t.check_results, second)
    assert sum(n for _, n in failing) == int((results["outcome"] == "fail").sum()) > 0
    cards = store.table(t.scorecard_results, second)
    assert sum(n for _, _, n in levels) == int((cards["scorecard_id"] == "pagerduty-readiness").sum()) > 0
