"""What stands between an entity and its next level, and one item per cause: pure functions, checked
against the scorecard rule itself (hypothesis) and on the demo."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from insights.report.steps import PASSING, causes, next_level, unknown_summary
from insights.report.view import load_view
from tests.report.conftest import store_run

OUTCOMES = st.sampled_from(["pass", "fail", "unknown", "waived", "not-applicable", None])
LEVELS = [{"name": "Bronze", "checks": ["a", "b"]}, {"name": "Silver", "checks": ["c"]}, {"name": "Gold", "checks": ["d", "e"]}]


def reached(levels, outcomes):
    """The scorecard rule: a level needs every check of it and of every level below to pass."""
    level = None
    for lvl in levels:
        if not all(outcomes.get(c) in PASSING for c in lvl["checks"]):
            break
        level = lvl["name"]
    return level


@given(st.fixed_dictionaries({c: OUTCOMES for c in "abcde"}))
def test_next_level_names_exactly_the_checks_whose_passing_reaches_it(outcomes):
    step = next_level(LEVELS, outcomes)
    current = reached(LEVELS, outcomes)
    names = [lvl["name"] for lvl in LEVELS]
    if current == "Gold":
        assert step is None
        return
    target, blocking = step
    assert names.index(target) == (names.index(current) + 1 if current else 0)
    assert blocking and all(outcomes.get(c) not in PASSING for c in blocking)
    fixed = {**outcomes, **{c: "pass" for c in blocking}}
    assert names.index(reached(LEVELS, fixed)) >= names.index(target)  # passing them is enough


def test_causes_group_unknown_results_by_reason_most_checks_first():
    rows = [{"check_id": c, "outcome": "unknown", "reason": "no PagerDuty annotation"} for c in "abc"]
    rows += [{"check_id": "d", "outcome": "unknown", "reason": "not visible"},
             {"check_id": "e", "outcome": "fail", "reason": "x is 1"}]
    assert causes(rows) == [("no PagerDuty annotation", ["a", "b", "c"]), ("not visible", ["d"])]


def test_the_unknown_count_comes_with_its_reasons():
    assert unknown_summary(Counter({"annotation": 40, "visibility": 12})) == \
        "52 unknown: 40 wait on “annotation”, 12 on “visibility”"
    assert unknown_summary(Counter({"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}), shown=2) == \
        "15 unknown: 5 wait on “a”, 4 on “b”, 6 on 3 other causes"
    assert unknown_summary(Counter()) == "0 unknown"


def test_the_demo_names_each_cause_once_per_entity(store, demo_catalog, demo_state, demo_now):
    view = load_view(store, store_run(store, demo_catalog, demo_state, demo_now))
    todo = view.todo("component:default/refunds")
    grouped = causes(todo)
    assert sum(len(checks) for _, checks in grouped) == sum(r["outcome"] == "unknown" for r in todo)
    assert len(grouped) < sum(r["outcome"] == "unknown" for r in todo)  # several checks wait on one cause
    assert sum(view.unknown_reasons().values()) == view.summary()["unknown"]
    checkout = {s["scorecard_id"]: s for s in view.next_levels("component:default/checkout")}
    assert checkout["pagerduty-readiness"]["level"] == "Bronze"
    assert (checkout["pagerduty-readiness"]["next"], checkout["pagerduty-readiness"]["blocking"]) == \
        ("Silver", ["escalation-two-levels"])
