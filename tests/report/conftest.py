"""A stored run of a catalog and a PagerDuty state, for the report tests."""

import pytest

from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.resources import default_config
from insights.store import Store


def store_run(store, catalog, state, now, config=None):
    bundle = evaluate_run(config or load_config(default_config()), catalog, state, now)
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["test"])
    store.save_run(run_id, bundle)
    return run_id


@pytest.fixture()
def store(sqlite_url):
    return Store(sqlite_url)
