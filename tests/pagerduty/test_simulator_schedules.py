"""Shift-based (v3) schedules and long-form ids, as a generated account serves them."""

import dataclasses

import requests

from insights.pagerduty.generate import generate
from insights.pagerduty.simulator import Simulator, SimulatorSettings

from .conftest import HEADERS, TOKEN

WEEK = {"since": "2026-12-01T00:00:00Z", "until": "2026-12-08T00:00:00Z"}


def get(sim, path, params=None):
    return requests.get(sim.url + path, params=params, headers=HEADERS, timeout=5)


def schedules_by_type(state) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for policy in state.escalation_policies:
        for rule in policy["escalation_rules"]:
            for target in rule["targets"]:
                if target["type"].startswith("schedule"):
                    found.setdefault(target["type"], set()).add(target["id"])
    return {kind: sorted(ids) for kind, ids in found.items()}


def test_generated_accounts_carry_long_ids_and_v3_schedules():
    state = generate(100, 100, seed=11).state
    for objects in (state.services, state.escalation_policies, state.teams):
        ids = [o["id"] for o in objects]
        assert any(len(i) == 14 and i.startswith("Q") for i in ids) and any(len(i) == 7 for i in ids)
    users = {t["id"] for p in state.escalation_policies for r in p["escalation_rules"] for t in r["targets"]
             if t["type"] == "user_reference"}
    assert any(u.startswith("Q") for u in users)
    kinds = schedules_by_type(state)
    assert kinds["schedule_v3_reference"] and kinds["schedule_reference"]
    assert any(len(i) == 14 for ids in kinds.values() for i in ids)
    assert any((o.get("schedule") or {}).get("type") == "schedule_v3_reference" for o in state.oncalls)


def test_a_v3_schedule_is_read_at_v3_with_its_final_schedule_coverage():
    state = generate(100, 100, seed=11).state
    kinds = schedules_by_type(state)
    v3, v2 = kinds["schedule_v3_reference"][0], kinds["schedule_reference"][0]
    state = dataclasses.replace(state, schedule_coverage={v3: 42.5, v2: 80.0})
    with Simulator(state, SimulatorSettings(token=TOKEN)) as sim:
        schedule = get(sim, f"/v3/schedules/{v3}", {**WEEK, "include[]": ["final_schedule"]}).json()["schedule"]
        assert schedule["type"] == "schedule_v3" and schedule["self"].endswith(f"/v3/schedules/{v3}")
        assert schedule["final_schedule"]["rendered_coverage_percentage"] == 42.5
        assert "final_schedule" not in get(sim, f"/v3/schedules/{v3}", WEEK).json()["schedule"]  # not asked for
        # The v2 endpoint does not know shift-based schedules; the v3 one refuses a layer-based id.
        assert get(sim, f"/schedules/{v3}", WEEK).status_code == 404
        layer_based = get(sim, f"/v3/schedules/{v2}", {**WEEK, "include[]": ["final_schedule"]})
        assert layer_based.status_code == 400
        v2_final = get(sim, f"/schedules/{v2}", WEEK).json()["schedule"]["final_schedule"]
        assert v2_final["rendered_coverage_percentage"] == 80.0
        assert get(sim, f"/schedules/{v2}").json()["schedule"]["final_schedule"]["rendered_coverage_percentage"] is None
        assert get(sim, "/v3/schedules/QNOSUCHSCHEDUL").status_code == 404


def test_long_ids_are_served_like_short_ones():
    state = generate(100, 100, seed=11).state
    long_service = next(s for s in state.services if len(s["id"]) == 14)
    with Simulator(state, SimulatorSettings(token=TOKEN)) as sim:
        service = get(sim, f"/services/{long_service['id']}").json()["service"]
        assert service["id"] == long_service["id"]
        policy_id = service["escalation_policy"]["id"]
        oncalls = get(sim, "/oncalls", {"escalation_policy_ids[]": [policy_id]}).json()["oncalls"]
        assert {o["escalation_policy"]["id"] for o in oncalls} <= {policy_id}
