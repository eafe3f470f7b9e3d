import dataclasses

import pytest

from insights.errors import PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.response import ResponseOptions
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import load_snapshot, save_snapshot


def test_collect_gets_the_whole_account_in_bulk(simulator, demo_state):
    client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
    state = collect(client)
    assert {s["id"] for s in state.services} == {s["id"] for s in demo_state.services}
    assert len(state.escalation_policies) == len(demo_state.escalation_policies)
    # The indexing policy's level-1 shift ended last week: the API, asked about now, does not return it.
    assert len(state.oncalls) == len(demo_state.oncalls) - 1
    # Open incidents only, including one older than the API's default one-month window.
    assert sorted(i["id"] for i in state.incidents) == sorted(
        i["id"] for i in demo_state.incidents if i["status"] != "resolved")
    assert state.tags["escalation_policies/PEPPAY1"] == demo_state.tags["escalation_policies/PEPPAY1"]
    # Bulk: one request per list whatever the number of entities; tags by the cheaper way (17 tags
    # would take 34 requests, the 9 policies and 5 teams take 14).
    assert state.requests == {"GET /escalation_policies": 1, "GET /escalation_policies/{id}/tags": 9,
                              "GET /incidents": 1, "GET /oncalls": 1, "GET /services": 1, "GET /tags": 1,
                              "GET /teams": 1, "GET /teams/{id}/tags": 5}
    assert sum(state.requests.values()) == len(simulator.requests)


def test_services_carry_integrations_with_keys_for_resolution(simulator):
    client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
    profile = next(s for s in collect(client).services if s["id"] == "PUSRPRF")
    assert profile["integrations"][0]["integration_key"] == "8c1f3e2a9b7d4c6e8f0a1b2c3d4e5f60"
    assert profile["escalation_policy"]["escalation_rules"]


def test_snapshot_round_trip(tmp_path, demo_state):
    save_snapshot(demo_state, tmp_path / "snap.json")
    assert load_snapshot(tmp_path / "snap.json") == demo_state
    response = {"source": "incidents", "since": "2026-10-24T00:00:00Z", "until": "2026-11-23T00:00:00Z",
                "fallback": "POST /analytics/metrics/incidents/services answered HTTP 403",
                "services": {"PPAYAPI": {"total_incident_count": 2, "p90_seconds_to_resolve": 61.5,
                                         "p90_seconds_to_first_ack": None}}}
    with_response = dataclasses.replace(demo_state, incident_response=response)
    save_snapshot(with_response, tmp_path / "snap.json")
    assert load_snapshot(tmp_path / "snap.json") == with_response


@pytest.mark.parametrize("change, message", [
    ({"services": None}, "services is null, expected a list"),
    ({"oncalls": [{"escalation_policy": "PEPPAY1"}]}, "oncalls[0].escalation_policy is the string 'PEPPAY1', "
                                                     "expected an object"),
    ({"tags": {"teams/PT1": "team:x"}}, "tags.teams/PT1 is the string 'team:x', expected a list"),
    ({"collected_at": "last night"}, "collected_at is the string 'last night', expected an ISO 8601 time"),
    ({"incident_response": {"services": {"PPAYAPI": {"total_incident_count": "12"}}}},
     "incident_response.services.PPAYAPI.total_incident_count is the string '12', expected an integer"),
])
def test_a_broken_snapshot_is_a_clear_error(tmp_path, demo_state, change, message):
    import json

    from insights.errors import ConfigError

    path = tmp_path / "snap.json"
    path.write_text(json.dumps({**demo_state.to_json(), **change}))
    with pytest.raises(ConfigError) as error:
        load_snapshot(path)
    assert str(error.value) == f"{path}: not a usable PagerDuty snapshot: {message}"


def big_account(demo_state, services=10_050, teams=3, incidents_per_service=0, teamless=0):
    team_refs = [{"id": f"PT{t:05d}", "type": "team_reference", "summary": f"t{t}"} for t in range(teams)]
    policy = {"id": "PEBIG01", "type": "escalation_policy_reference", "summary": "big"}
    listed = [{"id": f"P{i:06d}", "type": "service", "name": f"s{i:05d}", "escalation_policy": policy,
               "teams": [] if i < teamless else [team_refs[i % teams]]} for i in range(services)]
    incidents = [{"id": f"Q{i:07d}", "type": "incident", "status": "triggered", "urgency": "low",
                  "created_at": "2026-11-01T00:00:00Z", "service": {"id": s["id"], "type": "service_reference"}}
                 for s in listed for i in [len(listed) * k + int(s["id"][1:]) for k in range(incidents_per_service)]]
    return dataclasses.replace(demo_state, services=listed, incidents=incidents,
                               teams=[{**t, "type": "team", "name": t["summary"]} for t in team_refs],
                               escalation_policies=[{**policy, "type": "escalation_policy", "name": "big",
                                                     "escalation_rules": []}], oncalls=[], tags={})


