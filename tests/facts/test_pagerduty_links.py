"""Links to the level-1 schedule (classic or v3) and to the oldest open incident: facts taken from the
`html_url` PagerDuty gives, named in the fixes that send an owner there, and collected over HTTP."""

import dataclasses

from insights.facts import causes as why

DATA, BILLING = "component:default/etl-scheduler", "component:default/billing-worker"
PAYMENTS, SEARCH = "component:default/payments-api", "component:default/search-api"
WEB = "https://acme.pagerduty.com"


def target(kind: str, target_id: str, link: bool = True) -> dict:
    return {"type": kind, "id": target_id, **({"html_url": f"{WEB}/schedules/{target_id}"} if link else {})}


def with_level1(state, policy_id: str, targets: list[dict], coverage: dict | None = None):
    policies = [dict(p, escalation_rules=[{"id": "R1", "escalation_delay_in_minutes": 30, "targets": targets}])
                if p["id"] == policy_id else p for p in state.escalation_policies]
    return dataclasses.replace(state, escalation_policies=policies,
                               schedule_coverage={**state.schedule_coverage, **(coverage or {})})


def test_the_level1_schedule_link_is_the_lowest_covered_classic_or_v3_schedule(demo_catalog, demo_state, demo_now,
                                                                               evaluated):
    targets = [target("schedule_reference", "PSCHDAT"), target("schedule_v3_reference", "PSV3DAT")]
    state = with_level1(demo_state, "PEPDAT2", targets, {"PSCHDAT": 100.0, "PSV3DAT": 80.0})
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    assert table.values.loc[DATA, "pagerduty.level1_schedule_url"] == f"{WEB}/schedules/PSV3DAT"
    fix = " ".join(results.loc[("oncall-coverage-7d", DATA), "fix"].split())
    assert f"or add overrides, at {WEB}/schedules/PSV3DAT." in fix and "escalation_policies" not in fix
    # Classic lowest: the classic one's link.
    state = with_level1(demo_state, "PEPDAT2", targets, {"PSCHDAT": 50.0, "PSV3DAT": 80.0})
    table, _ = evaluated(demo_catalog.entities, state, demo_now)
    assert table.values.loc[DATA, "pagerduty.level1_schedule_url"] == f"{WEB}/schedules/PSCHDAT"


def test_without_coverage_the_first_schedule_and_without_a_schedule_or_link_a_cause(demo_catalog, demo_state,
                                                                                    demo_now, evaluated):
    users_first = [{"type": "user_reference", "id": "PUSR008"}, target("schedule_v3_reference", "PSV3DAT")]
    state = dataclasses.replace(with_level1(demo_state, "PEPDAT2", users_first), schedule_coverage={})
    table, _ = evaluated(demo_catalog.entities, state, demo_now)
    assert table.values.loc[DATA, "pagerduty.level1_schedule_url"] == f"{WEB}/schedules/PSV3DAT"
    for targets, cause in (([{"type": "user_reference", "id": "PUSR008"}], why.NO_LEVEL1_SCHEDULE),
                           ([target("schedule_reference", "PSCHDAT", link=False)], why.NO_SCHEDULE_LINK)):
        table, _ = evaluated(demo_catalog.entities, with_level1(demo_state, "PEPDAT2", targets), demo_now)
        assert table.values.loc[DATA, "pagerduty.level1_schedule_url"] is None
        assert table.causes.loc[DATA, "level1_schedule"] == cause


def test_the_oldest_open_incident_link(demo_catalog, demo_state, demo_now, evaluated):
    table, results = evaluated(demo_catalog.entities, demo_state, demo_now)
    facts = table.values
    # billing_worker: four open incidents; PIN0101 is the oldest (PIN0106 of payments is resolved).
    assert facts.loc[BILLING, "pagerduty.oldest_open_incident_url"] == f"{WEB}/incidents/PIN0101"
    assert facts.loc[SEARCH, "pagerduty.oldest_open_incident_url"] == f"{WEB}/incidents/PIN0105"
    assert facts.loc[PAYMENTS, "pagerduty.oldest_open_incident_url"] is None
    assert table.causes.loc[PAYMENTS, "oldest_incident_link"] == why.NO_OPEN_INCIDENT
    fix = " ".join(results.loc[("no-stale-incidents", BILLING), "fix"].split())
    assert f"Resolve it at {WEB}/incidents/PIN0101 or turn it into a ticket." in fix
    unlinked = dataclasses.replace(demo_state, incidents=[{k: v for k, v in i.items() if k != "html_url"}
                                                          for i in demo_state.incidents])
    table, _ = evaluated(demo_catalog.entities, unlinked, demo_now)
    assert table.values.loc[BILLING, "pagerduty.oldest_open_incident_url"] is None
    assert table.causes.loc[BILLING, "oldest_incident_link"] == why.NO_INCIDENT_LINK


def test_the_links_survive_collection_over_http(demo_catalog, simulator):
    """Through the simulator: the policy's schedule references and the incidents keep their html_url."""
    from datetime import datetime, timezone

    from insights.facts.registry import compute_fact_table
    from insights.pagerduty.client import ClientSettings, PagerDutyClient
    from insights.pagerduty.collect import CollectOptions, collect

    client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
    collected = collect(client, CollectOptions())
    facts = compute_fact_table(demo_catalog.entities, collected, datetime.now(timezone.utc)).values
    assert facts.loc[PAYMENTS, "pagerduty.level1_schedule_url"] == f"{WEB}/schedules/PSCHPAY"
    assert facts.loc[BILLING, "pagerduty.oldest_open_incident_url"] == f"{WEB}/incidents/PIN0101"
