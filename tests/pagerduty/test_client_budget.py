"""The rate budget: used from the first request, never exceeded, spread only as it runs low."""

import time

from insights.pagerduty.budget import RateBudget
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings


class Asked(Exception):
    """The budget asked to wait: (seconds, why)."""


def ask(seconds, why):
    raise Asked(seconds, why)


def first_wait(budget: RateBudget, requests: int = 1):
    """Acquire `requests` times; the wait the budget asks for first, or None."""
    try:
        for _ in range(requests):
            budget.acquire(ask)
    except Asked as asked:
        return asked.args
    return None


def headers(remaining, limit=100, reset="10"):
    return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": reset}


def test_a_fresh_budget_sends_at_once_up_to_its_ceiling_then_never_more_in_any_minute():
    budget = RateBudget(per_minute=900)
    assert first_wait(budget, 900) is None
    seconds, why = first_wait(budget)
    assert 59 < seconds <= 60 and why == "900 requests per minute"


def test_plenty_remaining_means_no_wait_at_all():
    budget = RateBudget(per_minute=100_000)
    ticket = budget.acquire(ask)
    budget.observe(ticket, 200, headers(remaining=900, limit=960, reset="60"))
    assert first_wait(budget, 500) is None


def test_none_remaining_waits_for_the_window_to_end():
    budget = RateBudget(per_minute=100_000)
    budget.observe(budget.acquire(ask), 200, headers(remaining=0, reset="30"))
    seconds, why = first_wait(budget)
    assert 29 < seconds <= 30 and why == "ratelimit-remaining: 0 with ratelimit-reset: 30"


def test_requests_in_flight_count_against_what_remains():
    budget = RateBudget(per_minute=100_000)
    tickets = [budget.acquire(ask) for _ in range(3)]
    budget.observe(tickets[0], 200, headers(remaining=2))  # the two others may not be counted yet
    assert first_wait(budget) is not None


def test_a_low_budget_is_spread_over_the_rest_of_the_window():
    budget = RateBudget(per_minute=100_000)
    budget.observe(budget.acquire(ask), 200, headers(remaining=5, limit=100, reset="10"))
    seconds, _ = first_wait(budget)
    assert 1.5 < seconds <= 2.0  # ten seconds left for five requests


def test_a_429_without_a_usable_reset_backs_off_doubling():
    budget = RateBudget(per_minute=100_000, fallback_s=1.0)
    budget.observe(budget.acquire(ask), 429, {"ratelimit-reset": "inf"})
    seconds, why = first_wait(budget)
    assert 0.9 < seconds <= 1.0 and why == "HTTP 429 with ratelimit-reset: inf"


def test_a_new_window_brings_the_whole_budget_back_and_old_answers_say_nothing_about_it():
    budget = RateBudget(per_minute=100_000, fallback_s=0.01)
    late = budget.acquire(ask)
    budget.observe(budget.acquire(ask), 200, headers(remaining=0, reset="0.05"))
    time.sleep(0.06)
    assert first_wait(budget, 50) is None  # the window ended: 100 again, less the one still in flight
    budget.observe(late, 200, headers(remaining=0, reset="30"))  # sent in the old window
    assert first_wait(budget, 40) is None


def fast(url, **overrides):
    return PagerDutyClient("test-token", ClientSettings(base_url=url, backoff_s=0.01, requests_per_minute=1_000_000,
                                                        deadline_s=60, **overrides))


def test_a_normal_collection_meets_no_429(demo_state):
    with Simulator(demo_state, SimulatorSettings(token="test-token", rate_limit=60, rate_window_s=2)) as sim:
        collect(fast(sim.url), CollectOptions(schedule_coverage=True, standards=True))
    assert 429 not in sim.statuses and len(sim.statuses) > 20


def test_a_burst_beyond_the_budget_is_spread_not_refused():
    """About 180 requests against a budget of 50 a second: sent as fast as the budget allows, never refused."""
    account = generate(300, 300, seed=2).state
    with Simulator(account, SimulatorSettings(token="test-token", rate_limit=50, rate_window_s=1)) as sim:
        client = fast(sim.url, concurrency=4)
        state = collect(client, CollectOptions(service_ids=frozenset(s["id"] for s in account.services)))
    assert len(sim.statuses) > 3 * 50
    assert sim.statuses.count(429) == 0
    assert sum(state.requests.values()) == len(sim.statuses)
