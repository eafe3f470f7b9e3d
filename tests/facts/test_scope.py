"""Which entities get PagerDuty facts and checks, user owners, and names matched on name or title."""

from insights.facts import causes as why

SERVICE_ID = "pagerduty.com/service-id"


def test_any_kind_with_a_pagerduty_annotation_gets_its_facts_and_checks(descriptor, entities, evaluated, demo_state, demo_now):
    catalog = entities(
        descriptor("Resource", "payments-db", {SERVICE_ID: "PPAYAPI"}, type="database", owner="payments"),
        descriptor("System", "commerce", {SERVICE_ID: "PCHKOUT"}, owner="payments"),
        descriptor("Resource", "plain-bucket", type="s3-bucket", owner="payments"),
        descriptor("Component", "docs-site", type="website", lifecycle="production", owner="payments"))
    table, results = evaluated(catalog, demo_state, demo_now)
    db, system, bucket, site = (e.ref for e in catalog)
    assert table.values.loc[db, "pagerduty.service_found"] is True
    assert table.values.loc[db, "pagerduty.escalation_levels"] == 2
    assert table.values.loc[system, "pagerduty.service_name"] == "Checkout"
    outcome = results["outcome"]
    for check in ("pagerduty-annotation-valid", "pagerduty-service-exists", "escalation-two-levels", "oncall-now",
                  "oncall-every-level", "few-open-incidents", "pagerduty-team-matches-owner"):
        assert outcome[check, db] != "not-applicable" and outcome[check, system] != "not-applicable", check
        assert outcome[check, bucket] == outcome[check, site] == "not-applicable", check
    assert outcome["pagerduty-service-exists", db] == outcome["pagerduty-service-exists", system] == "pass"
    assert outcome["escalation-two-levels", system] == "fail"  # checkout's policy has one level
    # The annotation check itself stays on component services; lifecycle checks on kinds that have one.
    assert outcome["pagerduty-annotation", db] == outcome["pagerduty-env-tag", db] == "not-applicable"


def test_the_readiness_scorecard_scores_annotated_resources_and_systems(descriptor, entities, demo_state, demo_now):
    from insights.config import load_config
    from insights.facts.registry import compute_fact_table
    from insights.resources import default_config
    from insights.rules.evaluate import evaluate
    from insights.scorecards import score

    config = load_config(default_config())
    catalog = entities(descriptor("Resource", "payments-db", {SERVICE_ID: "PPAYAPI"}, type="database", owner="payments"),
                       descriptor("Resource", "plain-bucket", type="s3-bucket", owner="payments"))
    table = compute_fact_table(catalog, demo_state, demo_now)
    results = evaluate(list(config.checks), table.values, causes=table.causes)
    scores = score(list(config.scorecards), results, table.values, {c.id: c.weight for c in config.checks})
    readiness = scores[scores["scorecard_id"] == "pagerduty-readiness"].set_index("entity_ref")
    assert list(readiness.index) == ["resource:default/payments-db"]
    assert readiness.loc["resource:default/payments-db", "level"] == "Gold"


def test_a_user_owner_leaves_team_facts_unknown_with_its_reason(descriptor, entities, evaluated, demo_state, demo_now):
    catalog = entities(
        descriptor("Component", "payments-api", {SERVICE_ID: "PPAYAPI"}, type="service", lifecycle="production",
                   owner="user:jdoe"),
        descriptor("Component", "billing-worker", {SERVICE_ID: "PBILLWK"}, type="service", lifecycle="production",
                   owner="payments"))
    table, results = evaluated(catalog, demo_state, demo_now)
    by_user, by_team = (e.ref for e in catalog)
    for fact in ("pagerduty.team_matches_owner", "pagerduty.policy_mentions_owner", "pagerduty.tags_include_team"):
        assert table.values.loc[by_user, fact] is None, fact
        assert table.values.loc[by_team, fact] is not None, fact
    assert table.values.loc[by_team, "pagerduty.team_matches_owner"] is True
    for check in ("pagerduty-team-matches-owner", "pagerduty-tags"):
        assert results.loc[(check, by_user), "outcome"] == "unknown"
        assert results.loc[(check, by_user), "reason"] == why.USER_OWNER == "the owner is a user, not a team"


def test_the_service_name_is_matched_on_name_or_title(descriptor, entities, demo_state, demo_now):
    from insights.facts.registry import compute_fact_table

    catalog = entities(
        descriptor("Component", "pay-gateway", {SERVICE_ID: "PPAYAPI"}, title="Payments API", type="service",
                   lifecycle="production", owner="payments"),
        descriptor("Component", "payments-api", {SERVICE_ID: "PPAYAPI"}, title="Card payments", type="service",
                   lifecycle="production", owner="payments"),
        descriptor("Component", "ci", {SERVICE_ID: "PBUILDR"}, title="CI Runner", type="service",
                   lifecycle="production", owner="platform"),
        descriptor("Component", "ci-fleet", {SERVICE_ID: "PBUILDR"}, type="service", lifecycle="production",
                   owner="platform"))
    facts = compute_fact_table(catalog, demo_state, demo_now).values.set_index("catalog.name")
    assert facts.loc["pay-gateway", "catalog.title"] == "Payments API"
    assert facts.loc["pay-gateway", ["pagerduty.name_matches", "pagerduty.name_matched_on",
                                     "pagerduty.name_similarity"]].tolist() == [True, "title", 1.0]
    assert facts.loc["payments-api", ["pagerduty.name_matches", "pagerduty.name_matched_on"]].tolist() == [True, "name"]
    # "CI Runners": neither matches; the title is the closer of the two.
    assert facts.loc["ci", ["pagerduty.name_matches", "pagerduty.name_matched_on"]].tolist() == [False, "none"]
    assert facts.loc["ci", "pagerduty.name_similarity"] > facts.loc["ci-fleet", "pagerduty.name_similarity"] > 0
    assert facts.loc["ci-fleet", "catalog.title"] is None
