"""The simulator's answers on every endpoint the collector calls, validated against PagerDuty's official OpenAPI
spec in ../shared (with the errata in conftest.py), on the demo account and on a generated one with
long-form ids and shift-based (v3) schedules."""

import pytest
import requests

from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings
from insights.pagerduty.simulator_api import tag_id

from .conftest import HEADERS, TOKEN

DEMO_CALLS = [
    ("/services", {"include[]": ["escalation_policies", "teams", "integrations"], "limit": 100, "offset": 0,
                   "total": "true"}),
    ("/services", {"limit": 5, "offset": 5, "total": "true"}),
    ("/services", {"team_ids[]": ["PTMPAY0"], "query": "pay", "sort_by": "name:desc", "time_zone": "Europe/Paris"}),
    ("/services/PPAYAPI", {"include[]": ["escalation_policies", "integrations"]}),
    ("/escalation_policies", {"include[]": ["targets"], "limit": 100, "offset": 0, "total": "true"}),
    ("/escalation_policies/PEPPAY1", {}),
    ("/oncalls", {"escalation_policy_ids[]": ["PEPPAY1", "PEPSRC2"], "limit": 100, "offset": 0, "total": "true"}),
    ("/incidents", {"statuses[]": ["triggered", "acknowledged"], "date_range": "all", "service_ids[]": ["PBILLWK"],
                    "limit": 100, "offset": 0, "total": "true"}),
    ("/incidents", {"sort_by": "created_at:desc,urgency", "urgencies[]": ["high"]}),
    ("/teams", {"limit": 100, "offset": 0, "total": "true"}),
    ("/tags", {"limit": 100, "offset": 0, "total": "true"}),
    (f"/tags/{tag_id('team:payments')}/escalation_policies", {"limit": 100, "offset": 0, "total": "true"}),
    (f"/tags/{tag_id('team:data')}/teams", {"limit": 100, "offset": 0, "total": "true"}),
    ("/escalation_policies/PEPPAY1/tags", {"limit": 100, "offset": 0, "total": "true"}),
    ("/teams/PTMDATA/tags", {"limit": 100, "offset": 0, "total": "true"}),
    ("/schedules/PSCHIDX", {"since": "2026-11-23T00:00:00+00:00", "until": "2026-11-30T00:00:00+00:00"}),
    ("/standards/scores/technical_services", {"ids": ["PPAYAPI", "PCHKOUT"]}),
]


def generated_calls(state) -> list[tuple[str, dict]]:
    long_service = next(s for s in state.services if s["id"].startswith("Q"))
    long_policy = next(p for p in state.escalation_policies if p["id"].startswith("Q"))
    targets = [t for p in state.escalation_policies for r in p["escalation_rules"] for t in r["targets"]]
    v3 = next(t["id"] for t in targets if t["type"] == "schedule_v3_reference")
    v2 = next(t["id"] for t in targets if t["type"] == "schedule_reference")
    week = {"since": "2026-12-01T00:00:00Z", "until": "2026-12-08T00:00:00Z"}
    return [
        ("/services", {"include[]": ["escalation_policies", "teams", "integrations"], "limit": 100}),
        (f"/services/{long_service['id']}", {"include[]": ["escalation_policies"]}),
        ("/escalation_policies", {"include[]": ["targets"], "limit": 100}),
        (f"/escalation_policies/{long_policy['id']}", {"include[]": ["targets"]}),
        ("/oncalls", {"escalation_policy_ids[]": sorted(p["id"] for p in state.escalation_policies), "limit": 100}),
        ("/teams", {"limit": 100}),
        (f"/schedules/{v2}", week),
        (f"/v3/schedules/{v3}", {**week, "include[]": ["final_schedule"]}),
        (f"/v3/schedules/{v3}", {}),
        ("/standards/scores/technical_services", {"ids": [s["id"] for s in state.services[:5]]}),
        ("/change_events", {"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z", "limit": 100,
                            "offset": 0, "total": "true"}),
        ("/change_events", {"team_ids[]": [state.teams[0]["id"]], "limit": 5}),
        (f"/services/{long_service['id']}/change_events", {"since": "2020-01-01T00:00:00Z", "limit": 100}),
        ("/log_entries", {"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z", "is_overview": "true",
                          "time_zone": "Asia/Tokyo", "limit": 100, "offset": 0, "total": "true"}),
        ("/log_entries", {"include[]": ["incidents", "services", "teams"], "team_ids[]": [state.teams[0]["id"]],
                          "limit": 100}),
    ]


