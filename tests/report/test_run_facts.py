"""A run writes its reports with the facts it computed, not read back from the database: they must be exactly
what the store reads back, so a run's reports and `insights report` of the same run are the same files."""

import dataclasses
import math

import pandas as pd

from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.report.view import facts_as_stored
from insights.resources import default_config, demo_data


def _stored(store, bundle):
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["test"])
    store.save_run(run_id, bundle)
    return store.facts(run_id)


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns) and list(left.index) == list(right.index)
    assert (left.index.name, left.columns.name) == (right.index.name, right.columns.name)
    assert left.to_dict("index") == right.to_dict("index")
    # == takes 1 for True and a tuple for no list: the types must be the store's too.
    assert [[type(v) for v in row] for row in left.itertuples(index=False)] == \
           [[type(v) for v in row] for row in right.itertuples(index=False)]


def test_the_facts_a_run_reports_are_those_the_store_reads_back(store, demo_catalog, demo_state, demo_now):
    bundle = evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now)
    _same(facts_as_stored(bundle.facts), _stored(store, bundle))


def test_values_of_every_shape_read_back_alike(store, demo_catalog, demo_state, demo_now):
    bundle = evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now)
    refs = list(bundle.facts.index)
    shapes = [None, True, 1, 1.0, 2.5, math.nan, "text", ["a", 1], ("b", 2), {"k": [1, None]}, [], {}]
    odd = pd.DataFrame({"z.mixed": [shapes[i % len(shapes)] for i in range(len(refs))],
                        "a.unknown": [None] * len(refs)}, index=pd.Index(refs[::-1], name="ref"), dtype=object)
    _same(facts_as_stored(odd), _stored(store, dataclasses.replace(bundle, facts=odd)))


def test_a_runs_reports_equal_those_rendered_again_from_the_database(insights, tmp_path, snapshot):
    catalog = demo_data() / "catalog"
    for _ in range(2):  # the second run is stored as changes to the first
        assert insights("run", "--catalog", catalog, "--pagerduty-snapshot", snapshot, "--out", "run").exit_code == 0
    again = insights("report", "--out", "again")
    assert again.exit_code == 0
    written = sorted(p.relative_to(tmp_path / "run") for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert written and written == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*")
                                         if p.is_file())
    for path in written:
        assert (tmp_path / "run" / path).read_bytes() == (tmp_path / "again" / path).read_bytes(), path
