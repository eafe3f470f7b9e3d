"""The machine formats: report.json (summary), entities.jsonl (and gzip), CSV (and gzip), JUnit of failing
and unknown cases, Parquet; the format registry; and reports put in place whole."""

import csv
import gzip
import io
import json
import subprocess
import sys
from xml.etree import ElementTree

import pandas as pd
import pytest

from insights.report import formats, write_reports
from insights.report.machine import render_csv
from insights.report.view import load_view
from tests.report.conftest import store_run

EVERY = formats.NAMES


@pytest.fixture()
def demo_reports(store, demo_catalog, demo_state, demo_now, tmp_path):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    view = load_view(store, run_id)
    return view, write_reports(store, view, tmp_path / "reports", EVERY)


def test_report_json_is_the_run_and_its_summary_and_points_at_the_entities(demo_reports):
    view, written = demo_reports
    data = json.loads(written["json"].read_text())
    assert data["schema"] == "insights.report/2" and data["entities_file"] == "entities.jsonl"
    assert "entities" not in data
    assert data["summary"]["unknown"] == sum(data["summary"]["unknown_reasons"].values()) == view.summary()["unknown"]
    assert {t["team"]: t["entities"] for t in data["teams"]}["payments"] == 4
    assert {o["service_id"] for o in data["organisation"] if o["kind"] == "orphan-service"} == {"PLEGACY"}


def test_entities_jsonl_streams_the_run_then_one_entity_a_line(demo_reports):
    view, written = demo_reports
    lines = written["jsonl"].read_text().splitlines()
    assert lines == gzip.decompress(written["jsonl.gz"].read_bytes()).decode().splitlines()
    first, *entities = map(json.loads, lines)
    assert first["record"] == "run" and first["schema"] == "insights.report/2" and first["run"]["id"] == view.run["id"]
    assert len(entities) == len(view.entities) and {e["record"] for e in entities} == {"entity"}
    checkout = next(e for e in entities if e["ref"] == "component:default/checkout")
    assert checkout["team"] == "payments" and checkout["facts"]["pagerduty.escalation_levels"] == 1
    assert len(checkout["checks"]) == len(view.checks) and checkout["checks"]["escalation-two-levels"] == "fail"
    failing = {c["check_id"]: c for c in checkout["details"] if c["outcome"] == "fail"}
    assert set(failing) == {c for c, outcome in checkout["checks"].items() if outcome == "fail"}
    assert "PEPCHK1" in failing["escalation-two-levels"]["fix"]
    readiness = next(s for s in checkout["scorecards"] if s["scorecard_id"] == "pagerduty-readiness")
    assert readiness["next_level"] == "Silver" and readiness["blocking"] == ["escalation-two-levels"]
    assert checkout["links"]["pagerduty.escalation_policy_url"].endswith("/PEPCHK1")


def test_csv_carries_every_entity_and_check_plain_or_compressed(demo_reports):
    view, written = demo_reports
    rows = list(csv.DictReader(io.StringIO(written["csv"].read_text())))
    assert gzip.decompress(written["csv.gz"].read_bytes()).decode() == written["csv"].read_text() == render_csv(view)
    assert len(rows) == len(view.results)
    checkout = next(r for r in rows if r["entity_ref"] == "component:default/checkout"
                    and r["check_id"] == "escalation-two-levels")
    assert (checkout["team"], checkout["outcome"]) == ("payments", "fail") and "PEPCHK1" in checkout["fix"]


