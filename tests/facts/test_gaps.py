"""The hours of the next week nobody is on call at level 1: kept from the schedule answers the coverage comes
from, layer-based and shift-based, and shown in the coverage check's fix."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from insights.facts.oncall import gap_text
from insights.facts.registry import compute_fact_table
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.schedules import covered_spans, uncovered
from insights.pagerduty.simulator import Simulator, SimulatorSettings
from insights.pagerduty.state import parse_time, shift_times

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)  # a Tuesday


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize("spans, gaps", [
    ([], [(0, 168)]),
    ([(0, 168)], []),
    ([(2, 10), (8, 20), (30, 200)], [(0, 2), (20, 30)]),  # overlapping and past the end
    ([(-5, 3), (3, 4), (5, 6)], [(4, 5), (6, 168)]),  # before the start, touching
])
def test_uncovered_spans(spans, gaps):
    assert uncovered([(at(a), at(b)) for a, b in spans], at(0), at(168)) == [(at(a), at(b)) for a, b in gaps]


def test_entries_that_do_not_end_and_empty_shifts():
    final = {"rendered_schedule_entries": [{"start": "2026-12-01T06:00:00Z", "end": None}],
             "computed_shift_assignments": [
                 {"start_time": "2026-12-01T00:00:00Z", "end_time": "2026-12-01T03:00:00Z", "member": {"type": "user_member"}},
                 {"start_time": "2026-12-01T03:00:00Z", "end_time": "2026-12-01T06:00:00Z", "member": {"type": "empty_member"}}]}
    assert uncovered(covered_spans(final, at(168)), at(0), at(168)) == [(at(3), at(6))]


@pytest.mark.parametrize("start, end, text", [
    (at(0), at(8), "Tue 01 Dec 00:00-08:00"),
    (at(22), at(24), "Tue 01 Dec 22:00-24:00"),
    (at(22), at(30), "Tue 01 Dec 22:00-Wed 02 Dec 06:00"),
    (at(0), at(48), "Tue 01 Dec 00:00-Thu 03 Dec 00:00"),
])
def test_gap_text(start, end, text):
    assert gap_text(start, end) == text


def test_gaps_are_collected_with_the_coverage_and_named_in_the_fix(demo_state, demo_catalog, evaluated):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # A v3 schedule with two gaps replaces data's level 1.
    nights = [[(now + timedelta(days=d, hours=1)).isoformat(), (now + timedelta(days=d, hours=4)).isoformat()]
              for d in (1, 3)]
    policies = [dict(p, escalation_rules=[{"id": "R1", "targets": [{"type": "schedule_v3_reference", "id": "PSV3DAT"}]},
                                          *p["escalation_rules"][1:]]) if p["id"] == "PEPDAT2" else p
                for p in demo_state.escalation_policies]
    state = dataclasses.replace(shift_times(demo_state, now), escalation_policies=policies,
                                schedule_coverage={**demo_state.schedule_coverage, "PSV3DAT": 96.4},
                                schedule_gaps={"PSV3DAT": nights})
    with Simulator(state, SimulatorSettings(token="test-token")) as sim:
        client = PagerDutyClient("test-token", ClientSettings(base_url=sim.url, requests_per_minute=100_000))
        collected = collect(client, CollectOptions(tags=False, schedule_coverage=True))
    gaps = collected.schedule_gaps
    assert [(parse_time(a), parse_time(b)) for a, b in gaps["PSV3DAT"]] == [
        (parse_time(a), parse_time(b)) for a, b in nights]
    # Without explicit gaps the simulator leaves each night open for the missing share: 42.9% of every day.
    daily = [(parse_time(b) - parse_time(a)) for a, b in gaps["PSCHIDX"]]
    assert len(daily) in (7, 8) and max(daily) == timedelta(hours=24 * 0.429)
    assert "PSCHDAT" not in gaps and "PSCHPAY" not in gaps  # fully covered
    table, results = evaluated(demo_catalog.entities, collected, now)
    data = "component:default/etl-scheduler"
    assert table.values.loc[data, "pagerduty.schedule_gaps_7d"] == [
        gap_text(parse_time(a), parse_time(b)) for a, b in gaps["PSV3DAT"]]
    fix = results.loc[("oncall-coverage-7d", data), "fix"]
    assert results.loc[("oncall-coverage-7d", data), "outcome"] == "fail"
    assert gap_text(parse_time(gaps["PSV3DAT"][0][0]), parse_time(gaps["PSV3DAT"][0][1])) in fix
    assert table.values.loc["component:default/payments-api", "pagerduty.schedule_gaps_7d"] == []


def test_a_snapshot_with_coverage_but_no_gaps_says_so(demo_state, demo_catalog, demo_now):
    from insights.facts import causes as why

    table = compute_fact_table(demo_catalog.entities, demo_state, demo_now)
    assert table.values.loc["component:default/indexer", "pagerduty.schedule_coverage_7d"] == 57.1
    assert table.values.loc["component:default/indexer", "pagerduty.schedule_gaps_7d"] is None
    assert table.causes.loc["component:default/indexer", "coverage_gaps"] == why.NO_GAPS
