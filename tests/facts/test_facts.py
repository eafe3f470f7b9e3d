"""Facts over the demo catalog and PagerDuty data: one known entity per behaviour."""

import pytest

from insights.facts.registry import FACTS, compute_facts
from insights.pagerduty.state import PagerDutyState


@pytest.fixture(scope="module")
def facts(demo_catalog, demo_state, demo_now):
    return compute_facts(demo_catalog.entities, demo_state, demo_now)


def fact(facts, name, fact_id):
    return facts.loc[f"component:default/{name}", fact_id]


def test_one_row_per_entity_and_a_column_per_fact(facts, demo_catalog):
    assert len(facts) == len({e.ref for e in demo_catalog.entities})
    assert set(FACTS) <= set(facts.columns)
    assert facts.index.is_unique


@pytest.mark.parametrize("name, fact_id, expected", [
    ("payments-api", "catalog.has_runbook_link", True),
    ("billing-worker", "catalog.has_runbook_link", False),
    ("query-suggest", "catalog.has_owner", False),
    ("billing-worker", "catalog.owner", "payments"),
    ("payments-api", "catalog.has_repository_link", True),
    ("refunds", "pagerduty.service_id_placeholder", True),
    ("refunds", "pagerduty.annotation_valid", False),
    ("sessions", "pagerduty.service_id_well_formed", False),
    ("query-suggest", "pagerduty.annotation_present", False),
    ("query-suggest", "pagerduty.service_id_well_formed", None),
    ("user-profile", "pagerduty.resolved_by", "integration-key"),
    ("user-profile", "pagerduty.service_id", "PUSRPRF"),
    ("payments-api", "pagerduty.resolved_by", "service-id"),
    ("ranking", "pagerduty.service_found", False),
    ("query-suggest", "pagerduty.service_found", None),
    ("artifact-store", "pagerduty.service_status", "disabled"),
    ("metrics-gateway", "pagerduty.service_has_description", False),
    ("auth-service", "pagerduty.service_shared_with", ["component:default/token-service"]),
    ("payments-api", "pagerduty.service_shared", False),
    ("checkout", "pagerduty.escalation_levels", 1),
    ("etl-scheduler", "pagerduty.escalation_levels", 2),
    ("etl-scheduler", "pagerduty.escalation_unique_levels", 1),
    ("etl-scheduler", "pagerduty.escalation_loops", 0),
    ("build-runner", "pagerduty.first_level_has_schedule", False),
    ("payments-api", "pagerduty.first_level_has_schedule", True),
    ("payments-api", "pagerduty.has_oncall", True),
    ("indexer", "pagerduty.has_oncall", False),
    ("indexer", "pagerduty.oncall_gap_level1", True),
    ("indexer", "pagerduty.oncall_levels_uncovered", [1]),
    ("indexer", "pagerduty.oncall_every_level", False),
    ("payments-api", "pagerduty.oncall_every_level", True),
    ("user-profile", "pagerduty.integration_key_service_id", "PUSRPRF"),
    ("payments-api", "pagerduty.integration_key_service_id", None),
    ("billing-worker", "pagerduty.open_incidents", 4),
    ("billing-worker", "pagerduty.open_high_urgency_incidents", 2),
    ("billing-worker", "pagerduty.oldest_open_incident_age_hours", 574.0),
    ("payments-api", "pagerduty.open_incidents", 0),
    ("payments-api", "pagerduty.oldest_open_incident_age_hours", None),
    ("search-api", "pagerduty.name_matches", True),
    ("billing-worker", "pagerduty.name_matches", True),
    ("build-runner", "pagerduty.name_matches", False),
    ("billing-worker", "pagerduty.name_matched_on", "name"),
    ("build-runner", "pagerduty.name_matched_on", "none"),
    ("query-suggest", "pagerduty.name_matched_on", None),
    ("deploy-api", "pagerduty.team_matches_owner", False),
    ("payments-api", "pagerduty.team_matches_owner", True),
    ("build-runner", "pagerduty.policy_mentions_owner", False),
    ("checkout", "pagerduty.tags_include_service", False),
    ("etl-scheduler", "pagerduty.tags_include_team", True),
    ("artifact-store", "pagerduty.env_tag_matches_lifecycle", False),
    ("payments-api", "pagerduty.env_tag_matches_lifecycle", True),
])
def test_known_values(facts, name, fact_id, expected):
    assert fact(facts, name, fact_id) == expected


