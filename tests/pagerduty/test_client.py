"""The client against the simulator on loopback: paging, credentials, retries, the API's base URL."""

import pytest

from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient, api_base_url
from insights.pagerduty.simulator import Simulator, SimulatorSettings

FAST = dict(backoff_s=0.01, max_retries=3, requests_per_minute=100_000)


def client(url, token="test-token", **overrides):
    return PagerDutyClient(token, ClientSettings(base_url=url, **{**FAST, **overrides}))


def test_paging_fetches_everything_in_pages_of_100(demo_state):
    services = [dict(demo_state.services[0], id=f"P{i:06d}", name=f"svc-{i:04d}") for i in range(250)]
    state = type(demo_state)(**{**demo_state.__dict__, "services": services})
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        pd = client(sim.url)
        items = pd.paginate("/services", "services")
    assert len(items) == 250 and len({s["id"] for s in items}) == 250
    assert pd.counts == {"GET /services": 3}  # the fewest pages of 100 that carry 250


def test_offset_cap_is_an_error_not_a_silent_truncation(demo_state):
    services = [{"id": f"P{i:06d}", "type": "service", "name": f"svc-{i:05d}"} for i in range(10_050)]
    state = type(demo_state)(**{**demo_state.__dict__, "services": services})
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        with pytest.raises(PagerDutyError, match="has 10050 results, past the API's offset cap of 10000"):
            client(sim.url).paginate("/services", "services")


def test_wrong_token_stops_at_once_naming_the_variable_not_the_value(simulator):
    pd = client(simulator.url, token="wrong-secret-value")
    with pytest.raises(PagerDutyError) as error:
        pd.get("/services")
    message = str(error.value)
    assert error.value.status == 401 and "PAGERDUTY_TOKEN" in message and "wrong-secret-value" not in message
    assert pd.counts["GET /services"] == 1


def test_unknown_service_id_is_none_when_allowed(simulator):
    assert client(simulator.url).get("/services/PNOSUCH", endpoint="GET /services/{id}", missing_ok=True) is None
    with pytest.raises(PagerDutyError, match="HTTP 404: Not Found"):
        client(simulator.url).get("/services/PNOSUCH", endpoint="GET /services/{id}")


def test_503s_are_retried_with_backoff(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", fail_rate=0.5, seed=7)) as sim:
        pd = client(sim.url, max_retries=8)
        results = [pd.get("/teams") for _ in range(5)]
    assert all(r["teams"] for r in results)
    assert pd.counts["GET /teams"] > 5


def test_persistent_503_gives_up_with_a_clear_message(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", fail_rate=1.0)) as sim:
        pd = client(sim.url)
        with pytest.raises(PagerDutyError, match=r"GET /teams failed 4 times \(HTTP 503\).*try again later") as error:
            pd.get("/teams")
    assert error.value.status == 503 and error.value.endpoint == "GET /teams"
    assert sim.requests.count("GET /teams") == 4


def test_region_alone_chooses_the_api_host():
    assert api_base_url(None, "eu") == "https://api.eu.pagerduty.com"
    assert api_base_url(None, "us") == "https://api.pagerduty.com"
    assert api_base_url("http://127.0.0.1:8080/", "eu") == "http://127.0.0.1:8080"  # a configured URL wins
    with pytest.raises(ConfigError, match="`pagerduty.region` must be one of us, eu, not 'ap'"):
        api_base_url(None, "ap")
