"""Incident response over a window, collected over HTTP from the simulator: the Analytics API where the account
has it, the incident list where it does not, and what each source can tell."""

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from insights.errors import PagerDutyError
from insights.pagerduty.auth import OAuthCredential
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.generate import generate
from insights.pagerduty.response import ResponseOptions, p90
from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings
from insights.pagerduty.state import parse_time

ANALYTICS = frozenset({"POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"})
OPTIONS = CollectOptions(tags=False, incident_response=True)


def client_for(url, credential="test-token"):
    return PagerDutyClient(credential, ClientSettings(base_url=url, requests_per_minute=1_000_000, backoff_s=0.01))


@pytest.fixture(scope="module")
def account():
    return generate(60, 60, seed=5).state


def expected(state, service_id: str, since: datetime, until: datetime) -> dict:
    """What the window holds for one service, worked out from the simulated incidents themselves."""
    incidents = [i for i in state.incidents if i["service"]["id"] == service_id
                 and since <= parse_time(i["created_at"]) < until]
    resolves = [(parse_time(i["resolved_at"]) - parse_time(i["created_at"])).total_seconds()
                for i in incidents if i["status"] == "resolved"]
    high_acks = [(parse_time(i["acknowledgements"][0]["at"]) - parse_time(i["created_at"])).total_seconds()
                 for i in incidents if i["urgency"] == "high" and i.get("acknowledgements")]
    return {"count": len(incidents), "high": sum(i["urgency"] == "high" for i in incidents),
            "p90_resolve": p90(resolves), "p90_high_ack": p90(high_acks)}


def window(collected):
    return parse_time(collected.incident_response["since"]), parse_time(collected.incident_response["until"])


def test_the_analytics_api_serves_counts_means_and_percentiles(account):
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        client = client_for(sim.url)
        collected = collect(client, OPTIONS)
    response = collected.incident_response
    assert response["source"] == "analytics" and "fallback" not in response
    assert set(response["services"]) == {s["id"] for s in account.services}
    since, until = window(collected)
    assert until - since == timedelta(days=30)
    busy = 0
    for service_id, metrics in response["services"].items():
        truth = expected(account, service_id, since, until)
        assert metrics["total_incident_count"] == truth["count"]
        assert metrics["high_urgency_incident_count"] == truth["high"]
        assert metrics["p90_seconds_to_resolve"] == pytest.approx(truth["p90_resolve"], abs=1)
        assert metrics["p90_seconds_to_first_ack_high_urgency"] == pytest.approx(truth["p90_high_ack"], abs=1)
        assert metrics["total_sleep_hour_interruptions"] is not None and metrics["total_escalation_count"] is not None
        busy += truth["count"] > 0
    assert busy > 30
    # One aggregate request for every service, one raw page of 1,000 incidents.
    assert client.counts["POST /analytics/metrics/incidents/services"] == 1
    assert client.counts["POST /analytics/raw/incidents"] == 1


