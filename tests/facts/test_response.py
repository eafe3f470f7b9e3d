"""Incident response facts and their checks: what each source tells, and unknown (never zero) without it."""

import dataclasses

import pytest

from insights.facts import causes as why

PAYMENTS, SEARCH, INDEXER = "component:default/payments-api", "component:default/search-api", "component:default/indexer"


def metrics(count, high, high_ack_p90=None, resolve_p90=None, sleep=None, escalations=None, resolved=None):
    return {"total_incident_count": count, "high_urgency_incident_count": high, "total_incidents_acknowledged": count,
            "mean_seconds_to_first_ack": 300 if high_ack_p90 else None, "mean_seconds_to_resolve": resolve_p90,
            "p90_seconds_to_first_ack": high_ack_p90, "p90_seconds_to_first_ack_high_urgency": high_ack_p90,
            "p90_seconds_to_resolve": resolve_p90, "total_sleep_hour_interruptions": sleep,
            "total_escalation_count": escalations, "resolved_incident_count": count if resolved is None else resolved}


def with_response(state, source="analytics", **services):
    return dataclasses.replace(state, incident_response={
        "source": source, "since": "2026-10-24T00:00:00Z", "until": "2026-11-23T00:00:00Z", "services": services})


@pytest.fixture()
def analytics(demo_state):
    return with_response(demo_state, PPAYAPI=metrics(12, 8, 45 * 60, 30 * 3600, sleep=13, escalations=4),
                         PSEARCH=metrics(3, 1, 10 * 60, 2 * 3600, sleep=2, escalations=0),
                         PINDEXR=metrics(0, 0, sleep=0, escalations=0))


def test_analytics_facts_and_checks(demo_catalog, demo_now, evaluated, analytics):
    table, results = evaluated(demo_catalog.entities, analytics, demo_now)
    payments = table.values.loc[PAYMENTS]
    assert payments["pagerduty.response_incidents"] == 12
    assert payments["pagerduty.response_high_urgency_ack_p90_minutes"] == 45.0
    assert payments["pagerduty.response_resolve_p90_hours"] == 30.0
    assert payments["pagerduty.response_sleep_interruptions_per_week"] == round(13 / (30 / 7), 2)
    assert payments["pagerduty.response_window_days"] == 30 and payments["pagerduty.response_source"] == "analytics"
    outcome = results["outcome"]
    assert outcome[("response-high-urgency-ack", PAYMENTS)] == "fail"
    assert outcome[("response-sleep-interruptions", PAYMENTS)] == "fail"
    assert outcome[("response-resolve-within-a-day", PAYMENTS)] == "fail"
    assert "45.0 minutes" in results.loc[("response-high-urgency-ack", PAYMENTS), "fix"]
    assert {outcome[(check, SEARCH)] for check in ("response-high-urgency-ack", "response-sleep-interruptions",
                                                   "response-resolve-within-a-day")} == {"pass"}
    # No incident in the window: nothing to be slow at; the percentiles themselves stay unknown, with that cause.
    assert outcome[("response-high-urgency-ack", INDEXER)] == "pass"
    assert outcome[("response-resolve-within-a-day", INDEXER)] == "pass"
    assert table.values.loc[INDEXER, "pagerduty.response_resolve_p90_hours"] is None
    assert table.causes.loc[INDEXER, "response_resolve"] == why.NO_INCIDENT_IN_WINDOW


