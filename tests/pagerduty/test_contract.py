"""The simulator's answers, validated against PagerDuty's official OpenAPI spec in ../shared."""

import json
from datetime import datetime, timezone

import pytest
import requests

openapi_core = pytest.importorskip("openapi_core")
from openapi_core import OpenAPI, Config  # noqa: E402
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse  # noqa: E402

from insights.pagerduty.simulator import Simulator, SimulatorSettings  # noqa: E402
from insights.pagerduty.state import shift_times  # noqa: E402

HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2", "Authorization": "Token token=test-token"}

CALLS = [
    ("/services", {"include[]": ["escalation_policies", "teams", "integrations"], "limit": 100, "offset": 0}),
    ("/services", {"limit": 5, "offset": 5, "total": "true"}),
    ("/services/PPAYAPI", {"include[]": ["escalation_policies"]}),
    ("/escalation_policies", {"include[]": ["targets"], "limit": 100}),
    ("/escalation_policies/PEPPAY1", {}),
    ("/oncalls", {"escalation_policy_ids[]": ["PEPPAY1", "PEPSRC2"], "limit": 100}),
    ("/incidents", {"statuses[]": ["triggered", "acknowledged"], "date_range": "all", "service_ids[]": ["PBILLWK"]}),
    ("/teams", {"limit": 100}),
    ("/tags", {"limit": 100}),
    ("/escalation_policies/PEPPAY1/tags", {}),
    ("/schedules/PSCHIDX", {"since": "2026-11-23T00:00:00Z", "until": "2026-11-30T00:00:00Z"}),
    ("/standards/scores/technical_services", {"ids": ["PPAYAPI", "PCHKOUT"]}),
]


def apply_errata(spec: dict) -> dict:
    """Where the spec's schema contradicts its own descriptions, follow the description:
    - Oncall.start/end: "If `null`, the on-call is a permanent user on-call", yet not nullable.
    - Service.integrations: "If `integrations` is passed as an argument, these are full objects", yet the
      items allow only references; the same holds for the other values of the `include[]` parameter.
    Nothing else is relaxed."""
    schemas = spec["components"]["schemas"]
    for key in ("start", "end"):
        schemas["Oncall"]["properties"][key]["nullable"] = True
    service = next(part for part in schemas["Service"]["allOf"] if "properties" in part)["properties"]
    for key, full in (("integrations", "Integration"), ("teams", "Team")):
        service[key]["items"] = {"anyOf": [service[key]["items"], {"$ref": f"#/components/schemas/{full}"}]}
    service["escalation_policy"] = {"anyOf": [service["escalation_policy"],
                                              {"$ref": "#/components/schemas/EscalationPolicy"}]}
    return spec


@pytest.fixture(scope="module")
def spec(shared):
    return apply_errata(json.loads((shared / "pagerduty" / "openapiv3.json").read_text()))


@pytest.fixture(scope="module")
def served(demo_state):
    state = shift_times(demo_state, datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token="test-token")) as running:
        yield running


@pytest.fixture(scope="module")
def api(spec, served):
    return OpenAPI.from_dict({**spec, "servers": [{"url": served.url}]}, config=Config(spec_validator_cls=None))


@pytest.mark.parametrize("path, params", CALLS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(CALLS)])
def test_simulator_answers_follow_the_spec(api, served, path, params):
    response = requests.get(served.url + path, params=params, headers=HEADERS, timeout=5)
    assert response.status_code == 200, response.text
    api.validate_request(RequestsOpenAPIRequest(response.request))
    api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


def test_tagged_entities_follow_the_spec(api, served):
    tags = requests.get(served.url + "/tags", headers=HEADERS, timeout=5).json()["tags"]
    response = requests.get(f"{served.url}/tags/{tags[0]['id']}/escalation_policies", headers=HEADERS, timeout=5)
    assert response.json()["escalation_policies"]
    api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


@pytest.mark.parametrize("path, params, status", [
    ("/services/PNOSUCH", {}, 404),
    ("/services", {"offset": 9950, "limit": 100}, 400),
])
def test_errors_follow_the_spec(api, served, path, params, status):
    response = requests.get(served.url + path, params=params, headers=HEADERS, timeout=5)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "errors"}
    api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


def test_wrong_token_is_a_spec_shaped_401(api, served):
    response = requests.get(served.url + "/services", headers={**HEADERS, "Authorization": "Token token=x"},
                            timeout=5)
    assert response.status_code == 401
    api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