def get(sim, path, params=None, headers=HEADERS):
    return requests.get(sim.url + path, params=params, headers=headers, timeout=5)


@pytest.mark.parametrize("path, params", DEMO_CALLS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(DEMO_CALLS)])
def test_demo_answers_follow_the_spec(check_answer, demo_served, path, params):
    response = get(demo_served, path, params)
    assert response.status_code == 200, response.text
    check_answer(response)


def test_generated_answers_follow_the_spec(check_answer, generated_served):
    calls = generated_calls(generated_served.api.state)
    for path, params in calls:
        response = get(generated_served, path, params)
        assert response.status_code == 200, (path, response.text)
        check_answer(response)
    oncall_schedules = {o["schedule"]["type"] for o in get(generated_served, *calls[4]).json()["oncalls"]
                        if o.get("schedule")}
    assert oncall_schedules == {"schedule_reference", "schedule_v3_reference"}
    overview = {e["type"] for e in get(generated_served, *calls[-2]).json()["log_entries"]}
    every = {e["type"] for e in get(generated_served, "/log_entries", {"limit": 100}).json()["log_entries"]}
    assert {"acknowledgement_log_entry", "resolve_log_entry"} <= overview and "notify_log_entry" in every - overview


@pytest.mark.parametrize("path, params, status", [
    ("/services/PNOSUCH", {}, 404),
    ("/services", {"offset": 9950, "limit": 100}, 400),
    ("/escalation_policies/QNOSUCH1234567", {}, 404),
])
def test_errors_follow_the_spec(check_answer, demo_served, path, params, status):
    response = get(demo_served, path, params)
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "errors"}
    check_answer(response)


def test_refused_requests_are_spec_shaped(check_answer, demo_served):
    """400 for a request the spec does not define, 401 for a wrong token: the body is the spec's error."""
    invalid = get(demo_served, "/services", {"include[]": ["everything"]})
    assert invalid.status_code == 400 and invalid.json()["error"]["code"] == 2001
    check_answer(invalid, request_too=False)
    wrong = get(demo_served, "/services", headers={**HEADERS, "Authorization": "Token token=x"})
    assert wrong.status_code == 401
    check_answer(wrong)


def test_forbidden_and_rate_limited_answers_follow_the_spec(check_answer, demo_state):
    settings = SimulatorSettings(token=TOKEN, rate_limit=2, tokens={"team-key": Access(teams=frozenset({"PTMDATA"}))})
    with Simulator(demo_state, settings) as sim:
        hidden = get(sim, "/services/PPAYAPI", headers={**HEADERS, "Authorization": "Token token=team-key"})
        assert hidden.status_code == 403 and hidden.json()["error"]["code"] == 2010
        check_answer(hidden)
        statuses = [get(sim, "/escalation_policies").status_code for _ in range(2)]
        limited = get(sim, "/escalation_policies")
    assert statuses == [200, 200] and limited.status_code == 429
    assert limited.json() == {"error": {"code": 2020, "message": "Rate Limit Exceeded", "errors": []}}
    check_answer(limited)


def test_oauth_token_answer_is_the_documented_one(demo_state):
    """POST /oauth/token is PagerDuty's identity service, outside the REST spec: the fields its documentation
    shows (access_token, token_type bearer, expires_in, and the scopes actually issued)."""
    settings = SimulatorSettings(token=TOKEN, oauth_client_id="id", oauth_client_secret="secret")
    with Simulator(demo_state, settings) as sim:
        response = requests.post(sim.url + "/oauth/token", timeout=5, data={
            "grant_type": "client_credentials", "client_id": "id", "client_secret": "secret",
            "scope": "as_account-us.acme services.read teams.read"})
    body = response.json()
    assert response.status_code == 200 and set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer" and isinstance(body["expires_in"], int)
    assert body["scope"] == "as_account-us.acme services.read teams.read"


