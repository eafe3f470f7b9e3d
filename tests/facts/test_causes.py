"""Why facts are unknown: every unknown value has its entity's cause, and one cause reads alike everywhere."""

import dataclasses

import pytest

from insights.facts import causes as why
from insights.facts.registry import FACTS, compute_fact_table
from insights.pagerduty.state import PagerDutyState


def unexplained(table) -> list[tuple[str, str]]:
    """(entity, fact) pairs whose value is unknown with no cause given for it."""
    missing = []
    for fact_id, fact in FACTS.items():
        unknown = table.values[fact_id].isna()
        if not fact.cause:
            missing += [(ref, fact_id) for ref in unknown[unknown].index]
            continue
        assert fact.cause in table.causes, f"{fact_id}: no family gives its cause group {fact.cause!r}"
        without = unknown & table.causes[fact.cause].isna()
        missing += [(ref, fact_id) for ref in without[without].index]
    return missing


@pytest.mark.parametrize("state_name", ["demo", "empty", "hidden-and-unreadable"])
def test_every_unknown_fact_has_its_entity_cause(demo_catalog, demo_state, demo_now, state_name):
    state = {"demo": demo_state, "empty": PagerDutyState(),
             "hidden-and-unreadable": dataclasses.replace(
                 demo_state, services=[s for s in demo_state.services if s["id"] != "PPAYAPI"],
                 not_visible=["PPAYAPI"], unavailable={"standards": "", "schedules": "HTTP 403", "oncalls": "HTTP 403",
                                                        "incidents": "HTTP 403", "tags": "HTTP 403"})}[state_name]
    table = compute_fact_table(demo_catalog.entities, state, demo_now)
    assert list(table.causes.index) == list(table.values.index)
    assert unexplained(table) == []


def test_every_unknown_fact_of_a_generated_account_has_a_cause():
    from insights.pagerduty.generate import generate
    from insights.pagerduty.state import parse_time

    generated = generate(services=40, entities=200, seed=3)
    table = compute_fact_table(generated.entities(), generated.state, parse_time(generated.state.collected_at))
    assert unexplained(table) == []


def test_the_entity_cause_names_what_blocks_it(demo_catalog, demo_state, demo_now):
    causes = compute_fact_table(demo_catalog.entities, demo_state, demo_now).causes
    service = causes["service"]
    assert service["component:default/query-suggest"] == why.NO_ANNOTATION
    assert service["component:default/refunds"] == why.ID_MALFORMED  # a template placeholder
    assert service["component:default/sessions"] == why.ID_MALFORMED  # p12345
    assert service["component:default/ranking"] == why.ID_NOT_FOUND
    assert service["component:default/payments-api"] is None
    assert causes.loc["component:default/payments-api", "oldest_incident"] == why.NO_OPEN_INCIDENT
    # The demo collected Service Standards for a few services only.
    assert causes.loc["component:default/indexer", "standards"] == why.NO_STANDARDS_SCORE


def test_one_cause_gives_one_reason_in_every_check_it_blocks(demo_catalog, demo_state, demo_now):
    from insights.config import load_config
    from insights.evaluation import evaluate_run
    from insights.resources import default_config

    results = evaluate_run(load_config(default_config()), demo_catalog, demo_state, demo_now).results
    unknown = results[results["outcome"] == "unknown"]
    reasons = unknown.groupby("entity_ref")["reason"].agg(set)
    assert reasons["component:default/query-suggest"] == {why.NO_ANNOTATION}
    assert reasons["component:default/ranking"] == {why.ID_NOT_FOUND}
    assert len(unknown[unknown["reason"] == why.NO_ANNOTATION]["check_id"].unique()) >= 10


def test_collections_not_collected_or_not_readable_say_so(demo_catalog, demo_state, demo_now):
    ref = "component:default/payments-api"
    off = dataclasses.replace(demo_state, schedule_coverage={}, standards={})
    causes = compute_fact_table(demo_catalog.entities, off, demo_now).causes
    assert causes.loc[ref, "coverage"] == why.NOT_COLLECTED["schedules"]
    assert causes.loc[ref, "standards"] == why.NOT_COLLECTED["standards"]
    forbidden = "Service Standards are not readable with this key (HTTP 403)"
    refused = dataclasses.replace(off, unavailable={"standards": forbidden, "schedules": ""})
    table = compute_fact_table(demo_catalog.entities, refused, demo_now)
    assert table.causes.loc[ref, "standards"] == f"Service Standards could not be read with this key: {forbidden}"
    assert table.causes.loc[ref, "coverage"] == "Schedules could not be read with this key"
    assert table.values.loc[ref, "pagerduty.standards_score"] is None