def test_raw_incidents_are_read_page_after_page_by_cursor(account):
    many = dataclasses.replace(account, incidents=account.incidents + [
        {**i, "id": f"{i['id']}-{n}"} for n in range(7) for i in account.incidents])
    with Simulator(many, SimulatorSettings(token="test-token")) as sim:
        client = client_for(sim.url)
        collected = collect(client, OPTIONS)
    since, until = window(collected)
    total = sum(expected(many, s, since, until)["count"] for s in collected.incident_response["services"])
    assert total > 2000
    assert sum(m["total_incident_count"] for m in collected.incident_response["services"].values()) == total
    assert client.counts["POST /analytics/raw/incidents"] == -(-total // 1000)


@pytest.mark.parametrize("settings, options, credential", [
    (SimulatorSettings(token="test-token", access=Access(refused=ANALYTICS)), OPTIONS, None),
    (SimulatorSettings(token="test-token"), dataclasses.replace(OPTIONS, response=ResponseOptions(analytics_api=False)),
     None),
    (SimulatorSettings(token="test-token", oauth_client_id="app", oauth_client_secret="secret",
                       oauth_scopes=frozenset({"services.read", "escalation_policies.read", "teams.read",
                                               "oncalls.read", "incidents.read"})), OPTIONS, "oauth"),
], ids=["plan-without-analytics", "turned-off", "scope-not-granted"])
def test_without_the_analytics_api_the_incident_list_serves(account, settings, options, credential):
    with Simulator(account, settings) as sim:
        if credential == "oauth":
            credential = OAuthCredential("app", "secret", "acme", token_url=sim.url + "/oauth/token")
        client = client_for(sim.url, credential or "test-token")
        collected = collect(client, options)
        posts = [r for r in sim.requests if r.startswith("POST /analytics")]
    response = collected.incident_response
    assert response["source"] == "log_entries" and "log_entries_unavailable" not in response
    if settings.access.refused:
        assert posts == ["POST /analytics/metrics/incidents/services"]
        assert response["fallback"].startswith("POST /analytics/metrics/incidents/services answered HTTP 403")
    else:
        assert posts == [] and ("fallback" in response) == (credential is not None)
    since, until = window(collected)
    for service_id, metrics in response["services"].items():
        truth = expected(account, service_id, since, until)
        assert metrics["total_incident_count"] == truth["count"]
        assert metrics["high_urgency_incident_count"] == truth["high"]
        assert metrics["p90_seconds_to_resolve"] == truth["p90_resolve"]
        # What incident objects do not carry, the log entries tell.
        assert metrics["p90_seconds_to_first_ack_high_urgency"] == pytest.approx(truth["p90_high_ack"], abs=1)
        assert metrics["total_escalation_count"] is not None
    assert "GET /incidents" in collected.requests and "GET /log_entries" in collected.requests


def woken(state, service_id: str, since: datetime, until: datetime, zone: str) -> int:
    """High-urgency incidents of the window triggered between 22:00 and 08:00 local time in `zone`."""
    from zoneinfo import ZoneInfo

    hours = [parse_time(i["created_at"]).astimezone(ZoneInfo(zone)).hour for i in state.incidents
             if i["service"]["id"] == service_id and i["urgency"] == "high"
             and since <= parse_time(i["created_at"]) < until]
    return sum(hour >= 22 or hour < 8 for hour in hours)


def test_the_incident_list_counts_sleep_hour_interruptions_in_the_configured_time_zone(account):
    refused = SimulatorSettings(token="test-token", access=Access(refused=ANALYTICS | {"GET /log_entries"}))
    counts = {}
    for zone in ("Etc/UTC", "Asia/Tokyo"):
        options = dataclasses.replace(OPTIONS, response=ResponseOptions(time_zone=zone))
        with Simulator(account, refused) as sim:
            collected = collect(client_for(sim.url), options)
        response = collected.incident_response
        assert response["source"] == "incidents"
        assert response["log_entries_unavailable"].startswith("GET /log_entries answered HTTP 403")
        since, until = window(collected)
        counts[zone] = {s: m["total_sleep_hour_interruptions"] for s, m in response["services"].items()}
        assert counts[zone] == {s: woken(account, s, since, until, zone) for s in response["services"]}
    assert counts["Etc/UTC"] != counts["Asia/Tokyo"] and sum(counts["Etc/UTC"].values()) > 0
    # The Analytics API counts the same triggers and the escalation pages after them: never fewer.
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        served = collect(client_for(sim.url), OPTIONS).incident_response["services"]
    assert all(served[s]["total_sleep_hour_interruptions"] >= n for s, n in counts["Etc/UTC"].items())


def test_the_incident_list_past_the_offset_cap_is_split_by_time(demo_state):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    service = demo_state.services[0]
    busy = [{"id": f"Q{n:07d}", "type": "incident", "status": "resolved", "urgency": "low",
             "created_at": (now - timedelta(minutes=3 * n + 1)).isoformat(),
             "resolved_at": (now - timedelta(minutes=3 * n)).isoformat(),
             "service": {"id": service["id"], "type": "service_reference"}} for n in range(10_050)]
    state = dataclasses.replace(demo_state, incidents=busy)
    options = dataclasses.replace(OPTIONS, service_ids=frozenset({service["id"]}),
                                  response=ResponseOptions(analytics_api=False))
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        collected = collect(client_for(sim.url), options)
    metrics = collected.incident_response["services"][service["id"]]
    assert metrics["total_incident_count"] == 10_050 and metrics["p90_seconds_to_resolve"] == 60


def test_a_raw_answer_that_never_ends_is_a_clear_error(account, fault_proxy, fault):
    def rule(n, method, target):
        if target.startswith("/analytics/raw/incidents"):
            return fault(rewrite=lambda raw: json.dumps({**json.loads(raw), "more": True}).encode())
        return None
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        proxy = fault_proxy(sim.url, rule)
        with pytest.raises(PagerDutyError, match="says there is more but gave no cursor past"):
            collect(client_for(proxy.url), OPTIONS)


def test_an_analytics_server_error_is_not_taken_for_a_missing_plan(account, fault_proxy, fault):
    def rule(n, method, target):
        return fault(status=500) if target.startswith("/analytics/") else None
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        proxy = fault_proxy(sim.url, rule)
        client = PagerDutyClient("test-token", ClientSettings(base_url=proxy.url, requests_per_minute=1_000_000,
                                                              backoff_s=0.001, max_retries=1))
        with pytest.raises(PagerDutyError, match="POST /analytics/metrics/incidents/services failed 2 times"):
            collect(client, OPTIONS)
