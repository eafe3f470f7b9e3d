"""Reports rendered from a stored run: escaping, size limits, and what changed between runs."""

import dataclasses
import json

import pytest

from insights.catalog.model import Catalog, Entity
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.report import html, machine, markdown, teams, write_reports
from insights.report.view import load_view
from insights.resources import default_config
from insights.store import Store


def store_run(store, catalog, state, now):
    bundle = evaluate_run(load_config(default_config()), catalog, state, now)
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["test"])
    store.save_run(run_id, bundle)
    return run_id


@pytest.fixture()
def store(sqlite_url):
    return Store(sqlite_url)


def test_strings_from_the_catalog_and_pagerduty_are_escaped(store, demo_catalog, demo_state, demo_now):
    hostile = "<script>alert('x')</script>"
    entities = [dataclasses.replace(e, description=hostile) if e.name == "checkout" else e
                for e in demo_catalog.entities]
    services = [dict(s, name=hostile) if s["id"] == "PLEGACY" else s for s in demo_state.services]
    state = dataclasses.replace(demo_state, services=services)
    run_id = store_run(store, Catalog(tuple(entities), demo_catalog.findings), state, demo_now)
    page = html.render(load_view(store, run_id))
    assert hostile not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert page.count("<script>") == 3  # Chart.js, the charts, and the sorting/filtering script
    assert "<script>alert" not in page


def test_markdown_stays_under_the_limit_for_a_large_catalog(store, demo_state, demo_now):
    entities = tuple(Entity(ref=f"component:default/svc-{i}", kind="component", namespace="default",
                            name=f"svc-{i}", owner=f"group:default/team-{i % 40}", type="service",
                            lifecycle="production", annotations={"pagerduty.com/service-id": "PNOSUCH"},
                            path=f"svc-{i}/catalog-info.yaml", line=1) for i in range(3000))
    run_id = store_run(store, Catalog(entities, ()), demo_state, demo_now)
    text = markdown.render(load_view(store, run_id))
    assert len(text) < markdown.LIMIT
    assert "more team sections left out" in text and "see report.html or report.json" in text


def test_second_run_reports_what_changed(store, demo_catalog, demo_state, demo_now):
    first = store_run(store, demo_catalog, demo_state, demo_now)
    fixed = [dict(s, description="now described") if s["id"] == "PMETRIC" else s for s in demo_state.services]
    extra = Entity(ref="component:default/newcomer", kind="component", namespace="default", name="newcomer",
                   owner="group:default/data", type="service", lifecycle="production", path="x.yaml", line=1)
    gone = [e for e in demo_catalog.entities if e.name != "ranking"] + [extra]
    second = store_run(store, Catalog(tuple(gone), ()), dataclasses.replace(demo_state, services=fixed), demo_now)
    view = load_view(store, second)
    changes = view.changes
    assert changes["previous_run_id"] == first
    assert {"entity_ref": "component:default/metrics-gateway", "check_id": "pagerduty-service-described"} in \
        changes["newly_passing"]
    assert "component:default/newcomer" in changes["new_entities"]
    assert changes["removed_entities"] == ["component:default/ranking"]
    assert any(x["entity_ref"] == "component:default/newcomer" and x["check_id"] == "pagerduty-annotation"
               for x in changes["newly_failing"])
    assert "newly passing: `component:default/metrics-gateway` pagerduty-service-described" in markdown.render(view)
    assert list(view.trend["run_id"]) == [first, second]
    assert view.trend["pass_rate"].between(0, 100).all() and view.trend["mean_score"].notna().all()
    assert len(view.results) == len(view.checks) * len(view.entities)  # the run's own picture, not the trend's
    assert list(load_view(store, first).trend["run_id"]) == [first]  # later runs stay out of an earlier trend


def test_json_report_has_a_versioned_schema_and_every_entity(store, demo_catalog, demo_state, demo_now):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    data = json.loads(machine.render_json(load_view(store, run_id), store.facts(run_id)))
    assert data["schema"] == "insights.report/1"
    checkout = next(e for e in data["entities"] if e["ref"] == "component:default/checkout")
    assert checkout["facts"]["pagerduty.escalation_levels"] == 1
    failing = {c["check_id"]: c for c in checkout["checks"] if c["outcome"] == "fail"}
    assert "escalation-two-levels" in failing and "PEPCHK1" in failing["escalation-two-levels"]["fix"]
    assert {o["service_id"] for o in data["organisation"] if o["kind"] == "orphan-service"} == {"PLEGACY"}


def test_team_file_holds_only_that_teams_entities_with_fixes(store, demo_catalog, demo_state, demo_now, tmp_path):
    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    written = write_reports(store, load_view(store, run_id), tmp_path)
    payments = (written["teams"] / "payments.md").read_text()
    assert "## checkout" in payments and "Add a second level" in payments
    assert "indexer" not in payments
    assert teams.file_name("(no owner)").startswith("no-owner~")
    assert (written["teams"] / f"{teams.file_name('(no owner)')}.md").is_file()


def test_csv_and_junit_carry_every_entity_and_check(store, demo_catalog, demo_state, demo_now):
    import csv as csvlib
    import io
    from xml.etree import ElementTree

    run_id = store_run(store, demo_catalog, demo_state, demo_now)
    view = load_view(store, run_id)
    rows = list(csvlib.DictReader(io.StringIO(machine.render_csv(view))))
    assert len(rows) == len(view.results)
    checkout = next(r for r in rows if r["entity_ref"] == "component:default/checkout"
                    and r["check_id"] == "escalation-two-levels")
    assert (checkout["team"], checkout["outcome"]) == ("payments", "fail") and "PEPCHK1" in checkout["fix"]
    root = ElementTree.fromstring(machine.render_junit(view))
    suite = root.find("testsuite[@name='escalation-two-levels']")
    assert int(suite.get("tests")) == len(view.entities)
    failure = suite.find("testcase[@name='component:default/checkout']/failure")
    assert failure.get("message") == "pagerduty.escalation_unique_levels is 1, expected >= 2"
    assert "Add a second level" in failure.text
    assert sum(int(s.get("failures")) for s in root) == view.summary()["failed"]
