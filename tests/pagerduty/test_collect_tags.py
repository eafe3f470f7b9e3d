"""Tags read the cheaper way per family, checked on a few account shapes against the fewest requests any
client could make (request counts from the simulator's log)."""

import dataclasses

import pytest

from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.cost import fewest_list_requests, fewest_tag_requests, wanted_tag_objects
from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.tags import plan

EP, TEAMS = "escalation_policies", "teams"


@pytest.mark.parametrize("tags, policies, teams, expected", [
    (17, 9, 5, ("per-object", "per-object")),  # the demo account
    (2103, 1000, 100, ("per-object", "per-object")),  # a tag per service: asking each object is cheaper
    (18, 150, 15, ("per-tag", "per-object")),  # a few tags over many policies, fewer teams than tags
    (4, 150, 40, ("per-tag", "per-tag")),
    (5, 5, 5, ("per-object", "per-object")),  # a tie goes to the exact cost
    (0, 30, 3, ("per-tag", "per-tag")),  # no tags at all: nothing to ask
    (250, 240, 0, ("per-object", "per-object")),  # per tag would also need two more pages of the tag list
])
def test_the_plan_takes_the_cheapest_combination(tags, policies, teams, expected):
    assert plan(tags, {EP: policies, TEAMS: teams}) == dict(zip((EP, TEAMS), expected))


def account(services: int, tagging, seed: int = 1):
    """A generated account whose tags are `tagging(kind, index, object_id) -> labels`."""
    state = generate(services, services, seed=seed).state
    tags = {f"{EP}/{p['id']}": tagging(EP, i, p["id"]) for i, p in enumerate(state.escalation_policies)}
    tags |= {f"{TEAMS}/{t['id']}": tagging(TEAMS, i, t["id"]) for i, t in enumerate(state.teams)}
    return dataclasses.replace(state, tags={k: sorted(v) for k, v in tags.items() if v})


SHAPES = {
    "a tag per service": lambda n: account(n, lambda kind, i, _: [f"service:{i}", "env:prod"] if kind == EP
                                           else [f"team:{i}"]),
    "a few tags over many policies": lambda n: account(n, lambda kind, i, _: [("env:prod", "env:dev", "env:qa")[i % 3]]
                                                       if kind == EP else [f"team:{i}"]),
    "one tag on every policy": lambda n: account(n, lambda kind, i, _: ["managed"] if kind == EP else []),
    "no tags": lambda n: account(n, lambda kind, i, _: []),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("share", [1.0, 0.05], ids=["whole catalog", "a twentieth"])
def test_tags_cost_within_a_tenth_of_the_fewest_possible(shape, share):
    state = SHAPES[shape](600)
    service_ids = frozenset(s["id"] for s in state.services[:int(len(state.services) * share)])
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        client = PagerDutyClient("test-token", ClientSettings(base_url=sim.url, requests_per_minute=1_000_000))
        collected = collect(client, CollectOptions(service_ids=service_ids))
    wanted = wanted_tag_objects(collected, set(service_ids))
    tag_requests = sum(1 for r in sim.requests if "/tags" in r)
    fewest = fewest_tag_requests(state.tags, wanted)
    assert tag_requests <= max(1.1 * fewest, fewest + 1), (tag_requests, fewest, dict(client.counts))
    total, bound = len(sim.requests), fewest_list_requests(collected) + fewest
    assert total <= 1.1 * bound, (total, bound, dict(client.counts))
    # Whichever way was taken, the tags are those of the wanted objects, exactly.
    assert collected.tags == {key: labels for key, labels in state.tags.items()
                              if key.split("/")[1] in wanted[key.split("/")[0]]}


def test_a_per_tag_family_whose_pages_run_long_is_finished_per_object():
    """Three tags on 1,500 policies each: by the count of tags, per tag looks cheaper than asking 12 policies,
    but the first pages show 42 more pages to read; the 12 policies are asked instead."""
    state = account(3000, lambda kind, i, _: ["a", "b", "c"] if kind == EP else [])
    service_ids = frozenset(s["id"] for s in state.services[:12])
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        client = PagerDutyClient("test-token", ClientSettings(base_url=sim.url, requests_per_minute=1_000_000))
        collected = collect(client, CollectOptions(service_ids=service_ids))
    wanted = wanted_tag_objects(collected, set(service_ids))
    assert len(wanted[EP]) == 12 and client.counts["GET /tags/{id}/escalation_policies"] == 3
    assert client.counts["GET /escalation_policies/{id}/tags"] == 12
    assert all(collected.tags[f"{EP}/{p}"] == ["a", "b", "c"] for p in wanted[EP])
