"""CI gates: what trips them, what does not, and the exact line a CI log shows."""

import dataclasses

import pandas as pd
import pytest

from insights.gates import GateSettings, Previous, evaluate_gates
from insights.pagerduty.state import save_snapshot
from insights.report.view import RunView
from insights.resources import demo_data

CATALOG = demo_data() / "catalog"
NO_SHRINK = dict(max_shrink_percent=None)


def view(results, sources=None, scores=()) -> RunView:
    """A stored run as the gates see it: results (entity, check, outcome); entities from `sources`
    ({ref: source}) or from the results."""
    results = pd.DataFrame(results, columns=["entity_ref", "check_id", "outcome"]).assign(reason="", fix="")
    sources = sources if sources is not None else dict.fromkeys(results["entity_ref"], "catalog")
    entities = pd.DataFrame({"ref": list(sources), "source": list(sources.values())})
    return RunView(run={"id": 2}, entities=entities, results=results, checks=pd.DataFrame(), scorecards=[],
                   scores=pd.DataFrame(list(scores), columns=["entity_ref", "scorecard_id", "score"]),
                   findings=pd.DataFrame(), organisation=pd.DataFrame(), previous_run_id=None, changes={},
                   trend=pd.DataFrame())


def previous(results, sources=None) -> Previous:
    before = view(results, sources)
    return Previous(1, before.entities, before.results[["entity_ref", "check_id", "outcome"]])


def gates(run, before=Previous(), **settings):
    return evaluate_gates(run, before, GateSettings(**{**NO_SHRINK, **settings}))


MIXED = [("a", "c", "fail"), ("b", "c", "unknown"), ("d", "c", "waived"), ("e", "c", "not-applicable"),
         ("f", "c", "pass"), ("a", "other", "fail")]


def test_fail_on_trips_on_anything_but_a_pass_for_an_entity_it_applies_to():
    assert gates(view(MIXED), fail_on=("c",)).problems == (
        "check c does not pass for 2 entities (1 failing, 1 unknown): a, b",)
    assert gates(view(MIXED), fail_on=("c",), allow_unknown=True).problems == (
        "check c does not pass for 1 entity (1 failing): a",)
    passing = [row for row in MIXED if row[0] not in ("a", "b")]
    assert gates(view(passing), fail_on=("c",)).problems == ()  # waived and not-applicable do not trip


def test_fail_on_a_check_the_run_did_not_evaluate_trips():
    assert gates(view(MIXED), fail_on=("nope",)).problems == (
        "check nope was not evaluated in this run (it is not among the configured checks)",)


def test_long_lists_of_names_are_cut():
    run = view([(f"e{i}", "c", "fail") for i in range(7)])
    assert gates(run, fail_on=("c",)).problems == (
        "check c does not pass for 7 entities (7 failing): e0, e1, e2, e3, e4 …",)


def test_mean_score_floor():
    run = view(MIXED, scores=[("a", "s", 40.0), ("b", "s", 70.0)])
    assert gates(run, fail_under=60).problems == ("mean score 55.0 is below --fail-under 60",)
    assert gates(run, fail_under=55).problems == ()


BEFORE = [("a", "c1", "pass"), ("b", "c1", "unknown"), ("c", "c1", "fail"), ("a", "c2", "pass")]
NOW = [("a", "c1", "fail"), ("b", "c1", "fail"), ("c", "c1", "fail"), ("a", "c2", "pass"),
       ("new", "c1", "fail"), ("new", "c2", "fail")]


def test_new_failures_are_checks_that_passed_before_and_new_entities_count_apart():
    verdict = gates(view(NOW), previous(BEFORE), fail_on_new_failures=True)
    assert verdict.problems == ("1 check passed in run 1 and fails now: a c1",)  # unknown -> fail is no regression
    assert verdict.notes == ("1 entity new since run 1 fails 2 checks: new c1, new c2 (not gated: "
                             "--fail-on-new-entity-failures gates them)",)
    both = gates(view(NOW), previous(BEFORE), fail_on_new_failures=True, fail_on_new_entity_failures=True)
    assert both.problems == ("1 check passed in run 1 and fails now: a c1",
                             "1 entity new since run 1 fails 2 checks: new c1, new c2")
    assert gates(view(NOW), previous(BEFORE)).problems == ()  # not asked for


def test_the_first_run_has_no_new_failures_and_says_so():
    verdict = gates(view(NOW), fail_on_new_failures=True)
    assert verdict.problems == ()
    assert verdict.notes == ("no previous successful run in this database: there are no new failures to gate",)


SOURCES = {**{f"a{i}": "./services" for i in range(10)}, **{f"b{i}": "backstage:https://bs" for i in range(10)}}


def shrunk(keep_b: int) -> RunView:
    kept = {ref: source for ref, source in SOURCES.items() if ref.startswith("a") or int(ref[1:]) < keep_b}
    return view([(ref, "c", "pass") for ref in kept], kept)


def test_a_catalog_that_shrinks_sharply_trips_and_names_the_sources_that_lost_entities():
    before = previous([(ref, "c", "pass") for ref in SOURCES], SOURCES)
    assert gates(shrunk(5), before, max_shrink_percent=20).problems == (
        "the catalog has 15 entities, 25% fewer than the 20 of run 1 (more than 20% fewer trips this gate; "
        "--max-shrink 100 turns it off); sources that lost entities: backstage:https://bs 10 → 5",)
    assert gates(shrunk(7), before, max_shrink_percent=20).problems == ()  # 15% fewer
    assert gates(shrunk(5), before, max_shrink_percent=30).problems == ()
    assert gates(shrunk(5), before, max_shrink_percent=100).problems == ()
    assert gates(view([], {}), before, max_shrink_percent=20).problems == (
        "the catalog has no entities, where run 1 had 20 (more than 20% fewer trips this gate; --max-shrink 100 "
        "turns it off); sources that lost entities: ./services 10 → 0, backstage:https://bs 10 → 0",)
    assert gates(view([], {}), max_shrink_percent=20).problems == (
        "the catalog has no entities: check that the catalog sources are reachable and not empty",)
    assert GateSettings().max_shrink_percent == 20  # on unless turned off


# --- through the command line, on real runs -------------------------------------------------------

def test_a_broken_crawl_is_not_a_green_night(insights, snapshot):
    both = ("--catalog", CATALOG / "payments", "--catalog", CATALOG / "data")
    assert insights("run", *both, "--pagerduty-snapshot", snapshot).exit_code == 0
    result = insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "gate failed: the catalog has 7 entities, 30% fewer than the 10 of run 1 (more than 20% fewer trips this "
        f"gate; --max-shrink 100 turns it off); sources that lost entities: {CATALOG / 'data'} 3 → 0")
    assert insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot,
                    "--max-shrink", "100").exit_code == 0
    assert insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot,
                    "--max-shrink", "101").exit_code == 2


def test_a_check_that_passed_and_fails_now_trips_fail_on_new_failures(insights, tmp_path, snapshot, demo_state):
    assert insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", snapshot).exit_code == 0
    services = [dict(s, description="") if s["id"] == "PPAYAPI" else s for s in demo_state.services]
    save_snapshot(dataclasses.replace(demo_state, services=services), tmp_path / "changed.json")
    result = insights("run", "--catalog", CATALOG / "payments", "--pagerduty-snapshot", tmp_path / "changed.json",
                      "--fail-on-new-failures")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "gate failed: 1 check passed in run 1 and fails now: component:default/payments-api "
        "pagerduty-service-described")
