"""Change events over a window, collected over HTTP from the simulator by the cheaper listing."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.cost import fewest_change_event_requests
from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import parse_time

OPTIONS = CollectOptions(tags=False, change_events=True)


def client_for(url):
    return PagerDutyClient("test-token", ClientSettings(base_url=url, requests_per_minute=1_000_000))


@pytest.fixture(scope="module")
def account():
    return generate(80, 80, seed=9).state


def truth(state, window) -> dict[str, list[dict]]:
    since, until = parse_time(window["since"]), parse_time(window["until"])
    events: dict[str, list[dict]] = {}
    for event in state.change_events:
        if since <= parse_time(event["timestamp"]) < until:
            for ref in event["services"]:
                events.setdefault(ref["id"], []).append(event)
    return events


@pytest.mark.parametrize("wanted, listing", [(None, "GET /change_events"), (2, "GET /services/{id}/change_events")],
                         ids=["most-services-the-account-listing", "few-services-one-by-one"])
def test_the_cheaper_listing_gives_each_services_count_and_newest_event(account, wanted, listing):
    service_ids = None if wanted is None else frozenset(s["id"] for s in account.services[:wanted])
    with Simulator(account, SimulatorSettings(token="test-token")) as sim:
        client = client_for(sim.url)
        collected = collect(client, dataclasses.replace(OPTIONS, service_ids=service_ids))
    window = collected.change_events_window
    assert parse_time(window["until"]) - parse_time(window["since"]) == timedelta(days=30)
    expected = truth(account, window)
    counted = window["counts"]
    assert set(counted) == (service_ids or {s["id"] for s in account.services})
    assert counted == {s: len(expected.get(s, [])) for s in counted}
    newest = {ref["id"]: e["timestamp"] for e in collected.change_events for ref in e["services"]}
    assert newest == {s: max(e["timestamp"] for e in events) for s, events in expected.items() if s in counted}
    assert client.counts[listing] >= 1
    # Within a tenth of the fewest requests the cheaper listing takes (the first page of the account's
    # listing, which tells its size, is the price of choosing).
    spent = client.counts["GET /change_events"] + client.counts["GET /services/{id}/change_events"]
    assert spent <= 1 + fewest_change_event_requests(account.change_events, collected)


def test_a_busy_service_past_the_offset_cap_is_split_by_time(demo_state):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    service = demo_state.services[0]
    events = [{"id": f"01E{n:023d}", "type": "change_event", "summary": f"deploy {n}",
               "timestamp": (now - timedelta(minutes=2 * n + 1)).isoformat().replace("+00:00", "Z"),
               "services": [{"id": service["id"], "type": "service_reference"}]} for n in range(10_100)]
    state = dataclasses.replace(demo_state, change_events=events)
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        collected = collect(client_for(sim.url), dataclasses.replace(OPTIONS, service_ids=frozenset({service["id"]})))
    assert collected.change_events_window["counts"] == {service["id"]: 10_100}
    assert collected.change_events[0]["summary"] == "deploy 0"


def test_non_utc_times_are_refused_as_the_api_does(demo_state):
    import requests

    with Simulator(demo_state, SimulatorSettings(token="test-token")) as sim:
        answer = requests.get(sim.url + "/change_events", params={"since": "2026-11-01T00:00:00+02:00"}, timeout=5,
                              headers={"Authorization": "Token token=test-token"})
    assert answer.status_code == 400 and "is not a UTC time" in answer.json()["error"]["errors"][0]


def test_an_app_without_change_events_read_asks_each_service(account):
    from insights.pagerduty.auth import CORE_SCOPES, OAuthCredential

    settings = SimulatorSettings(token="test-token", oauth_client_id="app", oauth_client_secret="secret",
                                 oauth_scopes=frozenset(CORE_SCOPES))
    with Simulator(account, settings) as sim:
        credential = OAuthCredential("app", "secret", "acme", token_url=sim.url + "/oauth/token")
        client = PagerDutyClient(credential, ClientSettings(base_url=sim.url, requests_per_minute=1_000_000))
        collected = collect(client, OPTIONS)
    assert "GET /change_events" not in client.counts
    assert client.counts["GET /services/{id}/change_events"] >= len(account.services)
    assert collected.change_events_window["counts"] == {
        s: len(events) for s, events in truth(account, collected.change_events_window).items()} | {
        s: 0 for s in collected.change_events_window["counts"] if s not in truth(account, collected.change_events_window)}
