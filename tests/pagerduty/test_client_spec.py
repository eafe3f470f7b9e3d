"""Every request the collector sends is one PagerDuty's spec defines: path, parameter names, array forms
(`name[]=a&name[]=b` only where the name says so), enums, types; and every endpoint's OAuth scope is the one
the spec states. Requests are recorded by a proxy in front of the simulator, from collections that take every
branch: whole lists, batches of ids, a split by team, both tag listings, services asked for by id, schedules
and standards."""

import json
import re
from collections import defaultdict
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from insights.errors import PagerDutyError
from insights.pagerduty.auth import ENDPOINT_SCOPES
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.shapes import SHAPES
from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings

ANALYTICS = frozenset({"POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"})


@pytest.fixture(scope="module")
def spec(shared):
    return json.loads((shared / "pagerduty" / "openapiv3.json").read_text())


def operation(spec, path: str):
    """The spec's GET operation for a concrete path: (template, operation, path parameters)."""
    matches = []
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, path)
        if found and "get" in item:
            matches.append((template.count("{"), template, item["get"], found.groupdict()))
    assert matches, f"{path}: no GET operation in the spec"
    _, template, op, values = min(matches, key=lambda m: m[0])  # the most literal template wins
    return template, op, values


def parameters(spec, op) -> dict[tuple[str, str], dict]:
    result = {}
    for parameter in op.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        result[parameter["in"], parameter["name"]] = parameter
    return result


def fits(schema: dict, value: str) -> bool:
    schema = schema.get("items", schema) if schema.get("type") == "array" else schema
    if "enum" in schema and value not in schema["enum"]:
        return False
    if schema.get("type") == "integer":
        return value.lstrip("-").isdigit()
    if schema.get("type") == "boolean":
        return value in ("true", "false")
    return True


def problems(spec, request: str) -> list[str]:
    method, target = request.split(" ", 1)
    parts = urlsplit(target)
    template, op, path_values = operation(spec, unquote(parts.path))
    declared = parameters(spec, op)
    found = []
    for name, value in path_values.items():
        if not fits(declared[("path", name)].get("schema", {}), value):
            found.append(f"{target}: path parameter {name}={value!r} is not allowed")
    given = defaultdict(list)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        given[name].append(value)
    for name, values in given.items():
        parameter = declared.get(("query", name))
        if parameter is None:
            found.append(f"GET {template}: `{name}` is not a parameter of this operation")
            continue
        schema = parameter.get("schema", {})
        if len(values) > 1 and not (name.endswith("[]") or schema.get("type") == "array"):
            found.append(f"GET {template}: `{name}` given {len(values)} times but is not an array")
        found += [f"GET {template}: `{name}`={v!r} does not fit {schema}" for v in values if not fits(schema, v)]
    found += [f"GET {template}: required `{name}` missing" for (where, name), p in declared.items()
              if where == "query" and p.get("required") and name not in given]
    return found


def record(fault_proxy, state, options, rule=None, settings=None) -> tuple[list[str], set[str]]:
    """The requests a collection sent, as the proxy saw them (a POST with its body after a newline), and the
    endpoints the client counted."""
    with Simulator(state, settings or SimulatorSettings(token="test-token")) as sim:
        proxy = fault_proxy(sim.url, rule)
        client = PagerDutyClient("test-token", ClientSettings(base_url=proxy.url, requests_per_minute=1_000_000,
                                                              backoff_s=0.01, max_retries=0))
        try:
            collect(client, options)
        except PagerDutyError:
            pass  # the split-by-team case ends in an error by design; its requests are what counts here
    sent = [r + ("\n" + body.decode() if r.startswith("POST") else "") for r, body in zip(proxy.requests, proxy.bodies)]
    return sent, set(client.counts)