def test_the_incident_list_leaves_what_it_cannot_tell_unknown(demo_catalog, demo_now, evaluated, demo_state):
    state = with_response(demo_state, source="incidents", PPAYAPI={
        **metrics(12, 8, resolve_p90=3600, sleep=13), "p90_seconds_to_first_ack_high_urgency": None,
        "sleep_hours_from_incidents": True})
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    assert table.values.loc[PAYMENTS, "pagerduty.response_resolve_p90_hours"] == 1.0
    for fact in ("pagerduty.response_high_urgency_ack_p90_minutes", "pagerduty.response_escalations"):
        assert table.values.loc[PAYMENTS, fact] is None, fact
    # High-urgency incidents triggered in sleep hours: known from the incidents' own times, and judged.
    assert table.values.loc[PAYMENTS, "pagerduty.response_sleep_interruptions"] == 13
    assert results.loc[("response-sleep-interruptions", PAYMENTS), "outcome"] == "fail"
    assert results.loc[("response-high-urgency-ack", PAYMENTS), "outcome"] == "unknown"
    assert results.loc[("response-high-urgency-ack", PAYMENTS), "reason"] == why.ANALYTICS_ONLY
    assert results.loc[("response-resolve-within-a-day", PAYMENTS), "outcome"] == "pass"
    # A service the collection did not cover is not a service without incidents.
    assert table.values.loc[SEARCH, "pagerduty.response_incidents"] is None
    assert table.causes.loc[SEARCH, "response"] == why.NO_RESPONSE_FOR_SERVICE


def test_the_incident_list_with_its_log_entries_tells_acknowledgements_and_escalations(demo_catalog, demo_now,
                                                                                      evaluated, demo_state):
    state = with_response(demo_state, source="log_entries", PPAYAPI={
        **metrics(12, 8, 45 * 60, 3600, sleep=13, escalations=5), "sleep_hours_from_incidents": True},
        PSEARCH={**metrics(2, 1, resolve_p90=600, sleep=0, escalations=0), "total_incidents_acknowledged": 0,
                 "sleep_hours_from_incidents": True})
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    payments = table.values.loc[PAYMENTS]
    assert payments["pagerduty.response_source"] == "log_entries"
    assert payments["pagerduty.response_high_urgency_ack_p90_minutes"] == 45.0
    assert payments["pagerduty.response_escalations"] == 5 and payments["pagerduty.response_sleep_interruptions"] == 13
    assert results.loc[("response-high-urgency-ack", PAYMENTS), "outcome"] == "fail"
    # Incidents, none acknowledged: the percentile is unknown for that reason, not for want of a source.
    assert table.values.loc[SEARCH, "pagerduty.response_escalations"] == 0
    assert table.values.loc[SEARCH, "pagerduty.response_high_urgency_ack_p90_minutes"] is None
    assert table.causes.loc[SEARCH, "response_high_ack"] == why.NONE_ACKNOWLEDGED


def test_an_older_incident_list_snapshot_without_sleep_hours_leaves_them_unknown(demo_catalog, demo_now, evaluated,
                                                                               demo_state):
    state = with_response(demo_state, source="incidents", PPAYAPI=metrics(12, 8, resolve_p90=3600, sleep=0))
    table, results = evaluated(demo_catalog.entities, state, demo_now)
    assert table.values.loc[PAYMENTS, "pagerduty.response_sleep_interruptions"] is None
    assert results.loc[("response-sleep-interruptions", PAYMENTS), "reason"] == why.ANALYTICS_ONLY


@pytest.mark.parametrize("change, cause", [
    ({"incident_response": {}}, why.NOT_COLLECTED["incident_response"]),
    ({"unavailable": {"incident_response": "GET /incidents answered HTTP 403"}},
     "Incident response could not be read with this key: GET /incidents answered HTTP 403"),
])
def test_without_the_collection_every_response_fact_is_unknown_not_zero(demo_catalog, demo_now, evaluated, analytics,
                                                                        change, cause):
    table, results = evaluated(demo_catalog.entities, dataclasses.replace(analytics, **change), demo_now)
    response = table.values.loc[PAYMENTS, [c for c in table.values if c.startswith("pagerduty.response_")]]
    assert response.isna().all()
    assert results.loc[("response-sleep-interruptions", PAYMENTS), "reason"] == cause


def test_a_collection_that_holds_no_service_says_so_for_each(demo_catalog, demo_now, evaluated, demo_state):
    table, results = evaluated(demo_catalog.entities, with_response(demo_state), demo_now)
    assert table.values.loc[PAYMENTS, "pagerduty.response_incidents"] is None
    assert results.loc[("response-sleep-interruptions", PAYMENTS), "reason"] == why.NO_RESPONSE_FOR_SERVICE
