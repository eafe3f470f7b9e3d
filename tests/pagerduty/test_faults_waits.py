"""Every wait has an end: faults through a real proxy in front of the simulator, with the real client over
real HTTP. Short deadlines keep each case quick; each ends in a PagerDutyError naming the endpoint and what
was seen."""

import pytest

from insights.errors import PagerDutyError
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings

QUICK = dict(backoff_s=0.01, max_retries=2, requests_per_minute=1_000_000, deadline_s=20, max_wait_s=2,
             request_timeout_s=5, breaker_failures=10)


def client(url, **overrides):
    return PagerDutyClient("test-token", ClientSettings(base_url=url, **{**QUICK, **overrides}))


def on(path, fault, first=1, last=None):
    """A rule: `fault` for requests to `path` numbered first..last among all requests."""
    return lambda n, method, target: fault if target.split("?")[0] == path and first <= n <= (last or n) else None


def test_a_reset_of_an_hour_fails_at_once_instead_of_waiting(simulator, fault_proxy, fault):
    proxy = fault_proxy(simulator.url, on("/teams", fault(status=429, headers={"ratelimit-reset": "3600"})))
    pd = client(proxy.url)
    with pytest.raises(PagerDutyError) as error:
        pd.get("/teams")
    assert str(error.value) == ("PagerDuty GET /teams: HTTP 429 with ratelimit-reset: 3600 asks to wait 3600 s, "
                                "longer than the longest wait allowed (2 s); try again later")
    assert error.value.exit_code == 3 and len(proxy.requests) == 1


@pytest.mark.parametrize("reset", ["inf", "nan", "-5", "soon", "1e999", ""])
def test_a_garbage_reset_is_a_short_backoff_not_a_crash(simulator, fault_proxy, fault, reset):
    proxy = fault_proxy(simulator.url, on("/teams", fault(status=429, headers={"ratelimit-reset": reset}), last=2))
    pd = client(proxy.url)
    assert pd.get("/teams")["teams"]
    assert pd.counts["GET /teams"] == 3


def test_rate_limit_waits_do_not_use_up_the_retries(simulator, fault_proxy, fault):
    busy = fault(status=429, headers={"ratelimit-reset": "0", "ratelimit-remaining": "0"})
    proxy = fault_proxy(simulator.url, on("/teams", busy, last=8))
    pd = client(proxy.url, max_retries=1)
    assert pd.get("/teams")["teams"]
    assert len(proxy.requests) == 9


def test_a_busy_api_that_never_lets_up_ends_at_the_deadline(simulator, fault_proxy, fault):
    proxy = fault_proxy(simulator.url, on("/teams", fault(status=429, headers={"ratelimit-reset": "0.2"})))
    with pytest.raises(PagerDutyError, match=r"^PagerDuty (GET /teams: HTTP 429 with ratelimit-reset: 0.2 asks to "
                                             r"wait 0 s, past the collection's deadline of 1 s|collection passed its "
                                             r"deadline of 1 s before GET /teams finished \(last seen: HTTP 429)"
                       ) as error:
        client(proxy.url, deadline_s=1).get("/teams")
    assert error.value.endpoint == "GET /teams" and len(proxy.requests) >= 3


@pytest.mark.parametrize("head", [False, True], ids=["body", "headers"])
def test_a_dripped_answer_hits_the_time_limit_per_request(simulator, fault_proxy, fault, head):
    proxy = fault_proxy(simulator.url, on("/teams", fault(drip_s=0.05, drip_head=head)))
    pd = client(proxy.url, request_timeout_s=0.5, max_retries=1)
    with pytest.raises(PagerDutyError, match=r"^PagerDuty GET /teams failed 2 times \(no complete answer "
                                             r"within 0.5 s\); the API may be down"):
        pd.get("/teams")
    assert len(proxy.requests) == 2


@pytest.mark.parametrize("kind", ["truncate", "reset"])
def test_cut_connections_are_retried_then_reported(simulator, fault_proxy, fault, kind):
    broken = fault(truncate=20) if kind == "truncate" else fault(reset=True)
    proxy = fault_proxy(simulator.url, on("/teams", broken))
    with pytest.raises(PagerDutyError, match=r"^PagerDuty GET /teams failed 3 times \(\w+Error talking to "
                                             r"http://127.0.0.1:\d+\)"):
        client(proxy.url).get("/teams")
    assert len(proxy.requests) == 3
    healed = fault_proxy(simulator.url, on("/teams", broken, last=2))
    assert client(healed.url).get("/teams")["teams"]


@pytest.fixture(scope="module")
def big_account():
    return generate(2000, 2000, seed=5)


def test_an_api_gone_mid_collection_stops_every_worker_fast(big_account, fault_proxy):
    """About 1,100 requests queued (tags per object) when the API goes away after 60: the breaker opens after
    ten failures in a row across the workers, before any one request runs out of retries, and the queue is
    dropped instead of retried request by request."""
    with Simulator(big_account.state, SimulatorSettings(token="test-token")) as sim:
        proxy = fault_proxy(sim.url, gone_after=60)
        pd = client(proxy.url, concurrency=4, max_retries=5)
        wanted = CollectOptions(service_ids=frozenset(s["id"] for s in big_account.state.services))
        with pytest.raises(PagerDutyError, match=r"^PagerDuty looks down: 10 requests in a row failed \(last: "
                                                 r"GET /\S+: ConnectionError talking to http://127.0.0.1:\d+\)"):
            collect(pd, wanted)
    # The breaker's count, plus per worker what was in flight or had passed the breaker's check an instant
    # before it opened; not the ~1,100 queued requests, each retried.
    assert proxy.after_gone() <= 10 + 2 * 4


def test_the_collection_deadline_ends_a_slow_collection(simulator, fault_proxy, fault):
    proxy = fault_proxy(simulator.url, lambda n, method, target: fault(delay_s=0.3))
    with pytest.raises(PagerDutyError, match=r"^PagerDuty collection passed its deadline of 1 s before GET /\S+ "
                                             r"finished") as error:
        collect(client(proxy.url, deadline_s=1, concurrency=2))
    assert error.value.exit_code == 3 and len(proxy.requests) < 12
