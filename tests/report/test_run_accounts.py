"""What a run records of each PagerDuty account it read (API URL, collection time, requests, which source served
the incident response), stored with the run and shown in the run summary, report.md, the HTML index and
report.json; with no credential anywhere."""

import dataclasses
import json
import sqlite3
from datetime import datetime, timezone

from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings
from insights.pagerduty.state import public_url, save_snapshot, shift_times

ANALYTICS = frozenset({"POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"})
ENVIRON = {"PD_US_TOKEN": "us-key", "PD_EU_TOKEN": "eu-key"}
CATALOG = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-eu\n  annotations:\n"
           "    pagerduty.com/service-id: PPAYAPI\n    pagerduty.com/account: eu\n"
           "spec: {type: service, lifecycle: production, owner: payments}\n---\n"
           "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n  annotations:\n"
           "    pagerduty.com/service-id: PPAYAPI\nspec: {type: service, lifecycle: production, owner: payments}\n")


def stored_accounts(tmp_path) -> list[dict]:
    with sqlite3.connect(tmp_path / "r.db") as db:
        return json.loads(db.execute("SELECT pagerduty_accounts FROM runs ORDER BY id DESC").fetchone()[0])


def test_each_account_is_recorded_and_shown(insights, tmp_path, demo_state):
    state = shift_times(demo_state, datetime.now(timezone.utc))
    # The EU account's plan has no Analytics API: its incident response comes from the incident list and log.
    with Simulator(state, SimulatorSettings(token="us-key")) as us, \
            Simulator(state, SimulatorSettings(token="eu-key", access=Access(refused=ANALYTICS))) as eu:
        (tmp_path / "cat").mkdir()
        (tmp_path / "cat" / "catalog-info.yaml").write_text(CATALOG)
        (tmp_path / "scorecards.yaml").write_text(
            "pagerduty:\n  tags: false\n  default_account: us\n  analytics: {enabled: true}\n  accounts:\n"
            f"    - {{id: us, url: '{us.url}', token_env: PD_US_TOKEN, requests_per_minute: 100000}}\n"
            f"    - {{id: eu, url: '{eu.url}', token_env: PD_EU_TOKEN, requests_per_minute: 100000}}\n")
        result = insights("run", "--config", "scorecards.yaml", "--catalog", "cat", "--db", "sqlite:///r.db",
                          "--out", "out", env=ENVIRON)
        sent = {"us": len(us.requests), "eu": len(eu.requests)}
    assert result.exit_code in (0, 1), result.output
    accounts = stored_accounts(tmp_path)
    assert [(a["account"], a["api_url"], a["requests"], a["response_source"]) for a in accounts] == [
        ("us", us.url, sent["us"], "analytics"), ("eu", eu.url, sent["eu"], "log_entries")]
    assert all(datetime.fromisoformat(a["collected_at"].replace("Z", "+00:00")) for a in accounts)
    lines = [f"us: {us.url}, collected {accounts[0]['collected_at']}, {sent['us']} requests, incident response "
             "from the Analytics API",
             f"eu: {eu.url}, collected {accounts[1]['collected_at']}, {sent['eu']} requests, incident response "
             "from the incident list and its log entries"]
    for line in lines:
        assert f"PagerDuty {line}\n" in result.output
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "PagerDuty:\n\n" in markdown
    index = (tmp_path / "out" / "report.html").read_text()
    assert 'id="pagerduty-accounts"' in index and all(f"<li>PagerDuty {line}</li>" in index for line in lines)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [a["account"] for a in report["run"]["pagerduty_accounts"]] == ["us", "eu"]
    assert all(key not in text for key in ENVIRON.values()
               for text in (markdown, index, result.output, json.dumps(accounts)))


def test_one_account_read_from_a_snapshot_is_recorded_without_credentials_in_its_url(insights, tmp_path, demo_state):
    snapshot = dataclasses.replace(demo_state, api_url="https://reader:s3cret@api.pagerduty.example/v2?token=abc#x")
    save_snapshot(snapshot, tmp_path / "snap.json")
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "catalog-info.yaml").write_text(CATALOG)
    result = insights("run", "--catalog", "cat", "--pagerduty-snapshot", "snap.json", "--db", "sqlite:///r.db",
                      "--out", "out")
    assert result.exit_code in (0, 1), result.output
    [account] = stored_accounts(tmp_path)
    assert account == {"account": "default", "api_url": "https://api.pagerduty.example/v2",
                       "collected_at": demo_state.collected_at, "requests": sum(demo_state.requests.values()),
                       "response_source": demo_state.incident_response.get("source")}
    assert "PagerDuty default: https://api.pagerduty.example/v2, collected" in result.output
    for name in ("report.md", "report.html"):
        assert "s3cret" not in (tmp_path / "out" / name).read_text()
    assert public_url("https://api.pagerduty.com") == "https://api.pagerduty.com"
