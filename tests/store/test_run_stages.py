"""`insights run` keeps each stage's wall seconds on the run (`runs.stages`), and the metrics file shows them."""

import json

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from insights.resources import demo_data
from insights.store import Store

STAGES = {"crawl", "collect", "evaluate", "store", "reports"}


def test_a_run_stores_its_stages_and_the_metrics_file_shows_them(insights, tmp_path, snapshot):
    result = insights("run", "--catalog", demo_data() / "catalog" / "payments", "--pagerduty-snapshot", snapshot,
                      "--metrics-file", "insights.prom")
    assert result.exit_code == 0, result.stderr
    store = Store(f"sqlite:///{tmp_path / 'insights.db'}")
    stages = json.loads(store.run(store.latest_run_id())["stages"])
    assert set(stages) == STAGES and all(seconds >= 0 for seconds in stages.values())
    assert stages["reports"] > 0 and stages["store"] > 0
    families = text_string_to_metric_families((tmp_path / "insights.prom").read_text())
    shown = {s.labels["stage"]: s.value for family in families for s in family.samples
             if s.name == "insights_run_stage_duration_seconds"}
    assert shown == stages
