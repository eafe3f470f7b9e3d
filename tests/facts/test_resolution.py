"""Which service an annotation resolves to: id forms, the plugin's precedence, services the key cannot see."""

import dataclasses

import pytest

from insights.facts import causes as why
from insights.facts.registry import FACTS, compute_fact_table

SERVICE_ID, KEY = "pagerduty.com/service-id", "pagerduty.com/integration-key"
PROFILE_KEY = "8c1f3e2a9b7d4c6e8f0a1b2c3d4e5f60"  # the demo's user-profile integration, on service PUSRPRF


def component(descriptor, name, annotations):
    return descriptor("Component", name, annotations, type="service", lifecycle="production", owner="identity")


def test_long_form_ids_resolve_and_placeholders_stay_detected(descriptor, entities, evaluated, demo_state, demo_now):
    long_form = {**next(s for s in demo_state.services if s["id"] == "PAUTHSV"), "id": "Q1R2DLCB21K7NP"}
    state = dataclasses.replace(demo_state, services=demo_state.services + [long_form])
    catalog = entities(component(descriptor, "long", {SERVICE_ID: "Q1R2DLCB21K7NP"}),
                       component(descriptor, "sample", {SERVICE_ID: "PXXXXXX"}),
                       component(descriptor, "templated", {SERVICE_ID: "${{ values.pagerdutyId }}"}))
    table, results = evaluated(catalog, state, demo_now)
    long, sample, templated = (e.ref for e in catalog)
    assert table.values.loc[long, ["pagerduty.service_id_well_formed", "pagerduty.service_found"]].tolist() == [True, True]
    assert results.loc[("pagerduty-annotation-valid", long), "outcome"] == "pass"
    for ref in (sample, templated):
        assert table.values.loc[ref, "pagerduty.service_id_placeholder"] is True
        assert results.loc[("pagerduty-annotation-valid", ref), "outcome"] == "fail"
        # A placeholder is never looked up: what depends on the service waits on the annotation.
        assert results.loc[("pagerduty-service-exists", ref), "reason"] == why.ID_MALFORMED
    assert "P + 6" not in FACTS["pagerduty.service_id_well_formed"].description
    assert "Q1R2DLCB21K7NP" in results.loc[("pagerduty-annotation-valid", sample), "fix"]


def test_the_integration_key_comes_first_as_on_the_backstage_card(descriptor, entities, evaluated, demo_state,
                                                                 demo_now):
    catalog = entities(component(descriptor, "both-differ", {SERVICE_ID: "PPAYAPI", KEY: PROFILE_KEY}),
                       component(descriptor, "both-agree", {SERVICE_ID: "PUSRPRF", KEY: PROFILE_KEY}),
                       component(descriptor, "id-only", {SERVICE_ID: "PPAYAPI"}))
    table, results = evaluated(catalog, demo_state, demo_now)
    differ, agree, id_only = (e.ref for e in catalog)
    values = table.values
    assert values.loc[differ, ["pagerduty.service_id", "pagerduty.resolved_by", "pagerduty.service_name"]].tolist() \
        == ["PUSRPRF", "integration-key", "user-profile"]
    assert values.loc[differ, "pagerduty.annotations_agree"] is False
    assert values.loc[agree, "pagerduty.annotations_agree"] is True
    assert values.loc[id_only, "pagerduty.resolved_by"] == "service-id"
    check = "pagerduty-annotations-agree"
    assert [results.loc[(check, ref), "outcome"] for ref in (differ, agree, id_only)] == ["fail", "pass", "pass"]
    fix = " ".join(results.loc[(check, differ), "fix"].split())
    assert "pagerduty.com/integration-key resolves to PUSRPRF (shown on the Backstage card); " \
           "pagerduty.com/service-id names PPAYAPI; make them agree" in fix


def test_a_key_that_matches_no_service_shows_no_service(descriptor, entities, evaluated, demo_state, demo_now):
    catalog = entities(component(descriptor, "stale-key", {SERVICE_ID: "PPAYAPI", KEY: "0" * 32}),
                       component(descriptor, "bad-key", {KEY: "not-a-key"}))
    table, results = evaluated(catalog, demo_state, demo_now)
    stale, bad = (e.ref for e in catalog)
    assert table.values.loc[stale, "pagerduty.service_found"] is False
    assert results.loc[("pagerduty-service-exists", stale), "outcome"] == "fail"
    assert results.loc[("pagerduty-annotations-agree", stale), "reason"] == why.KEY_NOT_FOUND
    assert results.loc[("escalation-two-levels", stale), "reason"] == why.KEY_NOT_FOUND
    assert table.values.loc[bad, "pagerduty.service_found"] is None
    assert results.loc[("oncall-now", bad), "reason"] == why.KEY_MALFORMED


