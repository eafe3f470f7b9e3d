"""What a credential sees and may do: team-restricted tokens, refused collections, OAuth scopes in both regions."""

import pytest
import requests

from insights.errors import PagerDutyError
from insights.pagerduty.auth import OAuthCredential
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings

from .conftest import HEADERS, TOKEN

DATA_TEAM = frozenset({"PTMDATA"})
STANDARDS = "GET /standards/scores/{resource_type}"


def get(sim, path, params=None, token=TOKEN, bearer=None):
    authorization = f"Bearer {bearer}" if bearer else f"Token token={token}"
    return requests.get(sim.url + path, params=params, headers={**HEADERS, "Authorization": authorization},
                        timeout=5)


@pytest.fixture(scope="module")
def sim(demo_state):
    settings = SimulatorSettings(token=TOKEN, tokens={
        "data-team": Access(teams=DATA_TEAM),
        "no-standards": Access(refused=frozenset({STANDARDS}))})
    with Simulator(demo_state, settings) as running:
        yield running


def test_a_team_restricted_token_lists_only_its_teams_objects(sim, demo_state):
    data_services = sorted(s["id"] for s in demo_state.services if s["teams"][0]["id"] == "PTMDATA")
    assert data_services == ["PETLSCH", "PMETRIC", "PWHLOAD"]
    listed = get(sim, "/services", {"limit": 100}, token="data-team").json()["services"]
    assert sorted(s["id"] for s in listed) == data_services
    policies = get(sim, "/escalation_policies", {"limit": 100}, token="data-team").json()["escalation_policies"]
    assert sorted(p["id"] for p in policies) == ["PEPDAT1", "PEPDAT2"]
    assert [t["id"] for t in get(sim, "/teams", token="data-team").json()["teams"]] == ["PTMDATA"]
    oncalls = get(sim, "/oncalls", {"limit": 100}, token="data-team").json()["oncalls"]
    assert {o["escalation_policy"]["id"] for o in oncalls} <= {"PEPDAT1", "PEPDAT2"}
    open_incidents = {"statuses[]": ["triggered", "acknowledged"], "date_range": "all"}
    assert get(sim, "/incidents", open_incidents, token="data-team").json()["incidents"] == []
    assert len(get(sim, "/incidents", open_incidents).json()["incidents"]) == 6  # the account key sees them all


def test_a_hidden_object_by_id_is_403_not_404(sim):
    hidden = get(sim, "/services/PPAYAPI", token="data-team")
    assert hidden.status_code == 403
    assert hidden.json()["error"] == {"code": 2010, "message": "Access Denied",
                                      "errors": ["service PPAYAPI is not visible to this credential"]}
    assert get(sim, "/services/PNOSUCH", token="data-team").status_code == 404
    assert get(sim, "/services/PMETRIC", token="data-team").json()["service"]["id"] == "PMETRIC"
    assert get(sim, "/escalation_policies/PEPPAY1", token="data-team").status_code == 403
    assert get(sim, "/schedules/PSCHPAY", token="data-team").status_code == 403
    assert get(sim, "/escalation_policies/PEPPAY1/tags", token="data-team").status_code == 403
    scores = get(sim, "/standards/scores/technical_services", {"ids": ["PPAYAPI", "PMETRIC"]}, token="data-team")
    assert [r["resource_id"] for r in scores.json()["resources"]] == ["PMETRIC"]


def test_a_collection_can_be_refused_to_one_credential(sim):
    refused = get(sim, "/standards/scores/technical_services", {"ids": ["PPAYAPI"]}, token="no-standards")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == 2010
    assert get(sim, "/services", token="no-standards").status_code == 200
    assert get(sim, "/standards/scores/technical_services", {"ids": ["PPAYAPI"]}).status_code == 200


def oauth_sim(demo_state, **settings):
    return Simulator(demo_state, SimulatorSettings(token=TOKEN, oauth_client_id="app", oauth_client_secret="secret",
                                                   oauth_subdomain="acme", **settings))


def token_for(sim, scope):
    return requests.post(sim.url + "/oauth/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": "app", "client_secret": "secret", "scope": scope})


def test_a_bearer_token_carries_only_the_scopes_asked_for_and_granted(demo_state):
    with oauth_sim(demo_state, oauth_scopes=frozenset({"services.read", "teams.read", "incidents.read"})) as sim:
        issued = token_for(sim, "as_account-us.acme services.read teams.read schedules.read").json()
        assert issued["scope"] == "as_account-us.acme services.read teams.read"  # schedules.read not granted
        bearer = issued["access_token"]
        assert get(sim, "/teams", bearer=bearer).status_code == 200
        refused = get(sim, "/incidents", bearer=bearer)
        assert refused.status_code == 403
        assert refused.json()["error"]["errors"] == [
            "the token was not granted the `incidents.read` scope GET /incidents requires"]
        unscoped = get(sim, "/v3/schedules/PSCHPAY", bearer=bearer)
        assert unscoped.json()["error"]["errors"] == ["GET /v3/schedules/{id} does not support scoped OAuth tokens"]
        assert get(sim, "/incidents").status_code == 200  # API keys have no scopes


def test_a_classic_read_scope_reads_everything_with_a_scope(demo_state):
    with oauth_sim(demo_state) as sim:
        bearer = token_for(sim, "as_account-us.acme read").json()["access_token"]
        assert get(sim, "/incidents", bearer=bearer).status_code == 200
        assert get(sim, "/oncalls", bearer=bearer).status_code == 200


@pytest.mark.parametrize("region", ["us", "eu"])
def test_the_client_gets_a_token_in_either_region(demo_state, region):
    with oauth_sim(demo_state, oauth_region=region) as sim:
        credential = OAuthCredential("app", "secret", subdomain="acme", region=region,
                                     token_url=sim.url + "/oauth/token")
        client = PagerDutyClient(credential, ClientSettings(base_url=sim.url))
        assert client.get("/services/PPAYAPI")["service"]["id"] == "PPAYAPI"
        other = "eu" if region == "us" else "us"
        refused = token_for(sim, f"as_account-{other}.acme services.read")
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("scope", ["services.read", "as_account-ap.acme services.read",
                                   "as_account-us.other services.read", "as_account-us.acme as_account-eu.acme"])
def test_a_token_request_must_name_this_one_account(demo_state, scope):
    with oauth_sim(demo_state) as sim:
        response = token_for(sim, scope)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_a_team_scoped_app_sees_only_its_teams(demo_state):
    with oauth_sim(demo_state, oauth_access=Access(teams=DATA_TEAM)) as sim:
        client = PagerDutyClient(OAuthCredential("app", "secret", subdomain="acme", token_url=sim.url + "/oauth/token"),
                                 ClientSettings(base_url=sim.url))
        assert {s["id"] for s in client.paginate("/services", "services")} == {"PETLSCH", "PMETRIC", "PWHLOAD"}
        with pytest.raises(PagerDutyError) as error:
            client.get("/services/PPAYAPI")
    assert error.value.status == 403
