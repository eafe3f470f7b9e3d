"""The command line as a user meets it: help, exit codes and the exact text of every message, run in
this process through the CLI's own error mapping (tests/e2e runs the installed console script)."""

import json
import sqlite3

import click
import pytest

from insights.cli import cli
from insights.resources import demo_data

CATALOG = demo_data() / "catalog"


def commands(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


@pytest.mark.parametrize("path, command", list(commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_with_an_example(path, command):
    assert "Example:" in (command.help or ""), f"insights {' '.join(path)} has no example in its help"
    assert f"insights {' '.join(path)}" in command.help


def test_run_without_a_credential_is_a_usage_error(insights):
    result = insights("run", "--catalog", CATALOG)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no PagerDuty credential: set PAGERDUTY_TOKEN to a read-only REST API key (or PD_CLIENT_ID and "
        "PD_CLIENT_SECRET for an OAuth app), or run offline with --pagerduty-snapshot FILE")


def test_wrong_token_exits_3_names_the_variable_and_stores_no_results(insights, tmp_path, simulator):
    result = insights("run", "--catalog", CATALOG, "--pagerduty-url", simulator.url,
                      env={"PAGERDUTY_TOKEN": "not-the-right-secret"})
    assert result.exit_code == 3
    assert "the credential in PAGERDUTY_TOKEN is refused" in result.stderr
    assert "not-the-right-secret" not in result.stderr + result.stdout
    rows = sqlite3.connect(tmp_path / "insights.db").execute("SELECT status, error FROM runs").fetchall()
    assert rows[0][0] == "failed" and "PAGERDUTY_TOKEN" in rows[0][1] and "not-the-right-secret" not in rows[0][1]
    assert sqlite3.connect(tmp_path / "insights.db").execute("SELECT count(*) FROM check_results").fetchone() == (0,)


def test_invalid_config_exits_2_with_file_and_line(insights, tmp_path):
    (tmp_path / "scorecards.yaml").write_text("catalog:\n  sorces: []\n")
    result = insights("validate")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: scorecards.yaml:2:3: unknown key `catalog.sorces` (did you mean 'sources'?)"


def test_offline_run_from_a_snapshot_and_a_tripped_gate(insights, tmp_path, demo_state, snapshot):
    result = insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot,
                      "--fail-on", "few-open-incidents")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (  # unknown is not a pass: refunds has no PagerDuty service
        "gate failed: check few-open-incidents does not pass for 2 entities (1 failing, 1 unknown): "
        "component:default/billing-worker, component:default/refunds")
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["run"]["pagerduty_collected_at"] == demo_state.collected_at
    assert "owner" not in report["run"] and "heartbeat_at" not in report["run"]  # lock bookkeeping stays inside
    allowed = insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot,
                       "--fail-on", "few-open-incidents", "--allow-unknown")
    assert allowed.exit_code == 1
    assert allowed.stderr.strip().splitlines()[-1] == (
        "gate failed: check few-open-incidents does not pass for 1 entity (1 failing): component:default/billing-worker")


def test_a_gate_naming_an_unknown_check_is_refused_before_the_run(insights, tmp_path, snapshot):
    result = insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot,
                      "--fail-on", "few-open-incident")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: Invalid value for '--fail-on': unknown check 'few-open-incident' (did you mean 'few-open-incidents'?)")
    assert not (tmp_path / "insights.db").exists()


def test_validate_accepts_the_default_config(insights):
    result = insights("validate")
    assert result.exit_code == 0 and "OK (" in result.stdout


def test_facts_lists_the_catalogue(insights):
    result = insights("facts")
    assert result.exit_code == 0 and "pagerduty.escalation_unique_levels  (integer" in result.stdout


def test_explain_an_unknown_entity(insights, snapshot):
    assert insights("run", "--catalog", CATALOG / "data", "--pagerduty-snapshot", snapshot).exit_code == 0
    result = insights("explain", "component:default/nope")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: run 1 has no entity component:default/nope; refs look like "
                                     "component:default/name")
    explained = insights("explain", "etl-scheduler")
    assert "fail           escalation-two-levels" in explained.stdout


def test_catalog_lint_text_json_and_exit_codes(insights):
    good = insights("catalog", "lint", CATALOG / "data")
    assert good.exit_code == 0
    assert good.stdout.splitlines()[-1] == "3 entities, 0 errors, 0 warnings"
    bad = insights("catalog", "lint", CATALOG / "identity", "--format", "json")
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert {"ref": "component:default/sessions", "file": "sessions/catalog-info.yaml", "line": 1} in report["entities"]
    malformed = next(f for f in report["findings"] if f["code"] == "annotation-malformed")
    assert (malformed["file"], malformed["line"], malformed["severity"]) == ("sessions/catalog-info.yaml", 6, "error")


def test_init_writes_a_config_that_validates_and_refuses_to_overwrite(insights, tmp_path):
    first = insights("init", "starter")
    assert first.exit_code == 0, first.stderr
    assert (tmp_path / "starter" / "checks" / "escalation.yaml").is_file()
    assert "checks: [checks]" in (tmp_path / "starter" / "scorecards.yaml").read_text()
    (tmp_path / "starter" / "checks" / "escalation.yaml").write_text(
        (tmp_path / "starter" / "checks" / "escalation.yaml").read_text().replace("value: 2", "value: 3"))
    validated = insights("validate", "--config", "starter/scorecards.yaml")
    assert validated.exit_code == 0 and "starter/scorecards.yaml: OK" in validated.stdout
    again = insights("init", "starter")
    assert again.exit_code == 2
    assert again.stderr.strip() == ("error: starter/scorecards.yaml already exists (8 of the files would be "
                                    "replaced); pass --force to overwrite")


def test_progress_lines_quiet_and_json_logs(insights, snapshot):
    plain = insights("run", "--catalog", CATALOG / "data", "--pagerduty-snapshot", snapshot)
    assert plain.exit_code == 0
    assert "crawl: started" in plain.stderr and "crawl: 1 files in " in plain.stderr  # no terminal: plain lines
    quiet = insights("--quiet", "run", "--catalog", CATALOG / "data", "--pagerduty-snapshot", snapshot)
    assert quiet.exit_code == 0 and quiet.stdout == "" and "crawl" not in quiet.stderr
    logged = insights("--log-level", "info", "--log-format", "json", "--quiet", "run", "--catalog",
                      CATALOG / "data", "--pagerduty-snapshot", snapshot)
    lines = [json.loads(line) for line in logged.stderr.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "insights.pipeline" and "crawling" in line["message"] for line in lines)
    assert all(set(line) == {"time", "level", "logger", "message"} for line in lines)


def test_history_and_rerendering_a_past_run(insights, tmp_path, snapshot):
    for _ in range(2):
        assert insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot).exit_code == 0
    history = insights("history", "component:default/checkout")
    assert history.exit_code == 0
    rows = [line.split() for line in history.stdout.splitlines()[1:]]
    assert sorted({row[0] for row in rows}) == ["1", "2"]
    assert any("pagerduty-readiness" in row and "Bronze" in row for row in rows)
    team = insights("history", "--team", "payments")
    assert team.exit_code == 0 and "catalog-consistency" in team.stdout
    again = insights("report", "--run", "1", "--out", "old", "--format", "md")
    assert again.exit_code == 0
    assert (tmp_path / "old" / "report.md").read_text().startswith("# Tech Insights report: run 1")
    neither = insights("history")
    assert neither.exit_code == 2
    assert neither.stderr.strip().splitlines()[-1] == "Error: name one entity (ENTITY_REF) or one --team"
