"""The client against real servers on loopback: the simulator, and a raw server for broken answers."""

import socketserver
import threading
import time

import pytest

from insights.errors import PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient, RateBudget
from insights.pagerduty.simulator import Simulator, SimulatorSettings

FAST = dict(backoff=0.01, max_retries=3, max_retry_seconds=10, requests_per_minute=100_000)


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
    assert client(simulator.url).get("/services/PNOSUCH", missing_ok=True) is None
    with pytest.raises(PagerDutyError, match="HTTP 404: Not Found"):
        client(simulator.url).get("/services/PNOSUCH")


def test_429_bursts_are_waited_out_using_ratelimit_reset(demo_state):
    settings = SimulatorSettings(token="test-token", rate_limit=3, rate_window_s=1)
    with Simulator(demo_state, settings) as sim:
        pd = client(sim.url, max_retries=5)
        for _ in range(8):
            assert pd.get("/teams")["teams"]
    assert "GET /teams" in pd.counts and pd.counts["GET /teams"] >= 8
    assert sim.requests.count("GET /teams") == pd.counts["GET /teams"]


def test_client_slows_down_before_the_limit_instead_of_hitting_it(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", rate_limit=20, rate_window_s=1)) as sim:
        pd = client(sim.url)
        for _ in range(30):
            pd.get("/teams")
    assert sim.statuses == [200] * 30


def test_budget_schedules_requests_evenly():
    budget = RateBudget(per_minute=6000)
    start = time.monotonic()
    for _ in range(5):
        budget.wait()
    assert budget.next_at - start == pytest.approx(5 * 0.01, abs=0.005)


def test_503s_are_retried_with_backoff(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", fail_rate=0.5, seed=7)) as sim:
        pd = client(sim.url, max_retries=8)
        results = [pd.get("/teams") for _ in range(5)]
    assert all(r["teams"] for r in results)
    assert pd.counts["GET /teams"] > 5


def test_persistent_503_gives_up_with_a_clear_message(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", fail_rate=1.0)) as sim:
        with pytest.raises(PagerDutyError, match=r"failed after 4 attempts .*HTTP 503.*try again later"):
            client(sim.url).get("/teams")


def test_timeout_is_retried_then_reported(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", latency_ms=400)) as sim:
        with pytest.raises(PagerDutyError, match="ReadTimeout"):
            client(sim.url, timeout=0.1, max_retries=1).get("/teams")


class RawServer(socketserver.ThreadingTCPServer):
    """Answers every request with the same raw bytes, then closes the connection."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, payload: bytes):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(65536)
                self.request.sendall(payload)

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def test_malformed_json_is_a_clear_error():
    body = b"{not json"
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with RawServer(payload) as url:
        with pytest.raises(PagerDutyError, match="malformed JSON"):
            client(url).get("/services")


def test_connection_reset_mid_page_is_retried_then_reported():
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"services\": ["
    with RawServer(payload) as url:
        pd = client(url, max_retries=2)
        with pytest.raises(PagerDutyError, match="failed after 3 attempts"):
            pd.get("/services")
    assert pd.counts["GET /services"] == 3