def post(sim, path, body, headers=HEADERS):
    return requests.post(sim.url + path, json=body, headers=headers, timeout=5)


def analytics_calls(state) -> list[tuple[str, dict]]:
    """Every form of the Analytics API the simulator serves: whole-period and per-unit aggregates in a time zone,
    filters, and cursor pages both ways."""
    services = sorted({i["service"]["id"] for i in state.incidents})[:3]
    window = {"created_at_start": "2026-10-01T00:00:00Z", "created_at_end": "2026-12-31T00:00:00Z"}
    return [
        ("/analytics/metrics/incidents/services", {"filters": window, "time_zone": "Etc/UTC"}),
        ("/analytics/metrics/incidents/services", {"filters": {**window, "service_ids": services, "urgency": "high"},
                                                  "aggregate_unit": "week", "time_zone": "Europe/Paris"}),
        ("/analytics/metrics/incidents/services", {"filters": {**window, "major": True}, "aggregate_unit": "day"}),
        ("/analytics/metrics/incidents/services", {}),
        ("/analytics/raw/incidents", {"filters": window, "limit": 5, "order": "asc", "time_zone": "Asia/Tokyo"}),
        ("/analytics/raw/incidents", {"filters": {**window, "service_ids": services}, "order_by": "seconds_to_resolve"}),
    ]


def test_analytics_answers_follow_the_spec(check_answer, generated_served):
    for path, body in analytics_calls(generated_served.api.state):
        response = post(generated_served, path, body)
        assert response.status_code == 200, (path, body, response.text)
        assert response.json()["data"] or body.get("filters", {}).get("major"), (path, body)
        check_answer(response)


def test_raw_incidents_page_by_cursor_to_the_end(check_answer, generated_served):
    body = {"filters": {"created_at_start": "2020-01-01T00:00:00Z"}, "limit": 7, "order": "asc"}
    seen, page = [], post(generated_served, "/analytics/raw/incidents", body).json()
    while True:
        seen += [i["id"] for i in page["data"]]
        if not page["more"]:
            break
        response = post(generated_served, "/analytics/raw/incidents", {**body, "starting_after": page["last"]})
        check_answer(response)
        page = response.json()
    assert len(seen) == len(set(seen)) == len(generated_served.api.state.incidents)
    earlier = post(generated_served, "/analytics/raw/incidents", {**body, "ending_before": seen[10]}).json()
    assert [i["id"] for i in earlier["data"]] == seen[3:10]


@pytest.mark.parametrize("body, words", [
    ({"filters": {"created_at_start": "yesterday"}}, "is not an ISO 8601 date and time"),
    ({"time_zone": "Mars/Olympus"}, "is not a tz database time zone"),
    ({"filters": {"created_at_start": "2024-01-01T00:00:00Z", "created_at_end": "2026-01-01T00:00:00Z"}}, "one year"),
    ({"filters": {"service": ["P1"]}}, "unknown field `body.filters.service`"),
    ({"aggregate_unit": "year"}, "`body.aggregate_unit`: 'year' is not one of day, week, month"),
])
def test_analytics_refuses_what_the_api_refuses(check_answer, generated_served, body, words):
    response = post(generated_served, "/analytics/metrics/incidents/services", body)
    assert response.status_code == 400 and any(words in e for e in response.json()["error"]["errors"]), response.text
    check_answer(response, request_too=False)


def test_analytics_refused_to_a_plan_without_it_is_a_spec_shaped_403(check_answer, demo_state):
    refused = frozenset({"POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents"})
    with Simulator(demo_state, SimulatorSettings(token=TOKEN, access=Access(refused=refused))) as sim:
        response = post(sim, "/analytics/metrics/incidents/services", {})
    assert response.status_code == 403 and response.json()["error"]["code"] == 2010
    check_answer(response)
