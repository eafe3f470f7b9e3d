"""On call at every level, v3 schedules counted as schedules, and the 7-day coverage of level 1."""

import dataclasses

from insights.facts import causes as why

PAYMENTS, DATA = "component:default/payments-api", "component:default/etl-scheduler"


def with_policy(state, policy_id, levels):
    """`state` with the policy's levels replaced by `levels` (each a list of (type, id) targets)."""
    def rules(policy):
        return [{"id": f"R{n}", "escalation_delay_in_minutes": 30,
                 "targets": [{"type": kind, "id": target_id} for kind, target_id in targets]}
                for n, targets in enumerate(levels)]
    return dataclasses.replace(state, escalation_policies=[
        dict(p, escalation_rules=rules(p)) if p["id"] == policy_id else p for p in state.escalation_policies])


def test_v3_schedules_count_as_schedules_and_differ_from_classic_ones(demo_catalog, demo_state, demo_now, evaluated):
    state = with_policy(demo_state, "PEPDAT2", [[("schedule_v3_reference", "PSCHDAT")],
                                                [("schedule_reference", "PSCHDAT")]])
    state = dataclasses.replace(state, schedule_coverage={"PSCHDAT": 95.0})
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    facts = table.values.loc[DATA]
    assert facts["pagerduty.first_level_has_schedule"] is True
    # The spec tells v3 schedules apart by type (`schedule_v3_reference`): two targets, two unique levels.
    assert facts["pagerduty.escalation_unique_levels"] == 2
    assert facts["pagerduty.schedule_coverage_7d"] == 95.0
    assert results.loc[("escalation-first-level-schedule", DATA), "outcome"] == "pass"
    assert results.loc[("oncall-coverage-7d", DATA), "outcome"] == "fail"


def test_v3_level_one_schedules_collected_over_http(demo_catalog, demo_state, demo_now):
    """Through the simulator: a v3 schedule at level 1 is a schedule, and its coverage is looked up."""
    from datetime import datetime, timezone

    from insights.facts.registry import compute_fact_table
    from insights.pagerduty.client import ClientSettings, PagerDutyClient
    from insights.pagerduty.collect import CollectOptions, collect
    from insights.pagerduty.simulator import Simulator, SimulatorSettings
    from insights.pagerduty.state import shift_times

    state = with_policy(demo_state, "PEPDAT2", [[("schedule_v3_reference", "PSV3DAT")], [("user_reference", "PUSR008")]])
    state = shift_times(dataclasses.replace(state, schedule_coverage={**state.schedule_coverage, "PSV3DAT": 100.0}),
                        datetime.now(timezone.utc))
    with Simulator(state, SimulatorSettings(token="test-token")) as simulator:
        client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
        collected = collect(client, CollectOptions(schedule_coverage=True))
    facts = compute_fact_table(demo_catalog.entities, collected, demo_now).values.loc[DATA]
    assert facts["pagerduty.first_level_has_schedule"] is True
    assert facts["pagerduty.escalation_unique_levels"] == 2
    assert facts["pagerduty.schedule_coverage_7d"] == 100.0


def test_the_same_classic_schedule_twice_is_one_unique_level(demo_catalog, demo_state, demo_now, evaluated):
    table, _ = evaluated(demo_catalog.entities, demo_state, demo_now)
    assert table.values.loc[DATA, "pagerduty.escalation_unique_levels"] == 1  # PSCHDAT at both levels


def test_every_level_of_the_policy_is_checked_for_someone_on_call(demo_catalog, demo_state, demo_now, evaluated):
    # Level 2 of the payments policy loses its on-call: level 1 alone used to hide it.
    state = dataclasses.replace(demo_state, oncalls=[
        o for o in demo_state.oncalls if (o["escalation_policy"]["id"], o["escalation_level"]) != ("PEPPAY1", 2)])
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    facts = table.values.loc[PAYMENTS]
    assert facts["pagerduty.has_oncall"] is True
    assert facts["pagerduty.oncall_levels_uncovered"] == [2] and facts["pagerduty.oncall_every_level"] is False
    assert results.loc[("oncall-now", PAYMENTS), "outcome"] == "pass"
    assert results.loc[("oncall-every-level", PAYMENTS), "outcome"] == "fail"
    assert "level(s) [2] of" in " ".join(results.loc[("oncall-every-level", PAYMENTS), "fix"].split())
    indexer = table.values.loc["component:default/indexer"]  # level 1's shift ended, level 2 is covered
    assert indexer["pagerduty.oncall_levels_uncovered"] == [1]
    untouched, _ = evaluated(demo_catalog.entities, demo_state, demo_now)
    assert untouched.values.loc[PAYMENTS, "pagerduty.oncall_levels_uncovered"] == []


def test_seven_day_coverage_passes_at_100_and_is_unknown_when_not_collected(demo_catalog, demo_state, demo_now,
                                                                             evaluated):
    _, results = evaluated(demo_catalog.entities, demo_state, demo_now)
    outcome = results["outcome"].xs("oncall-coverage-7d")
    assert outcome[PAYMENTS] == "pass"  # 100 %
    assert outcome["component:default/deploy-api"] == "fail"  # 85.7 %
    assert outcome["component:default/build-runner"] == "unknown"  # level 1 is a single user
    assert results.loc[("oncall-coverage-7d", "component:default/build-runner"), "reason"] == why.NO_LEVEL1_SCHEDULE
    _, off = evaluated(demo_catalog.entities, dataclasses.replace(demo_state, schedule_coverage={}), demo_now)
    assert off.loc[("oncall-coverage-7d", PAYMENTS), "outcome"] == "unknown"
    assert off.loc[("oncall-coverage-7d", PAYMENTS), "reason"] == why.NOT_COLLECTED["schedules"]
