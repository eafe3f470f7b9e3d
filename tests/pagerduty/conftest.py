"""PagerDuty's official spec from ../shared, loaded once, for the contract, request and schemathesis tests."""

import json
from datetime import datetime, timezone

import pytest
import requests

from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import shift_times

TOKEN = "test-token"
HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2", "Authorization": f"Token token={TOKEN}"}


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


@pytest.fixture(scope="session")
def pd_spec(shared) -> dict:
    """The spec with its two errata, served from any simulator on loopback."""
    spec = apply_errata(json.loads((shared / "pagerduty" / "openapiv3.json").read_text()))
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return spec


@pytest.fixture(scope="session")
def openapi(pd_spec):
    openapi_core = pytest.importorskip("openapi_core")
    # The spec does not pass strict OpenAPI validation (see ../shared/pagerduty/NOTES.md).
    return openapi_core.OpenAPI.from_dict(pd_spec, config=openapi_core.Config(spec_validator_cls=None))


@pytest.fixture(scope="session")
def check_answer(openapi):
    """Validate a `requests` response (and the request that produced it) against the spec."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    def check(response: requests.Response, request_too: bool = True) -> None:
        request = RequestsOpenAPIRequest(response.request)
        if request_too:
            openapi.validate_request(request)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    return check


@pytest.fixture(scope="module")
def demo_served(demo_state):
    with Simulator(shift_times(demo_state, datetime.now(timezone.utc)), SimulatorSettings(token=TOKEN)) as running:
        yield running


@pytest.fixture(scope="module")
def generated_served():
    """A generated account: long-form ids, shift-based (v3) schedules, on-calls on both."""
    with Simulator(generate(100, 100, seed=11).state, SimulatorSettings(token=TOKEN)) as running:
        yield running
