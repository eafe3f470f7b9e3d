from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import collect
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
    # Bulk: one request per list, plus one per tag and tagged type, whatever the number of entities.
    tags = len({label for labels in demo_state.tags.values() for label in labels})
    assert state.requests == {"GET /escalation_policies": 1, "GET /incidents": 1, "GET /oncalls": 1,
                              "GET /services": 1, "GET /tags": 1, "GET /tags/{id}/escalation_policies": tags,
                              "GET /tags/{id}/teams": tags, "GET /teams": 1}
    assert sum(state.requests.values()) == len(simulator.requests)


def test_services_carry_integrations_with_keys_for_resolution(simulator):
    client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
    profile = next(s for s in collect(client).services if s["id"] == "PUSRPRF")
    assert profile["integrations"][0]["integration_key"] == "8c1f3e2a9b7d4c6e8f0a1b2c3d4e5f60"
    assert profile["escalation_policy"]["escalation_rules"]


def test_snapshot_round_trip(tmp_path, demo_state):
    save_snapshot(demo_state, tmp_path / "snap.json")
    assert load_snapshot(tmp_path / "snap.json") == demo_state
