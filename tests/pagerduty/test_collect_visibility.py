"""Not visible is not missing: a key that sees part of the account, played by a proxy that hides services
from the listing and answers 403 where PagerDuty would."""

import json

import pytest

from insights.errors import PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect

QUICK = dict(backoff_s=0.01, max_retries=1, requests_per_minute=1_000_000, deadline_s=20)
HIDDEN = {"PPAYAPI", "PCHKOUT"}  # services the key cannot see
CATALOG = frozenset({"PPAYAPI", "PCHKOUT", "PUSRPRF", "PZZ9RNK", "p12345", "${{ values.pagerdutyServiceId }}"})


def client(url):
    return PagerDutyClient("test-token", ClientSettings(base_url=url, **QUICK))


def partial_key(fault, forbidden=()):
    """The listing leaves the hidden services out and GET /services/{id} answers 403 for them; any path in
    `forbidden` answers 403 too."""
    refused = fault(status=403, body=b'{"error": {"code": 2010, "message": "Access Denied", "errors": []}}')
    without_hidden = fault(rewrite=lambda raw: json.dumps(
        {**json.loads(raw), "services": [s for s in json.loads(raw)["services"] if s["id"] not in HIDDEN]}).encode())

    def rule(n, method, target):
        path = target.split("?")[0]
        if path == "/services":
            return without_hidden
        if path in {f"/services/{i}" for i in HIDDEN} or any(path.startswith(p) for p in forbidden):
            return refused
        return None
    return rule


def test_services_the_key_cannot_see_are_not_visible_not_missing(simulator, fault_proxy, fault):
    proxy = fault_proxy(simulator.url, partial_key(fault))
    pd = client(proxy.url)
    state = collect(pd, CollectOptions(service_ids=CATALOG))
    assert state.not_visible == ["PCHKOUT", "PPAYAPI"]
    assert "PZZ9RNK" not in {s["id"] for s in state.services} | set(state.not_visible)  # 404: simply absent
    # One request per id the listing lacks; placeholders and malformed ids are never asked for.
    assert pd.counts["GET /services/{id}"] == 3
    assert sorted(r.split("?")[0] for r in proxy.requests if r.startswith("GET /services/")) == [
        "GET /services/PCHKOUT", "GET /services/PPAYAPI", "GET /services/PZZ9RNK"]
    assert state.unavailable == {}


def test_a_service_the_listing_left_out_but_the_key_can_read_is_kept(simulator, fault_proxy, fault):
    omit = fault(rewrite=lambda raw: json.dumps(
        {**json.loads(raw), "services": [s for s in json.loads(raw)["services"] if s["id"] != "PUSRPRF"]}).encode())
    proxy = fault_proxy(simulator.url, lambda n, m, target: omit if target.split("?")[0] == "/services" else None)
    state = collect(client(proxy.url), CollectOptions(service_ids=CATALOG))
    profile = next(s for s in state.services if s["id"] == "PUSRPRF")
    assert profile["integrations"][0]["integration_key"] and state.not_visible == []


@pytest.mark.parametrize("forbidden, name", [
    ("/schedules/", "schedules"), ("/standards/", "standards"), ("/tags", "tags")])
def test_an_optional_collection_the_key_may_not_read_is_unavailable_and_the_run_goes_on(
        simulator, fault_proxy, fault, forbidden, name):
    proxy = fault_proxy(simulator.url, partial_key(fault, forbidden=(forbidden,)))
    state = collect(client(proxy.url), CollectOptions(service_ids=CATALOG, schedule_coverage=True, standards=True))
    assert set(state.unavailable) == {name}
    scope = {"schedules": "schedules.read", "standards": "standards.read", "tags": "tags.read"}[name]
    assert f"answered HTTP 403: not visible to this key (an OAuth app needs {scope})" in state.unavailable[name]
    field = {"schedules": "schedule_coverage"}.get(name, name)  # the state field each collection fills
    assert getattr(state, field) == {}
    others = {"schedule_coverage", "standards", "tags"} - {field}
    assert all(getattr(state, other) for other in others)  # the rest was collected
    assert state.services and state.oncalls


@pytest.mark.parametrize("path, scope", [("/services", "services.read"), ("/teams", "teams.read"),
                                         ("/escalation_policies", "escalation_policies.read"),
                                         ("/incidents", "incidents.read")])
def test_a_core_list_the_key_may_not_read_is_a_clear_error(simulator, fault_proxy, fault, path, scope):
    refused = fault(status=403, body=b'{"error": {"code": 2010, "message": "Access Denied", "errors": []}}')
    proxy = fault_proxy(simulator.url, lambda n, m, target: refused if target.split("?")[0] == path else None)
    with pytest.raises(PagerDutyError) as error:
        collect(client(proxy.url), CollectOptions(service_ids=CATALOG))
    assert str(error.value) == (
        f"PagerDuty GET {path}: HTTP 403, the credential in PAGERDUTY_TOKEN may not read this (an OAuth app needs "
        f"{scope}; a user token or team-scoped app sees only part of the account): use an account-level "
        "read-only key")
    assert error.value.exit_code == 3
