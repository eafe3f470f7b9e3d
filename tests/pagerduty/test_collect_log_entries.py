"""Times to acknowledge and escalations from the log entries, where the Analytics API does not serve: over HTTP
from the simulator, checked against what its Analytics API gives for the same incidents."""

import dataclasses
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from insights.pagerduty.client import OFFSET_CAP
from insights.pagerduty.collect import collect
from insights.pagerduty.generate import generate
from insights.pagerduty.response import ResponseOptions
from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings
from insights.pagerduty.state import shift_times

from .test_collect_response import ANALYTICS, OPTIONS, client_for

NO_ANALYTICS = SimulatorSettings(token="test-token", access=Access(refused=ANALYTICS))
ACK_KEYS = ("mean_seconds_to_first_ack", "p90_seconds_to_first_ack", "p90_seconds_to_first_ack_high_urgency")
COUNT_KEYS = ("total_incident_count", "high_urgency_incident_count", "total_incidents_acknowledged",
              "total_escalation_count", "total_sleep_hour_interruptions")


@pytest.fixture(scope="module")
def account():
    """A generated account captured 6.5 hours ago: every escalation chain (at most 11 steps of 30 minutes) has
    ended, so both sources see the same escalations whenever they are asked; and no incident (the open ones are
    whole hours old) starts within seconds of the window's start, which moves between the two collections."""
    return shift_times(generate(80, 80, seed=9).state, datetime.now(timezone.utc) - timedelta(hours=6, minutes=30))


def served(state, settings, options=OPTIONS):
    """(the collected incident response, the requests the simulator received as (path, query))."""
    with Simulator(state, settings) as sim:
        client = client_for(sim.url)
        collected = collect(client, options)
    return collected, client


def test_acknowledgements_and_escalations_match_the_analytics_api(account):
    analytics, _ = served(account, SimulatorSettings(token="test-token"))
    logged, client = served(account, NO_ANALYTICS)
    assert analytics.incident_response["source"] == "analytics"
    assert logged.incident_response["source"] == "log_entries"
    assert logged.incident_response["fallback"].startswith("POST /analytics/metrics/incidents/services answered "
                                                           "HTTP 403")
    truth, found = analytics.incident_response["services"], logged.incident_response["services"]
    assert set(found) == set(truth)
    escalated = acknowledged = 0
    for service_id, metrics in found.items():
        for key in COUNT_KEYS:
            assert metrics[key] == truth[service_id][key], (service_id, key)
        for key in ACK_KEYS:  # the Analytics API counts whole seconds
            assert metrics[key] == pytest.approx(truth[service_id][key], abs=1), (service_id, key)
        escalated += metrics["total_escalation_count"]
        acknowledged += metrics["total_incidents_acknowledged"]
    assert escalated > 10 and acknowledged > 50
    # The window's overview entries, read in pages of 100 after the incident list.
    assert 0 < client.counts["GET /log_entries"] <= 20


def test_log_entries_are_asked_for_the_window_overview_only(account, fault_proxy):
    with Simulator(account, NO_ANALYTICS) as sim:
        proxy = fault_proxy(sim.url)
        collected = collect(client_for(proxy.url), OPTIONS)
    queries = [parse_qs(urlsplit(target).query) for target in proxy.requests if target.startswith("GET /log_entries")]
    window = collected.incident_response
    # Up to the moment they are read: the Analytics API counts escalations after the window's end too.
    assert queries and all(q["is_overview"] == ["true"] and q["since"] == [window["since"]]
                           and q["until"][0] > window["until"] and "include[]" not in q for q in queries)


def test_log_entries_are_read_only_when_the_analytics_api_does_not_serve(account):
    with_analytics, client = served(account, SimulatorSettings(token="test-token"))
    assert "GET /log_entries" not in client.counts
    without_response, client = served(account, NO_ANALYTICS, dataclasses.replace(OPTIONS, incident_response=False))
    assert "GET /log_entries" not in client.counts and "GET /incidents" in client.counts


def test_unreadable_log_entries_leave_acknowledgements_and_escalations_unknown(account):
    refused = SimulatorSettings(token="test-token", access=Access(refused=ANALYTICS | {"GET /log_entries"}))
    collected, _ = served(account, refused)
    response = collected.incident_response
    assert response["source"] == "incidents"
    assert response["log_entries_unavailable"] == ("GET /log_entries answered HTTP 403: not visible to this key (an "
                                                   "OAuth app needs incidents.read)")
    busy = [m for m in response["services"].values() if m["total_incident_count"]]
    assert busy and all(m[key] is None for m in busy for key in ACK_KEYS + ("total_escalation_count",))
    assert all(m["total_incidents_acknowledged"] is None for m in busy)


def test_a_window_past_the_offset_cap_is_read_in_parts(demo_state):
    """3,500 acknowledged incidents over 29 days make 10,500 overview entries: the window is cut in parts under
    the cap, each entry read once, in a few more requests than its pages."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    service = demo_state.services[0]
    busy = [{"id": f"Q{n:07d}", "type": "incident", "status": "resolved", "urgency": "low",
             "created_at": (now - timedelta(minutes=12 * n + 2)).isoformat(),
             "acknowledgements": [{"at": (now - timedelta(minutes=12 * n + 1)).isoformat()}],
             "resolved_at": (now - timedelta(minutes=12 * n)).isoformat(),
             "service": {"id": service["id"], "type": "service_reference"}} for n in range(3_500)]
    state = dataclasses.replace(demo_state, incidents=busy)
    options = dataclasses.replace(OPTIONS, service_ids=frozenset({service["id"]}),
                                  response=ResponseOptions(analytics_api=False))
    collected, client = served(state, SimulatorSettings(token="test-token"), options)
    metrics = collected.incident_response["services"][service["id"]]
    assert collected.incident_response["source"] == "log_entries"
    assert metrics["total_incident_count"] == 3_500 == metrics["total_incidents_acknowledged"]
    assert metrics["p90_seconds_to_first_ack"] == 60 and metrics["total_escalation_count"] == 0
    entries = 3 * 3_500
    assert entries > OFFSET_CAP
    assert entries // 100 < client.counts["GET /log_entries"] <= entries // 100 + 4


def test_the_type_the_spec_lists_for_acknowledgements_is_read_too(account, fault_proxy, fault):
    """The spec's `LogEntry.type` says `acknowledge_log_entry` where its `AcknowledgeLogEntry` says
    `acknowledgement_log_entry` (which the simulator serves): an answer in the other spelling counts the same."""
    def respelt(n, method, target):
        if target.startswith("/log_entries"):
            return fault(rewrite=lambda raw: raw.replace(b'"acknowledgement_log_entry"', b'"acknowledge_log_entry"'))
        return None
    expected, _ = served(account, NO_ANALYTICS)
    with Simulator(account, NO_ANALYTICS) as sim:
        proxy = fault_proxy(sim.url, respelt)
        collected = collect(client_for(proxy.url), OPTIONS)
    assert collected.incident_response["services"] == expected.incident_response["services"]
    assert sum(m["total_incidents_acknowledged"] for m in expected.incident_response["services"].values()) > 50
