"""Credentials against the simulator: API key, OAuth client credentials, an expired token, a wrong secret."""

import pytest

from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.auth import OAuthCredential, TokenCredential, credential_from_environment
from insights.pagerduty.client import ClientSettings, PagerDutyClient
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