def fast_client(url):
    return PagerDutyClient("test-token", ClientSettings(base_url=url, requests_per_minute=1_000_000))


def test_services_past_the_offset_cap_are_fetched_team_by_team(demo_state):
    with Simulator(big_account(demo_state), SimulatorSettings(token="test-token")) as sim:
        state = collect(fast_client(sim.url), CollectOptions(tags=False, service_ids=frozenset()))
    assert len({s["id"] for s in state.services}) == 10_050


def test_services_without_a_team_past_the_cap_are_a_clear_error(demo_state):
    with Simulator(big_account(demo_state, teamless=60), SimulatorSettings(token="test-token")) as sim:
        with pytest.raises(PagerDutyError, match="60 of 10050 belong to no team and cannot be listed"):
            collect(fast_client(sim.url), CollectOptions(tags=False))


def test_open_incidents_past_the_cap_are_split_by_service_batches(demo_state):
    account = big_account(demo_state, services=120, teams=1, incidents_per_service=90)  # 10,800 incidents
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        client = fast_client(sim.url)
        state = collect(client, CollectOptions(tags=False))
    assert len(state.incidents) == 10_800 and len({i["id"] for i in state.incidents}) == 10_800


def test_optional_schedule_coverage_and_standards(simulator, demo_catalog, demo_now):
    from insights.facts.registry import compute_facts

    client = fast_client(simulator.url)
    state = collect(client, CollectOptions(schedule_coverage=True, standards=True))
    assert state.schedule_coverage["PSCHIDX"] == 57.1 and "PSCHPAY" in state.schedule_coverage
    assert state.standards["PCHKOUT"] == {"passing": 5, "total": 8}
    assert client.counts["GET /standards/scores/{resource_type}"] == 1
    facts = compute_facts(demo_catalog.entities, state, demo_now)
    assert facts.loc["component:default/indexer", "pagerduty.schedule_coverage_7d"] == 57.1
    assert facts.loc["component:default/checkout", "pagerduty.standards_score"] == 62.5
    without = collect(fast_client(simulator.url))
    assert compute_facts(demo_catalog.entities, without, demo_now).loc[
        "component:default/indexer", "pagerduty.schedule_coverage_7d"] is None


def test_each_standards_result_is_collected_over_http():
    from datetime import datetime, timezone

    from insights.facts.registry import compute_fact_table
    from insights.pagerduty.generate import generate

    generated = generate(120, 120, seed=4)
    with Simulator(generated.state, SimulatorSettings(token="test-token")) as sim:
        client = fast_client(sim.url)
        state = collect(client, CollectOptions(tags=False, standards=True))
    assert client.counts["GET /standards/scores/{resource_type}"] == 2  # 120 services, 100 a request
    assert state.standards == generated.state.standards
    facts = compute_fact_table(generated.entities(), state, datetime.now(timezone.utc)).values
    failing = facts["pagerduty.standards_failing"].dropna()
    assert len(failing) > 50 and any("Service has an extension or add-on (e.g. Slack, etc.)" in f for f in failing)


@pytest.mark.parametrize("response", [None, True, False], ids=["lists", "and-analytics", "and-incident-list"])
def test_request_count_stays_within_a_tenth_of_the_lower_bound(tmp_path, response):
    """Deterministic: the list pages a generated account takes, against the fewest pages of 100 that
    carry its services, policies, teams, wanted on-calls and open incidents (and, when collected, the
    incident response of the window)."""
    from insights.catalog.sources import Source, crawl
    from insights.pagerduty.cost import fewest_list_requests, fewest_response_requests
    from insights.pagerduty.generate import generate, write_catalog
    from insights.pipeline import wanted_services

    generated = generate(600, 3000, seed=3)
    write_catalog(generated.catalog, tmp_path)
    wanted = wanted_services(crawl([Source("folder", str(tmp_path))]))
    with Simulator(generated.state, SimulatorSettings(token="test-token")) as sim:
        client = fast_client(sim.url)
        state = collect(client, dataclasses.replace(wanted, tags=False, incident_response=response is not None,
                                                    response=ResponseOptions(analytics_api=bool(response))))
    pages = sum(client.counts.values())
    assert pages <= 1.1 * (fewest_list_requests(state) + fewest_response_requests(state)), (pages, dict(client.counts))
    assert state.incident_response.get("source") == {None: None, True: "analytics", False: "log_entries"}[response]