def test_similarity_is_between_zero_and_one(facts):
    assert 0 < fact(facts, "build-runner", "pagerduty.name_similarity") < 1
    assert fact(facts, "payments-api", "pagerduty.name_similarity") == 1.0


def test_without_pagerduty_data_every_pagerduty_fact_is_unknown(demo_catalog, demo_now):
    facts = compute_facts(demo_catalog.entities, PagerDutyState(), demo_now)
    pd_columns = [c for c in facts.columns if c.startswith("pagerduty.") and FACTS[c].source != "catalog annotations"]
    row = facts.loc["component:default/payments-api", pd_columns]
    assert row["pagerduty.service_found"] is False  # the annotation names a service that is not there
    assert row["pagerduty.services"] == ["PPAYAPI: not found in PagerDuty"]
    assert row.drop(["pagerduty.service_found", "pagerduty.services"]).isna().all()


def test_every_fact_is_described_with_a_known_type():
    for fact_id, spec in FACTS.items():
        assert spec.type in ("boolean", "integer", "number", "string", "datetime", "list"), fact_id
        assert spec.description and spec.source


def test_a_policy_with_no_rules_and_a_disabled_service(demo_catalog, demo_state, demo_now):
    import dataclasses

    policies = [dict(p, escalation_rules=[]) if p["id"] == "PEPCHK1" else p for p in demo_state.escalation_policies]
    services = [dict(s, escalation_policy=dict(s["escalation_policy"], escalation_rules=[]))
                if s["id"] == "PCHKOUT" else s for s in demo_state.services]
    state = dataclasses.replace(demo_state, escalation_policies=policies, services=services)
    facts = compute_facts(demo_catalog.entities, state, demo_now)
    checkout = facts.loc["component:default/checkout"]
    assert checkout["pagerduty.escalation_levels"] == 0
    assert checkout["pagerduty.escalation_unique_levels"] == 0
    assert checkout["pagerduty.first_level_has_schedule"] is False
    assert facts.loc["component:default/artifact-store", "pagerduty.service_status"] == "disabled"


def test_unknown_is_none_never_nan(demo_catalog, demo_state, demo_now):
    import math

    for state in (demo_state, PagerDutyState()):
        facts = compute_facts(demo_catalog.entities, state, demo_now)
        assert (facts.dtypes == object).all()
        nan = [(ref, c) for c in facts.columns for ref, v in facts[c].items() if isinstance(v, float) and math.isnan(v)]
        assert nan == []
        assert facts["pagerduty.resolved_by"].isin(["service-id", "integration-key", None]).all()


def test_entities_on_one_service_share_its_facts_but_not_their_own():
    """Service-level facts are computed once per service and spread; per-entity facts stay per entity."""
    from insights.pagerduty.generate import generate
    from insights.pagerduty.state import parse_time

    generated = generate(services=20, entities=120, seed=7)
    facts = compute_facts(generated.entities(), generated.state, parse_time(generated.state.collected_at))
    found = facts[facts["pagerduty.service_found"].eq(True)]
    shared = found.groupby("pagerduty.service_id").filter(lambda g: len(g) > 1)
    assert len(shared) > 0
    service_level = ["pagerduty.service_name", "pagerduty.escalation_levels", "pagerduty.open_incidents",
                     "pagerduty.has_oncall", "pagerduty.tags"]
    for _, group in shared.groupby("pagerduty.service_id"):
        for column in service_level:
            assert len({repr(v) for v in group[column]}) == 1, column
        for ref, others in group["pagerduty.service_shared_with"].items():
            assert sorted(others) == sorted(set(group.index) - {ref})
    names = found["catalog.name"]
    assert names.is_unique  # name facts are the entity's own
