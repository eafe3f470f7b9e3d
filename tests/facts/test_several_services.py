"""An entity that names several PagerDuty services, comma-separated: its facts hold when they hold for every
service, each service's own values are listed, and duplicates or invalid items are reported."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from insights.facts import causes as why
from insights.facts.registry import compute_fact_table

REF = "component:default/storefront"
PAYMENTS = "component:default/payments"


def storefront(descriptor, entities, annotations, lifecycle="production"):
    return entities(descriptor("Component", "storefront", annotations, type="service", lifecycle=lifecycle,
                               owner="payments"),
                    descriptor("Component", "payments", {"pagerduty.com/service-id": "PPAYAPI"}, type="service",
                               lifecycle="production", owner="payments"))


def test_facts_hold_for_every_service(descriptor, entities, demo_state, demo_now, evaluated):
    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PPAYAPI, PBILLWK,PSEARCH"})
    table, results = evaluated(catalog, demo_state, demo_now)
    facts, single = table.values.loc[REF], {
        s: compute_fact_table(storefront(descriptor, entities, {"pagerduty.com/service-id": s}), demo_state,
                              demo_now).values.loc[REF] for s in ("PPAYAPI", "PBILLWK", "PSEARCH")}
    assert facts["pagerduty.service_ids"] == ["PPAYAPI", "PBILLWK", "PSEARCH"]
    assert facts["pagerduty.service_count"] == 3 and facts["pagerduty.service_id"] == "PPAYAPI, PBILLWK, PSEARCH"
    # The fewest levels, the sum of open incidents, the oldest open incident, on call only if on call everywhere.
    assert facts["pagerduty.escalation_levels"] == min(f["pagerduty.escalation_levels"] for f in single.values())
    assert facts["pagerduty.open_incidents"] == sum(f["pagerduty.open_incidents"] for f in single.values())
    assert facts["pagerduty.oldest_open_incident_age_hours"] == max(
        f["pagerduty.oldest_open_incident_age_hours"] for f in single.values()
        if f["pagerduty.oldest_open_incident_age_hours"] is not None)
    assert facts["pagerduty.has_oncall"] == all(f["pagerduty.has_oncall"] for f in single.values())
    assert facts["pagerduty.service_found"] is True
    assert facts["pagerduty.service_teams"] == list(dict.fromkeys(
        t for f in single.values() for t in f["pagerduty.service_teams"]))
    # Each service's own values, one line each.
    lines = facts["pagerduty.services"]
    assert [line.split(" ")[0] for line in lines] == ["PPAYAPI", "PBILLWK", "PSEARCH"]
    assert lines == [single[s]["pagerduty.services"][0] for s in ("PPAYAPI", "PBILLWK", "PSEARCH")]
    assert f"{single['PBILLWK']['pagerduty.open_incidents']} open incident(s)" in lines[1]
    # Checks judge the combined values: three open incidents on billing alone fail the entity.
    assert results.loc[("few-open-incidents", REF), "outcome"] == (
        "pass" if facts["pagerduty.open_incidents"] <= 3 else "fail")
    # Sharing is per entity: payments-api's service is also the storefront's.
    assert facts["pagerduty.service_shared_with"] == [PAYMENTS]
    assert table.values.loc[PAYMENTS, "pagerduty.service_shared_with"] == [REF]


def test_one_missing_service_makes_the_entity_fail_where_it_matters(descriptor, entities, demo_state, demo_now,
                                                                    evaluated):
    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PPAYAPI, PZZ9RNK"})
    table, results = evaluated(catalog, demo_state, demo_now)
    facts = table.values.loc[REF]
    assert facts["pagerduty.service_found"] is False
    assert facts["pagerduty.escalation_levels"] is None  # unknown for the missing one: no minimum
    assert table.causes.loc[REF, "policy"] == why.ID_NOT_FOUND
    assert results.loc[("pagerduty-service-exists", REF), "outcome"] == "fail"
    assert facts["pagerduty.services"][1] == "PZZ9RNK: not found in PagerDuty"


def test_a_mix_of_valid_and_invalid_ids(descriptor, entities, demo_state, demo_now, evaluated):
    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PPAYAPI, p-bad, ${{ values.id }}"})
    table, results = evaluated(catalog, demo_state, demo_now)
    facts = table.values.loc[REF]
    assert facts["pagerduty.annotation_valid"] is False and facts["pagerduty.service_id_placeholder"] is True
    assert results.loc[("pagerduty-annotation-valid", REF), "outcome"] == "fail"
    # The service the valid id names is judged; the invalid items name none.
    assert facts["pagerduty.service_ids"] == ["PPAYAPI"] and facts["pagerduty.service_found"] is True


def test_duplicates_are_a_fact(descriptor, entities, demo_state, demo_now):
    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PPAYAPI, PPAYAPI"})
    facts = compute_fact_table(catalog, demo_state, demo_now).values.loc[REF]
    assert facts["pagerduty.annotation_duplicates"] == ["PPAYAPI"] and facts["pagerduty.service_count"] == 1
    assert facts["pagerduty.service_id"] == "PPAYAPI" and facts["pagerduty.annotation_valid"] is True


def test_several_integration_keys(descriptor, entities, demo_state, demo_now):
    keys = {s["id"]: s["integrations"][0]["integration_key"] for s in demo_state.services}
    catalog = storefront(descriptor, entities, {"pagerduty.com/integration-key": f"{keys['PPAYAPI']},{keys['PSEARCH']}"})
    facts = compute_fact_table(catalog, demo_state, demo_now).values.loc[REF]
    assert facts["pagerduty.service_ids"] == ["PPAYAPI", "PSEARCH"] and facts["pagerduty.resolved_by"] == "integration-key"
    unknown_key = "f" * 32
    catalog = storefront(descriptor, entities, {"pagerduty.com/integration-key": f"{keys['PPAYAPI']}, {unknown_key}"})
    table = compute_fact_table(catalog, demo_state, demo_now)
    assert table.values.loc[REF, "pagerduty.service_found"] is False  # a key that matches no service


def test_an_entity_naming_one_service_keeps_its_path(descriptor, entities, demo_state, demo_now):
    """No entity names several: nothing is expanded, and the facts are those of the one service."""
    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PSEARCH"})
    facts = compute_fact_table(catalog, demo_state, demo_now).values.loc[REF]
    assert facts["pagerduty.service_ids"] == ["PSEARCH"] and facts["pagerduty.service_count"] == 1
    assert len(facts["pagerduty.services"]) == 1


def test_catalog_findings_for_lists(entities):
    from insights.catalog.parse import parse_file

    text = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  annotations:\n"
            "    pagerduty.com/service-id: 'PPAYAPI, PPAYAPI, p-bad,'\nspec:\n  type: service\n  lifecycle: production\n"
            "  owner: team\n")
    findings = parse_file(text, source="t", repository="r", path="p")[1]
    assert sorted((f.code, f.severity) for f in findings) == [
        ("annotation-duplicate", "warning"), ("annotation-malformed", "error"), ("annotation-malformed", "error")]
    assert any("'p-bad'" in f.message and "item" in f.message for f in findings)
    assert any("empty item" in f.message for f in findings)


def test_explain_shows_each_services_values(tmp_path, demo_state):
    from insights.pagerduty.state import save_snapshot

    save_snapshot(demo_state, tmp_path / "snap.json")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: storefront\n  annotations:\n"
        "    pagerduty.com/service-id: PPAYAPI, PSEARCH\nspec:\n  type: service\n  lifecycle: production\n"
        "  owner: payments\n")
    script = Path(sys.executable).parent / "insights"
    environment = {k: v for k, v in os.environ.items() if k not in ("PAGERDUTY_TOKEN", "INSIGHTS_DB_URL")}
    run = subprocess.run([str(script), "run", "--catalog", "catalog", "--pagerduty-snapshot", "snap.json"],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    explained = subprocess.run([str(script), "explain", "storefront"], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=120).stdout
    line = next(line for line in explained.splitlines() if line.strip().startswith("pagerduty.services ="))
    assert "PPAYAPI (payments-api): " in line and "PSEARCH (Search API (Production)): " in line


def test_the_collection_fetches_every_named_service(simulator, descriptor, entities, demo_now):
    """An annotation naming several services, as a catalog gives it, selects each of them."""
    from insights.pagerduty.client import ClientSettings, PagerDutyClient
    from insights.pagerduty.collect import CollectOptions, collect, wanted_from

    catalog = storefront(descriptor, entities, {"pagerduty.com/service-id": "PSEARCH, PINDEXR"})
    assert wanted_from(catalog).service_ids == {"PSEARCH", "PINDEXR", "PPAYAPI"}
    client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
    state = collect(client, CollectOptions(tags=False, service_ids=frozenset({"PSEARCH, PINDEXR"})))
    policies = {o["escalation_policy"]["id"] for o in state.oncalls}
    assert {"PEPSRC1", "PEPSRC2"} <= policies and "PEPPAY1" not in policies
    facts = compute_fact_table(catalog, state, demo_now).values.loc[REF]
    assert facts["pagerduty.has_oncall"] is not None and len(facts["pagerduty.services"]) == 2