def hidden(demo_state, *service_ids, **unavailable):
    return dataclasses.replace(demo_state, services=[s for s in demo_state.services if s["id"] not in service_ids],
                               not_visible=list(service_ids), unavailable=unavailable)


def test_a_service_the_key_cannot_see_is_unknown_not_missing(demo_catalog, demo_state, demo_now, evaluated):
    table, results = evaluated(demo_catalog.entities, hidden(demo_state, "PPAYAPI"), demo_now)
    ref = "component:default/payments-api"
    assert table.values.loc[ref, "pagerduty.service_found"] is None
    depends = [f for f, fact in FACTS.items() if fact.cause in ("service", "policy", "oncall", "incidents", "tags")]
    assert table.values.loc[ref, depends].isna().all()
    mine = results.xs(ref, level="entity_ref")
    unknown = mine[mine["outcome"] == "unknown"]
    assert {"pagerduty-service-exists", "oncall-now", "escalation-two-levels", "pagerduty-name-matches"} <= \
        set(unknown.index)
    assert set(unknown["reason"]) == {why.NOT_VISIBLE} == {"not visible to this key: use an account-level read-only key"}
    assert "fail" not in set(mine["outcome"])
    # Another entity on a visible service is untouched.
    assert table.values.loc["component:default/billing-worker", "pagerduty.service_found"] is True


def test_hidden_services_and_unreadable_collections_survive_the_snapshot(tmp_path, demo_catalog, demo_state, demo_now):
    from insights.pagerduty.state import load_snapshot, save_snapshot

    state = hidden(demo_state, "PPAYAPI", standards="Service Standards are not readable with this key (HTTP 403)",
                   schedules="Schedules are not readable with this key (HTTP 403)")
    save_snapshot(state, tmp_path / "snap.json")
    loaded = compute_fact_table(demo_catalog.entities, load_snapshot(tmp_path / "snap.json"), demo_now)
    direct = compute_fact_table(demo_catalog.entities, state, demo_now)
    assert loaded.values.equals(direct.values) and loaded.causes.equals(direct.causes)
    checkout = "component:default/checkout"
    assert loaded.values.loc[checkout, ["pagerduty.standards_score", "pagerduty.schedule_coverage_7d"]].isna().all()
    assert loaded.causes.loc[checkout, "standards"] == \
        "Service Standards could not be read with this key: Service Standards are not readable with this key (HTTP 403)"
    assert loaded.causes.loc[checkout, "coverage"] == \
        "Schedules could not be read with this key: Schedules are not readable with this key (HTTP 403)"


@pytest.mark.parametrize("collection, fact", [("oncalls", "pagerduty.has_oncall"),
                                              ("incidents", "pagerduty.open_incidents"),
                                              ("tags", "pagerduty.tags_include_service")])
def test_an_unreadable_collection_is_unknown_rather_than_empty(demo_catalog, demo_state, demo_now, collection, fact):
    table = compute_fact_table(demo_catalog.entities, hidden(demo_state, **{collection: "HTTP 403"}), demo_now)
    assert table.values[fact].isna().all()
    group = FACTS[fact].cause
    assert table.causes.loc["component:default/payments-api", group] == \
        f"{why.COLLECTION_NAMES[collection]} could not be read with this key: HTTP 403"


def test_collections_read_over_http_or_not_read_give_values_or_their_cause(simulator, demo_catalog, demo_now):
    """Through the simulator: coverage and standards collected give values; left off, they say so."""
    from insights.pagerduty.client import ClientSettings, PagerDutyClient
    from insights.pagerduty.collect import CollectOptions, collect

    def collected(**options):
        client = PagerDutyClient("test-token", ClientSettings(base_url=simulator.url, requests_per_minute=100_000))
        return compute_fact_table(demo_catalog.entities, collect(client, CollectOptions(**options)), demo_now)

    ref = "component:default/checkout"
    on = collected(schedule_coverage=True, standards=True)
    assert on.values.loc[ref, "pagerduty.standards_score"] == 62.5 and on.causes.loc[ref, "standards"] is None
    off = collected()
    assert off.causes.loc[ref, "standards"] == why.NOT_COLLECTED["standards"]
    assert off.causes.loc[ref, "coverage"] == why.NOT_COLLECTED["schedules"]
