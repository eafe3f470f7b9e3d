"""Fixtures of the adversarial sweep: runs offline from the demo snapshot."""

from __future__ import annotations

import pytest

from insights.resources import demo_data
from tests.sweep.support import Outcome, invoke


@pytest.fixture()
def offline_run(tmp_path):
    """`offline_run(catalog, *more) -> Outcome`: `insights run` on the catalog against the demo snapshot, into
    tmp_path/insights.db and tmp_path/out; the catalog shrink gate is off."""

    def run(catalog, *more: str, db_url: str | None = None, env: dict | None = None) -> Outcome:
        return invoke(["run", "--catalog", str(catalog), "--pagerduty-snapshot", str(demo_data() / "pagerduty.json"),
                       "--db", db_url or f"sqlite:///{tmp_path / 'insights.db'}", "--out", str(tmp_path / "out"),
                       "--max-shrink", "100", *more], env)

    return run