def post_problems(openapi, request: str) -> list[str]:
    """A POST and its JSON body checked against the spec by openapi-core (path, headers, body schema)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    line, _, body = request.partition("\n")
    prepared = requests.Request("POST", "http://127.0.0.1:80" + line.split(" ", 1)[1], data=body.encode(), headers={
        "Content-Type": "application/json", "Accept": "application/vnd.pagerduty+json;version=2",
        "Authorization": "Token token=test-token"}).prepare()
    try:
        openapi.validate_request(RequestsOpenAPIRequest(prepared))
    except Exception as error:  # openapi-core's validation errors share no useful base class
        return [f"{line}: {error}: {getattr(error, '__cause__', '')}"]
    return []


def past_the_cap(fault):
    """Says the account-wide lists hold 10,050 items, so that they are split by team."""
    def rule(n, method, target):
        parts = urlsplit(target)
        if parts.path in ("/services", "/escalation_policies") and "team_ids" not in parts.query \
                and "offset=0" in parts.query:
            return fault(rewrite=lambda raw: json.dumps({**json.loads(raw), "total": 10_050}).encode())
        return None
    return rule


def test_every_request_the_collector_sends_is_defined_by_the_spec(spec, openapi, demo_state, fault_proxy, fault):
    catalog = frozenset({"PPAYAPI", "PCHKOUT", "PZZ9RNK"})
    one_tag = demo_state.__class__(**{**demo_state.__dict__, "tags": {
        f"escalation_policies/{p['id']}": ["env:prod"] for p in demo_state.escalation_policies}})
    policy = demo_state.escalation_policies[0]
    v3 = [{**policy, "escalation_rules": [{**policy["escalation_rules"][0], "targets": [
        {"id": "Q1R2DLCB21K7NP", "type": "schedule_v3_reference"}]}]}] + demo_state.escalation_policies[1:]
    shift_based = demo_state.__class__(**{**demo_state.__dict__, "escalation_policies": v3})
    deploys = demo_state.__class__(**{**demo_state.__dict__, "change_events": [
        {"id": f"E{n}", "timestamp": demo_state.collected_at, "services": [{"id": "PPAYAPI"}]} for n in range(150)]})
    runs = [record(fault_proxy, demo_state, CollectOptions(schedule_coverage=True, standards=True)),
            record(fault_proxy, shift_based, CollectOptions(tags=False, schedule_coverage=True)),
            record(fault_proxy, demo_state, CollectOptions(service_ids=catalog, schedule_coverage=True, standards=True)),
            record(fault_proxy, one_tag, CollectOptions()),  # one tag: policies' tags read per tag
            record(fault_proxy, demo_state, CollectOptions(tags=False), past_the_cap(fault)),
            record(fault_proxy, demo_state, CollectOptions(tags=False, incident_response=True, change_events=True)),
            record(fault_proxy, deploys, CollectOptions(tags=False, service_ids=frozenset({"PPAYAPI"}),
                                                        change_events=True)),  # one busy service: its own listing
            record(fault_proxy, demo_state, CollectOptions(tags=False, service_ids=catalog, incident_response=True),
                   settings=SimulatorSettings(token="test-token", access=Access(refused=ANALYTICS)))]
    sent = [r for sent, _ in runs for r in sent]
    assert [p for r in sent if r.startswith("GET") for p in problems(spec, r)] == []
    assert [p for r in sent if r.startswith("POST") for p in post_problems(openapi, r)] == []
    assert {r.split("?")[0].split("\n")[0] for r in sent if r.startswith("POST")} == {
        "POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"}
    assert set().union(*(counted for _, counted in runs)) == set(ENDPOINT_SCOPES)  # every endpoint was taken
    names = {name for r in sent for name, _ in parse_qsl(urlsplit(r.split("\n")[0].split(" ", 1)[1]).query)}
    assert names == {"limit", "offset", "total", "include[]", "team_ids[]", "escalation_policy_ids[]",
                     "service_ids[]", "statuses[]", "date_range", "since", "until", "ids",
                     "is_overview", "time_zone"}


def test_standards_ids_are_a_plain_repeated_array_parameter(demo_state, fault_proxy):
    requests, _ = record(fault_proxy, demo_state, CollectOptions(tags=False, standards=True))
    standards = [r for r in requests if "/standards/" in r]
    assert len(standards) == 1
    names = [name for name, _ in parse_qsl(urlsplit(standards[0].split(" ", 1)[1]).query)]
    assert set(names) == {"ids"} and len(names) == len(demo_state.services)  # ids=a&ids=b, never ids[]


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_SCOPES))
def test_each_endpoints_scope_is_the_one_the_spec_states(spec, endpoint):
    method, template = endpoint.split(" ", 1)
    candidates = [template, template.replace("escalation_policies", "{entity_type}").replace("teams", "{entity_type}")]
    op = next(spec["paths"][t][method.lower()] for t in candidates if t in spec["paths"])
    if ENDPOINT_SCOPES[endpoint] is None:
        assert "Scoped OAuth requires" not in op["description"]
    else:
        assert f"Scoped OAuth requires: `{ENDPOINT_SCOPES[endpoint]}`" in op["description"]


def test_every_endpoint_has_a_shape():
    assert set(SHAPES) == set(ENDPOINT_SCOPES)


@pytest.mark.parametrize("request_line, expected", [
    ("GET /standards/scores/technical_services?ids[]=P1",
     ["GET /standards/scores/{resource_type}: `ids[]` is not a parameter of this operation",
      "GET /standards/scores/{resource_type}: required `ids` missing"]),
    ("GET /oncalls?escalation_policy_ids=P1", ["GET /oncalls: `escalation_policy_ids` is not a parameter of this operation"]),
    ("GET /services?limit=ten", ["GET /services: `limit`='ten' does not fit {'type': 'integer'}"]),
    ("GET /teams?total=yes", ["GET /teams: `total`='yes' does not fit {'default': False, 'type': 'boolean'}"]),
    ("GET /teams?query=a&query=b", ["GET /teams: `query` given 2 times but is not an array"]),
    ("GET /tags/PT1/services", ["/tags/PT1/services: path parameter entity_type='services' is not allowed"]),
])
def test_the_check_itself_catches_what_the_spec_does_not_define(spec, request_line, expected):
    assert problems(spec, request_line) == expected


@pytest.mark.parametrize("body, found", [
    ('{"filters": {"urgency": "urgent"}}', "urgent"),
    ('{"limit": 0}', "limit"),
    ('{"aggregate_unit": "year"}', "year"),
])
def test_the_body_check_catches_what_the_spec_does_not_define(openapi, body, found):
    raw = "/analytics/raw/incidents" if "limit" in body else "/analytics/metrics/incidents/services"
    problems_found = post_problems(openapi, f"POST {raw}\n{body}")
    assert len(problems_found) == 1 and found in problems_found[0]