def test_junit_lists_failing_and_unknown_cases_and_summarises_the_rest(demo_reports):
    view, written = demo_reports
    root = ElementTree.fromstring(written["junit"].read_bytes())
    suite = root.find("testsuite[@name='escalation-two-levels']")
    rows = view.results[view.results["check_id"] == "escalation-two-levels"]["outcome"].value_counts()
    assert int(suite.get("tests")) == rows.get("fail", 0) + rows.get("unknown", 0) + 1
    properties = {p.get("name"): int(p.get("value")) for p in suite.find("properties")}
    assert properties == {o: int(rows.get(o, 0)) for o in ("pass", "fail", "unknown", "waived", "not-applicable")}
    failure = suite.find("testcase[@name='component:default/checkout']/failure")
    assert failure.get("message") == "pagerduty.escalation_unique_levels is 1, expected >= 2"
    assert "Add a second level" in failure.text
    passing = [c for c in suite.findall("testcase") if not len(c)]
    assert len(passing) == 1 and f"{rows.get('pass', 0)} pass" in passing[0].get("name")
    assert sum(int(s.get("failures")) for s in root) == view.summary()["failed"]
    assert sum(int(s.get("skipped")) for s in root) == view.summary()["unknown"]
    assert len(root.findall("testsuite/testcase")) == view.summary()["failed"] + view.summary()["unknown"] + len(root)


def test_parquet_holds_typed_facts_and_every_result(demo_reports):
    view, written = demo_reports
    facts = pd.read_parquet(written["parquet"])
    results = pd.read_parquet(written["parquet"].parent / "results.parquet")
    assert len(facts) == len(view.entities) and len(results) == len(view.results)
    checkout = facts.set_index("entity_ref").loc["component:default/checkout"]
    assert checkout["pagerduty.escalation_levels"] == 1 and checkout["team"] == "payments"
    assert str(facts["pagerduty.escalation_levels"].dtype) == "Int64" and str(facts["catalog.has_owner"].dtype) == "boolean"
    assert json.loads(checkout["catalog.tags"]) == list(view.facts.loc["component:default/checkout", "catalog.tags"])
    assert set(results["outcome"]) <= {"pass", "fail", "unknown", "waived", "not-applicable"}


def test_parquet_is_skipped_with_advice_when_pyarrow_is_missing(store, demo_catalog, demo_state, demo_now, tmp_path):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    script = ("import sys, logging; sys.modules['pyarrow'] = None; logging.basicConfig();"
              "import importlib.util; importlib.util.find_spec = lambda name, *a: None if name == 'pyarrow' else "
              "__import__('importlib.machinery').machinery.PathFinder.find_spec(name);"
              "from insights.cli import main; sys.argv = ['insights', 'report', '--db', sys.argv[1], '--out', sys.argv[2],"
              " '--format', 'parquet', '--format', 'md']; main()")
    done = subprocess.run([sys.executable, "-c", script, store.url, str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "parquet report skipped: pyarrow is not installed; pip install 'insights-scorecards[parquet]'" in done.stderr
    assert (tmp_path / "out" / "report.md").is_file() and not (tmp_path / "out" / "facts.parquet").exists()
    assert run_id == 1


def test_the_registry_feeds_the_command_line():
    from insights.cli import report

    choices = next(p for p in report.params if p.name == "formats").type.choices
    assert tuple(choices) == formats.NAMES
    assert set(formats.DEFAULT) == {"md", "teams", "html", "json", "jsonl", "csv", "junit"}


def test_a_failed_write_leaves_the_previous_reports_whole(store, demo_catalog, demo_state, demo_now, tmp_path,
                                                          monkeypatch):
    out = tmp_path / "reports"
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    write_reports(store, view, out, ("md", "teams", "html"))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    class Broken(formats.Format):
        """A writer that fails half-way, as on a full disk."""

        def write(self, view, folder):
            (folder / "teams").mkdir()
            (folder / "teams" / "half.md").write_text("half")
            raise OSError(28, "No space left on device")

    monkeypatch.setitem(formats.REGISTRY, "teams", Broken("teams", "", ""))
    from insights.errors import InsightsError

    with pytest.raises(InsightsError, match="No space left on device"):
        write_reports(store, view, out, ("md", "teams"))
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".insights-")]


def test_a_second_write_replaces_folders_whole(store, demo_catalog, demo_state, demo_now, tmp_path):
    out = tmp_path / "reports"
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    write_reports(store, view, out, ("teams",))
    (out / "teams" / "old-team.md").write_text("a team that no longer exists")
    write_reports(store, view, out, ("teams",))
    assert not (out / "teams" / "old-team.md").exists() and (out / "teams" / "payments.md").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".insights-")]
