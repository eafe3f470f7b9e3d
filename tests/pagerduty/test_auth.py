"""Credentials against the simulator: API key, OAuth client credentials in both regions, the scopes asked for,
an expired token, a wrong secret, a token endpoint that drips."""

import json

import pytest

from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.auth import TOKEN_URL, OAuthCredential, TokenCredential, credential_from_environment
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.response import ResponseOptions
from insights.pagerduty.simulator import Simulator, SimulatorSettings

SETTINGS = SimulatorSettings(token="api-key", oauth_client_id="app-id", oauth_client_secret="app-secret")


@pytest.fixture()
def sim(demo_state):
    with Simulator(demo_state, SETTINGS) as running:
        yield running


def oauth(sim, secret="app-secret"):
    return OAuthCredential("app-id", secret, subdomain="acme", region="us", token_url=sim.url + "/oauth/token")


def test_oauth_app_is_exchanged_for_a_bearer_token_once(sim):
    client = PagerDutyClient(oauth(sim), ClientSettings(base_url=sim.url))
    assert client.get("/teams")["teams"] and client.get("/services/PPAYAPI")["service"]
    assert sim.requests.count("POST /oauth/token") == 1


def test_expired_oauth_token_is_renewed_once_and_the_request_retried(sim):
    client = PagerDutyClient(oauth(sim), ClientSettings(base_url=sim.url))
    client.get("/teams")
    sim.expire_tokens()
    assert client.get("/teams")["teams"]
    assert sim.requests.count("POST /oauth/token") == 2 and sim.statuses.count(401) == 1


def test_wrong_client_secret_names_the_variables_not_the_secret(sim):
    client = PagerDutyClient(oauth(sim, secret="leaked-if-printed"), ClientSettings(base_url=sim.url))
    with pytest.raises(PagerDutyError) as error:
        client.get("/teams")
    assert "refused the app in PD_CLIENT_ID/PD_CLIENT_SECRET (HTTP 401)" in str(error.value)
    assert "leaked-if-printed" not in str(error.value) and "leaked-if-printed" not in repr(client.credential)


def test_api_key_credential(sim):
    assert PagerDutyClient(TokenCredential("api-key"), ClientSettings(base_url=sim.url)).get("/teams")["teams"]


def test_credential_from_environment():
    assert credential_from_environment(None, "us", None, {"PAGERDUTY_TOKEN": "k"}) == TokenCredential("k")
    app = credential_from_environment("acme", "eu", None, {"PD_CLIENT_ID": "i", "PD_CLIENT_SECRET": "s"})
    assert isinstance(app, OAuthCredential) and (app.subdomain, app.region) == ("acme", "eu")
    assert credential_from_environment("acme", "us", None, {}) is None
    with pytest.raises(ConfigError, match="also set `pagerduty.subdomain`"):
        credential_from_environment(None, "us", None, {"PD_CLIENT_ID": "i", "PD_CLIENT_SECRET": "s"})


def test_the_token_endpoint_is_pagerdutys_for_both_regions_with_the_account_in_the_scope():
    us = OAuthCredential("i", "s", subdomain="acme", region="us")
    eu = OAuthCredential("i", "s", subdomain="acme", region="eu")
    assert TOKEN_URL == "https://identity.pagerduty.com/oauth/token"
    assert us.scope.split()[0] == "as_account-us.acme" and eu.scope.split()[0] == "as_account-eu.acme"
    with pytest.raises(ConfigError, match="`pagerduty.region` must be one of us, eu, not 'apac'"):
        OAuthCredential("i", "s", subdomain="acme", region="apac")


@pytest.mark.parametrize("options, extra", [
    (CollectOptions(tags=False), set()),
    (CollectOptions(), {"tags.read"}),
    (CollectOptions(schedule_coverage=True, standards=True), {"tags.read", "schedules.read", "standards.read"}),
    # The Analytics API's queries need the write scope, as the spec says; without the API, no extra scope.
    (CollectOptions(tags=False, incident_response=True), {"analytics.write"}),
    (CollectOptions(tags=False, incident_response=True, response=ResponseOptions(analytics_api=False)), set()),
    (CollectOptions(tags=False, change_events=True), {"change_events.read"}),
])
def test_the_app_asks_only_for_the_scopes_the_collections_need(sim, options, extra):
    credential = oauth(sim)
    collect(PagerDutyClient(credential, ClientSettings(base_url=sim.url)), options)
    core = {"services.read", "escalation_policies.read", "teams.read", "oncalls.read", "incidents.read"}
    assert credential.granted == {"as_account-us.acme"} | core | extra  # the simulator issues what was asked


def test_a_scope_the_app_was_not_granted_makes_its_collection_unavailable_without_asking(sim, fault_proxy, fault):
    def without_schedules(raw):
        token = json.loads(raw)
        return json.dumps({**token, "scope": token["scope"].replace(" schedules.read", "")}).encode()

    proxy = fault_proxy(sim.url, lambda n, m, target: fault(rewrite=without_schedules)
                        if target == "/oauth/token" else None)
    credential = OAuthCredential("app-id", "app-secret", subdomain="acme", token_url=proxy.url + "/oauth/token")
    client = PagerDutyClient(credential, ClientSettings(base_url=sim.url))
    state = collect(client, CollectOptions(schedule_coverage=True))
    assert state.unavailable == {"schedules": "the OAuth app was not granted schedules.read"}
    assert "GET /schedules/{id}" not in client.counts and state.services


def test_a_dripping_token_endpoint_ends_at_its_time_limit(sim, fault_proxy, fault):
    proxy = fault_proxy(sim.url, lambda n, m, target: fault(drip_s=0.05, drip_head=True))
    credential = OAuthCredential("app-id", "app-secret", subdomain="acme", token_url=proxy.url + "/oauth/token",
                                 time_limit_s=0.5)
    with pytest.raises(PagerDutyError, match=r"^PagerDuty OAuth token endpoint http://127.0.0.1:\d+/oauth/token: "
                                             r"no complete answer within 0.5 s$") as error:
        PagerDutyClient(credential, ClientSettings(base_url=sim.url)).get("/teams")
    assert error.value.exit_code == 3
