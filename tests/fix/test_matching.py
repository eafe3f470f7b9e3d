"""Suggestions on a generated account whose catalog lost annotations, and on hand-made edge cases."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from insights.catalog.validate import INTEGRATION_KEY, SERVICE_ID
from insights.facts import causes
from insights.fix.matching import AMBIGUOUS, MATCH, NONE, suggest
from insights.fix.signals import HIGH, MEDIUM, SHARED_CAP
from insights.pagerduty.generate import generate

from .conftest import account, component, service


def by_ref(suggestions):
    return {s.entity.ref: s for s in suggestions.entities}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_catalog_finds_every_removed_annotation_again(seed):
    generated = generate(80, 80, seed=seed)
    entities = generated.entities()
    stripped = {e.ref for i, e in enumerate(entities) if SERVICE_ID in e.annotations and i % 3 == 0
                and not e.annotations[SERVICE_ID].startswith("$")}
    lost = {e.ref: e.annotations[SERVICE_ID] for e in entities if e.ref in stripped}
    entities = [replace(e, annotations={}) if e.ref in stripped else e for e in entities]
    found = suggest(entities, generated.state)
    suggestions = by_ref(found)
    assert stripped and stripped <= set(suggestions)
    # The generator names an entity `<...>-N` after its service's number, whatever form its id takes.
    numbered = {int(re.search(r"\d+", s["name"]).group()): s["id"] for s in generated.state.services}
    for ref, suggestion in suggestions.items():
        number = int(ref.rsplit("-", 1)[1])
        assert suggestion.status == MATCH, (ref, suggestion)
        assert suggestion.best.service_id == lost.get(ref, numbered[number])
        assert suggestion.best.confidence >= HIGH
        assert {s.kind for s in suggestion.best.signals} >= {"name", "service-tag", "team"}
    # Entities wired by integration key or by a valid id are left alone; placeholders are fixed too.
    keyed = {e.ref for e in entities if INTEGRATION_KEY in e.annotations}
    assert not keyed & set(suggestions)
    placeholders = {e.ref for e in entities if e.annotations.get(SERVICE_ID, "").startswith("$")}
    assert placeholders <= set(suggestions)
    assert all(suggestions[r].needs == causes.ID_MALFORMED for r in placeholders)
    # Each orphan service is matched to exactly the entity that lost it.
    assert len(found.at_least(HIGH)) == len(suggestions) == len(found.orphans)
    assert {o.entity_refs for o in found.orphans} == {(r,) for r in suggestions}


def test_two_similar_names_are_ambiguous_not_guessed():
    state = account(service("PCHKEU1", "checkout-eu"), service("PCHKUS1", "checkout-us"))
    suggestion = by_ref(suggest([component("checkout")], state))["component:default/checkout"]
    assert suggestion.status == AMBIGUOUS
    assert {c.service_id for c in suggestion.candidates} == {"PCHKEU1", "PCHKUS1"}
    assert suggest([component("checkout")], state).at_least(0) == []


def test_a_service_goes_to_one_entity_and_the_runner_up_gets_no_match():
    state = account(service("PGATE01", "payments-gateway"))
    found = suggest([component("payments-gateway"), component("payment-gateway")], state)
    winner, runner_up = by_ref(found)["component:default/payments-gateway"], by_ref(found)["component:default/payment-gateway"]
    assert (winner.status, winner.best.service_id) == (MATCH, "PGATE01")
    assert runner_up.status == NONE and "fit other entities better" in runner_up.note
    assert found.orphans[0].entity_refs == ("component:default/payments-gateway",)


def test_two_entities_equally_close_to_one_service_are_both_ambiguous():
    state = account(service("PGATE01", "payments-gateway"))
    found = by_ref(suggest([component("payments-gateway"), component("payments-gateway", namespace="eu")], state))
    assert {s.status for s in found.values()} == {AMBIGUOUS}
    assert found["component:default/payments-gateway"].rivals == ("component:eu/payments-gateway",)


def test_the_title_matches_when_the_name_does_not():
    state = account(service("PLEDGER", "Ledger (Production)"))
    best = suggest([component("svc-0042-ldg", title="Ledger")], state).entities[0].best
    assert best.service_id == "PLEDGER" and best.level == "high"
    assert best.signals[0].kind == "title" and best.signals[0].values["entity"] == "ledger"


def test_a_user_owner_gives_no_team_evidence_either_way():
    state = account(service("PLEDGER", "Ledger (Production)", team="Finance"))
    suggestion = suggest([component("ledger", owner="user:default/jdoe")], state).entities[0]
    assert suggestion.status == MATCH and suggestion.best.confidence == HIGH
    assert [s.kind for s in suggestion.best.signals] == ["name"]


def test_no_teams_in_pagerduty_leaves_the_name_to_decide():
    state = account(service("PLEDGER", "ledger", team=None), service("PBOOKS1", "book-keeper", team=None))
    found = by_ref(suggest([component("ledger"), component("bookkeeper")], state))
    assert found["component:default/ledger"].best.confidence == HIGH
    fuzzy = found["component:default/bookkeeper"]
    assert fuzzy.status == MATCH and MEDIUM <= fuzzy.best.confidence < HIGH
    assert all(s.kind != "team" for s in fuzzy.best.signals)


def test_another_team_lowers_an_exact_name_below_high():
    state = account(service("PLEDGER", "ledger", team="Search"))
    best = suggest([component("ledger")], state).entities[0].best
    assert MEDIUM <= best.confidence < HIGH
    assert [(s.kind, s.points) for s in best.signals] == [("name", 0.75), ("team", -0.2)]


def test_a_service_tag_and_the_team_carry_an_unrelated_name_to_medium():
    state = account(service("PFINCOR", "Finance Core", policy="PEPFIN1"),
                    tags={"escalation_policies/PEPFIN1": ["service:ledger", "team:payments"]})
    best = suggest([component("ledger")], state).entities[0].best
    assert best.service_id == "PFINCOR" and best.level == "medium"
    assert {s.kind: s.values for s in best.signals}["service-tag"]["tag"] == "service:ledger"


def test_an_integration_key_anywhere_in_the_descriptor_is_proof_and_stays_masked():
    key = "8c1f3e2a9b7d4c6e8f0a1b2c3d4e5f60"
    state = account(service("PUSRPRF", "profiles", keys=(key,)))
    entity = component("user-profile", annotations={"pagerduty.com/integration_key": key})
    best = suggest([entity], state).entities[0].best
    assert best.service_id == "PUSRPRF" and best.confidence == 1.0
    signal = next(s for s in best.signals if s.kind == "integration-key")
    assert key not in signal.text + str(signal.values) and "5f60" in signal.text


def test_a_service_already_wired_elsewhere_is_capped_below_high():
    state = account(service("PLEDGER", "ledger"))
    wired = component("ledger-api", annotations={SERVICE_ID: "PLEDGER"})
    best = suggest([wired, component("ledger")], state).entities[0].best
    assert best.confidence == SHARED_CAP
    assert any(s.kind == "shared" and s.values["entities"] == ["component:default/ledger-api"] for s in best.signals)


def test_which_entities_need_a_service():
    state = account(service("PLEDGER", "ledger"), not_visible=["PHIDDEN1"])
    entities = [component("hidden", annotations={SERVICE_ID: "PHIDDEN1"}),
                component("gone", annotations={SERVICE_ID: "PGONE01"}),
                component("template", annotations={SERVICE_ID: "${{ values.id }}"}),
                component("library", type="library"),
                component("payments", kind="group", type="team"),
                component("bucket", kind="resource", type="s3", annotations={SERVICE_ID: "PXXXXXX"}),
                component("naked")]
    needs = {s.entity.name: s.needs for s in suggest(entities, state).entities}
    assert needs == {"gone": causes.ID_NOT_FOUND, "template": causes.ID_MALFORMED, "bucket": causes.ID_MALFORMED,
                     "naked": causes.NO_ANNOTATION}


def test_different_numbers_are_different_services():
    found = suggest([component("service-3")], account(service("PSVC030", "service-30")))
    assert found.entities[0].status == NONE
    assert found.orphans[0].status == NONE


def test_services_of_any_shape_do_not_break_matching():
    broken = [{"id": "PBROKE1"}, {"id": "PBROKE2", "name": None, "teams": None, "escalation_policy": None,
                                  "integrations": [None, {"integration_key": 5}]}, {"name": "no id"}, "junk"]
    found = suggest([component("ledger")], account(*broken, tags={"teams/x": "not a list"}))
    assert found.entities[0].status == NONE
    assert [o.service_id for o in found.orphans] == ["PBROKE1", "PBROKE2"]
    odd = replace(account(service("PLEDGER", "ledger")), tags=["service:ledger"], not_visible=7)
    assert suggest([component("ledger")], odd).entities[0].best.service_id == "PLEDGER"
