"""Rate limits as PagerDuty applies them: a window per credential (an OAuth app's tokens share one), an
operation's own limit, and `ratelimit-*` headers a client can budget with."""

import time

import requests

from insights.pagerduty.simulator import Access, Simulator, SimulatorSettings

from .conftest import HEADERS, TOKEN


def get(sim, path="/teams", token=TOKEN, bearer=None):
    authorization = f"Bearer {bearer}" if bearer else f"Token token={token}"
    return requests.get(sim.url + path, headers={**HEADERS, "Authorization": authorization}, timeout=5)


def limits(response) -> tuple[int, str, str, int]:
    h = response.headers
    return response.status_code, h["ratelimit-limit"], h["ratelimit-remaining"], int(h["ratelimit-reset"])


def test_headers_count_down_the_window_then_429_until_reset(demo_state):
    with Simulator(demo_state, SimulatorSettings(token=TOKEN, rate_limit=3, rate_window_s=2)) as sim:
        answers = [limits(get(sim)) for _ in range(4)]
        assert [a[:3] for a in answers] == [(200, "3", "2"), (200, "3", "1"), (200, "3", "0"), (429, "3", "0")]
        assert all(1 <= a[3] <= 2 for a in answers)
        time.sleep(answers[-1][3])  # ratelimit-reset: the seconds until the window resets
        assert limits(get(sim))[:3] == (200, "3", "2")


def test_each_key_has_its_own_window(demo_state):
    settings = SimulatorSettings(token=TOKEN, rate_limit=2, tokens={"other": Access()})
    with Simulator(demo_state, settings) as sim:
        assert [get(sim).status_code for _ in range(3)] == [200, 200, 429]
        assert limits(get(sim, token="other"))[:3] == (200, "2", "1")


def test_a_wrong_token_is_not_counted_and_gets_no_rate_headers(demo_state):
    with Simulator(demo_state, SimulatorSettings(token=TOKEN, rate_limit=2)) as sim:
        wrong = get(sim, token="wrong")
        assert wrong.status_code == 401 and "ratelimit-remaining" not in wrong.headers
        assert limits(get(sim))[:3] == (200, "2", "1")


def test_an_oauth_apps_tokens_share_one_window(demo_state):
    settings = SimulatorSettings(token=TOKEN, rate_limit=3, oauth_client_id="app", oauth_client_secret="secret")
    with Simulator(demo_state, settings) as sim:
        def bearer():
            return requests.post(sim.url + "/oauth/token", timeout=5, data={
                "grant_type": "client_credentials", "client_id": "app", "client_secret": "secret",
                "scope": "as_account-us.acme teams.read"}).json()["access_token"]
        first, second = bearer(), bearer()
        assert limits(get(sim, bearer=first))[:3] == (200, "3", "2")
        assert limits(get(sim, bearer=second))[:3] == (200, "3", "1")
        assert limits(get(sim))[:3] == (200, "3", "2")  # the API key is another window


def test_an_operation_with_its_own_limit_reports_the_tighter_one(demo_state):
    settings = SimulatorSettings(token=TOKEN, rate_limit=10, operation_rate_limit=2)
    with Simulator(demo_state, settings) as sim:
        oncalls = [limits(get(sim, "/oncalls"))[:3] for _ in range(3)]
        assert oncalls == [(200, "2", "1"), (200, "2", "0"), (429, "2", "0")]
        assert limits(get(sim, "/teams"))[:3] == (200, "10", "7")  # the key's window counted two on-call pages
