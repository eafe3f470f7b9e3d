"""The metrics file, read back with prometheus_client's parsers (OpenMetrics, and the classic text format
node-exporter's textfile collector reads), with hostile team names in its labels."""

import dataclasses

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as text_families

from insights.catalog.model import Catalog
from insights.report.metrics import render_metrics, write_metrics
from insights.report.view import load_view
from tests.report.conftest import store_run

HOSTILE_TEAM = 'pay"ments\\ {x="1"}\nnext_metric 1 # EOF'


def samples(text, parse):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in parse(text) for s in family.samples}


def test_metrics_parse_as_openmetrics_and_as_the_text_format(store, demo_catalog, demo_state, demo_now, tmp_path):
    entities = [dataclasses.replace(e, owner=f"group:default/{HOSTILE_TEAM}") if e.name == "checkout" else e
                for e in demo_catalog.entities]
    run_id = store_run(store, Catalog(tuple(entities), demo_catalog.findings), demo_state, demo_now)
    view = load_view(store, run_id)
    path = write_metrics(view, tmp_path / "textfile" / "insights.prom")
    text = path.read_text()
    assert text == render_metrics(view) and text.endswith("# EOF\n")
    assert [p.name for p in path.parent.iterdir()] == ["insights.prom"]  # no temporary file left behind
    parsed = samples(text, openmetrics_families)
    assert samples(text, text_families) == parsed
    assert parsed[("insights_run_id", ())] == run_id
    levels = {k: v for k, v in parsed.items() if k[0] == "insights_scorecard_entities"}
    assert sum(levels.values()) == len(view.scores)
    hostile = [dict(k[1]) for k in parsed if k[0] == "insights_scorecard_mean_score" and
               dict(k[1])["team"] == HOSTILE_TEAM]
    assert {h["scorecard"] for h in hostile} == {"pagerduty-readiness", "catalog-consistency"}
    assert not [k for k in parsed if k[0].startswith("next_metric")]
    stats = view.check_stats()
    assert parsed[("insights_check_pass_ratio", (("check", "escalation-two-levels"),))] == \
        round(stats.loc["escalation-two-levels", "pass_rate"] / 100, 4)
    assert parsed[("insights_check_results", (("check", "has-owner"), ("outcome", "fail")))] == \
        stats.loc["has-owner", "fail"]
    errors = int((view.findings["severity"] == "error").sum())
    assert parsed[("insights_findings", (("severity", "error"),))] == errors
    payments = view.teams().loc["payments"]
    assert sum(v for k, v in levels.items() if ("team", "payments") in k[1]) == \
        payments["entities"] * len(view.scorecards)  # every payments entity is scored on both scorecards


def test_pagerduty_requests_per_endpoint_and_the_run_duration(store, demo_catalog, demo_state, demo_now, tmp_path):
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    view = dataclasses.replace(view, run={**view.run, "pagerduty_requests": '{"GET /services": 3, "GET /oncalls": 2}',
                                          "stages": {"crawl": 1.5, "collect": 20.25}})
    parsed = samples(render_metrics(view), openmetrics_families)
    assert parsed[("insights_pagerduty_requests", (("endpoint", "GET /services"),))] == 3
    assert parsed[("insights_run_stage_duration_seconds", (("stage", "collect"),))] == 20.25
    assert parsed[("insights_run_duration_seconds", ())] >= 0


def test_run_writes_its_metrics_file_where_asked(insights, tmp_path, snapshot):
    from insights.resources import demo_data

    result = insights("run", "--catalog", demo_data() / "catalog" / "payments", "--pagerduty-snapshot", snapshot,
                      "--metrics-file", "textfile/insights.prom")
    assert result.exit_code == 0, result.stderr
    parsed = samples((tmp_path / "textfile" / "insights.prom").read_text(), openmetrics_families)
    run_id = int(result.stdout.split()[1].rstrip(":"))  # "Run 1: ..."
    assert parsed[("insights_run_id", ())] == run_id
    assert "Report (metrics): textfile/insights.prom" in result.stdout
