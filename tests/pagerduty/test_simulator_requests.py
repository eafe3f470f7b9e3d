"""Requests the spec does not define are refused as PagerDuty refuses them: HTTP 400, error code 2001."""

import dataclasses

import pytest
import requests

from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.simulator import Simulator, SimulatorSettings

from .conftest import HEADERS, TOKEN

STANDARDS = "/standards/scores/technical_services"
# Each: a request the spec does not allow, and the problem the simulator names.
REFUSED = [
    (STANDARDS, {"ids[]": ["PPAYAPI"]}, "unknown parameter `ids[]`"),
    (STANDARDS, {}, "`ids` is required"),
    ("/services", {"include[]": ["escalation_policy"]}, "`include[]`: 'escalation_policy' is not one of"),
    ("/services", {"includes[]": ["teams"]}, "unknown parameter `includes[]`"),
    ("/services", {"limit": "ten"}, "`limit`: 'ten' is not an integer"),
    ("/services", {"limit": ["10", "20"]}, "`limit` takes one value, given 2"),
    ("/services", {"total": "yes"}, "`total`: 'yes' is not true or false"),
    ("/services", {"time_zone": "Mars/Olympus"}, "`time_zone`: 'Mars/Olympus' is not a time zone"),
    ("/services", {"team_ids": ["PTMPAY0"]}, "unknown parameter `team_ids`"),
    ("/incidents", {"statuses[]": ["open"]}, "`statuses[]`: 'open' is not one of triggered, acknowledged, resolved"),
    ("/incidents", {"sort_by": "created_at,urgency,id"}, "`sort_by` takes at most 2 values"),
    ("/incidents", {"sort_by": ["created_at", "urgency"]}, "`sort_by` takes one value, comma-separated, given 2"),
    ("/incidents", {"date_range": "month"}, "`date_range`: 'month' is not one of all"),
    ("/oncalls", {"since": "yesterday"}, "`since`: 'yesterday' is not a date and time (ISO 8601)"),
    ("/oncalls", {"escalation_policy_ids": ["PEPPAY1"]}, "unknown parameter `escalation_policy_ids`"),
    ("/tags/PT00001/services", {}, "`entity_type` in the path: 'services' is not one of"),
    ("/standards/scores/services", {"ids": ["PPAYAPI"]}, "`resource_type` in the path: 'services' is not one of"),
    ("/v3/schedules/PSCHPAY", {"include[]": ["schedule_layers"]}, "'schedule_layers' is not one of final_schedule"),
    ("/services", {"offset": "-1"}, "`offset` must not be negative"),
    ("/log_entries", {"is_overview": "yes"}, "`is_overview`: 'yes' is not true or false"),
    ("/log_entries", {"include[]": ["users"]}, "`include[]`: 'users' is not one of incidents, services, channels"),
    ("/log_entries", {"since": "last week"}, "`since`: 'last week' is not a date and time (ISO 8601)"),
    ("/log_entries", {"time_zone": "Mars/Olympus"}, "`time_zone`: 'Mars/Olympus' is not a time zone"),
    ("/log_entries", {"service_ids[]": ["PPAYAPI"]}, "unknown parameter `service_ids[]`"),
    ("/log_entries", {"offset": "9950", "limit": "100"}, "Offset must be less than 9901."),
    ("/oncalls", {"escalation_policy_ids[]": ["PEPPAY1", "PEPPAY1"]}, "`escalation_policy_ids[]` repeats a value"),
]


def get(sim, path, params=None):
    return requests.get(sim.url + path, params=params, headers=HEADERS, timeout=5)


@pytest.mark.parametrize("path, params, problem", REFUSED, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(REFUSED)])
def test_requests_outside_the_spec_are_refused_with_pagerdutys_error(demo_served, path, params, problem):
    response = get(demo_served, path, params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (2001, "Invalid Input Provided")
    assert any(problem in line for line in error["errors"]), error["errors"]


def test_the_forms_the_spec_defines_are_accepted(demo_served):
    assert get(demo_served, STANDARDS, {"ids": ["PPAYAPI", "PCHKOUT"]}).json()["resources"]
    assert get(demo_served, "/incidents", {"sort_by": "created_at:desc,urgency"}).status_code == 200
    assert get(demo_served, "/oncalls", {"since": "2026-12-01T10:00:00+01:00", "time_zone": "Europe/Paris"}).ok
    assert get(demo_served, "/services", {"total": "false", "limit": "0"}).json()["limit"] == 1


def test_bad_time_on_incidents_is_pagerdutys_time_error(demo_served):
    error = get(demo_served, "/incidents", {"since": "last week"}).json()["error"]
    assert error["code"] == 2004


def test_unknown_paths_and_methods(demo_served):
    missing = get(demo_served, "/services/PPAYAPI/integrations")
    assert missing.status_code == 404 and missing.json()["error"] == {"code": 2100, "message": "Not Found", "errors": [
        "GET /services/PPAYAPI/integrations is not an operation the simulator serves"]}
    posted = requests.post(demo_served.url + "/services", headers=HEADERS, json={}, timeout=5)
    assert posted.status_code == 405 and posted.json()["error"]["errors"] == ["/services accepts GET"]


def test_what_the_reference_validator_refuses_the_simulator_refuses(openapi, demo_served):
    """openapi-core on the same requests: every one it refuses, the simulator refuses too (the simulator is
    stricter: it also refuses unknown parameters and checks every value of a repeated `x[]`)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    refused_by_reference = 0
    for path, params, _ in REFUSED:
        response = get(demo_served, path, params)
        try:
            openapi.validate_request(RequestsOpenAPIRequest(response.request))
        except Exception:  # noqa: BLE001 (any validation error is a refusal)
            refused_by_reference += 1
            assert response.status_code == 400, (path, params)
    assert refused_by_reference >= 10


@pytest.mark.parametrize("generated", [False, True], ids=["demo", "generated"])
def test_the_collector_sends_only_requests_the_spec_defines(demo_state, generated):
    from insights.pagerduty.generate import generate

    state = generate(60, 120, seed=2).state if generated else demo_state
    with Simulator(state, SimulatorSettings(token=TOKEN)) as sim:
        client = PagerDutyClient(TOKEN, ClientSettings(base_url=sim.url, requests_per_minute=1_000_000))
        collect(client, CollectOptions(schedule_coverage=True, standards=True))
        collect(client, dataclasses.replace(CollectOptions(), service_ids=frozenset({state.services[0]["id"]})))
    assert 400 not in sim.statuses and 405 not in sim.statuses
    assert len(sim.requests) > 10
