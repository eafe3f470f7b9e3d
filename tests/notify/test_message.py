"""What each team is told, built from stored runs: only what newly fails, only for the teams it concerns."""

import dataclasses

from insights.catalog.model import Catalog
from insights.notify.message import MAX_FAILURES, clip, notices
from insights.report.view import load_view


def test_each_team_hears_only_what_newly_fails_for_it(store, runs):
    view = load_view(store, runs[1])
    told = {n.team: n for n in notices(view)}
    assert sorted(told) == ["data", "payments"]
    payments = told["payments"]
    assert [(f.entity_ref, f.check_id) for f in payments.newly_failing] == [
        ("component:default/payments-api", "pagerduty-service-enabled")]
    failure = payments.newly_failing[0]
    assert (failure.entity, failure.check) == ("payments-api", "PagerDuty service is enabled")
    assert "disabled" in failure.reason and "PPAYAPI" in failure.fix
    assert (payments.run_id, payments.previous_run_id, payments.newly_failing_total) == (runs[1], runs[0], 1)
    assert told["data"].newly_failing[0].entity_ref == "component:default/metrics-gateway"


def test_the_summary_agrees_with_the_reports(store, runs):
    view = load_view(store, runs[1])
    payments = next(n for n in notices(view) if n.team == "payments")
    row = view.teams().loc["payments"]
    assert (payments.entities, payments.failing, payments.unknown) == (row["entities"], row["failing"], row["unknown"])
    readiness = next(s for s in payments.standings if s.scorecard_id == "pagerduty-readiness")
    assert [name for name, _ in readiness.levels] == ["Bronze", "Silver", "Gold", "none"]
    assert sum(count for _, count in readiness.levels) == readiness.entities
    refs = set(view.entities.loc[view.entities["team"] == "payments", "ref"])
    scores = view.scores[(view.scores["scorecard_id"] == "pagerduty-readiness") & view.scores["entity_ref"].isin(refs)]
    assert readiness.mean_score == round(scores["score"].mean(), 1)


def test_top_fixes_are_the_checks_failing_most_with_a_ready_fix(store, runs):
    view = load_view(store, runs[1])
    payments = next(n for n in notices(view) if n.team == "payments")
    weights = view.checks.set_index("check_id")["weight"]
    refs = set(view.entities.loc[view.entities["team"] == "payments", "ref"])
    failing = view.results[(view.results["outcome"] == "fail") & view.results["entity_ref"].isin(refs)]
    gains = (failing.groupby("check_id")["entity_ref"].nunique() * weights).dropna()
    assert len(payments.top_fixes) == 3
    assert [gains[f.check_id] for f in payments.top_fixes] == sorted(gains, reverse=True)[:3]
    for fix in payments.top_fixes:
        assert fix.entities == failing[failing["check_id"] == fix.check_id]["entity_ref"].nunique()
        assert fix.fix and fix.example


def test_a_first_run_tells_nobody_unless_asked(store, demo_catalog, demo_state, demo_now, save):
    view = load_view(store, save(store, demo_catalog, demo_state, demo_now))
    assert notices(view) == []
    initial = notices(view, initial=True)
    assert initial and all(n.previous_run_id is None for n in initial)
    payments = next(n for n in initial if n.team == "payments")
    assert payments.newly_failing_total == payments.failing


def test_nothing_changed_tells_nobody(store, runs, demo_catalog, demo_state, demo_now, save, disabled):
    third = save(store, demo_catalog, disabled(demo_state, "PPAYAPI", "PMETRIC"), demo_now)
    assert notices(load_view(store, third)) == []


def test_links_point_at_the_published_reports(store, runs):
    payments = next(n for n in notices(load_view(store, runs[1]), base_url="https://ci.example/reports/")
                    if n.team == "payments")
    assert payments.links == {"report": "https://ci.example/reports/report.html",
                              "team": "https://ci.example/reports/teams/payments.md"}


def test_catalog_text_is_cleaned_and_bounded(store, demo_catalog, demo_state, demo_now, save, disabled):
    save(store, demo_catalog, demo_state, demo_now)
    title = "Pay\x1b[31m\u202eAPI\x00 " + "x" * 500
    entities = [dataclasses.replace(e, title=title) if e.name == "payments-api" else e for e in demo_catalog.entities]
    run = save(store, Catalog(tuple(entities), ()), disabled(demo_state, "PPAYAPI"), demo_now)
    failure = next(n for n in notices(load_view(store, run)) if n.team == "payments").newly_failing[0]
    # NUL never reaches the database: the store holds it as U+FFFD, which is plain text.
    assert failure.entity.startswith("Pay[31mAPI\ufffd xxx") and len(failure.entity) == 120
    assert failure.entity.endswith("…")
    assert not any(ch in failure.entity for ch in "\x1b\u202e\x00")
    assert clip("a\n  b\tc", 10) == "a b c"
    assert clip("key:\n  value\x07", 50, multiline=True) == "key:\n  value"


def test_a_notice_holds_a_bounded_number_of_failures(store, demo_catalog, demo_state, demo_now, save):
    save(store, demo_catalog, demo_state, demo_now)
    from insights.catalog.model import Entity

    many = tuple(Entity(ref=f"component:default/svc-{i}", kind="component", namespace="default", name=f"svc-{i}",
                        owner="group:default/payments", type="service", lifecycle="production",
                        annotations={"pagerduty.com/service-id": "PNOSUCH"}, path="x.yaml", line=1)
                 for i in range(60))
    run = save(store, Catalog(demo_catalog.entities + many, ()), demo_state, demo_now)
    payments = next(n for n in notices(load_view(store, run)) if n.team == "payments")
    assert payments.newly_failing_total > MAX_FAILURES
    assert len(payments.newly_failing) == MAX_FAILURES
