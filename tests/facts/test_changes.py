"""Change-event facts and the deploy-events check: counts, the newest event's age, unknown when not collected."""

import dataclasses

import pytest

from insights.facts import causes as why

PAYMENTS, SEARCH, ARTIFACTS = ("component:default/payments-api", "component:default/search-api",
                               "component:default/artifact-store")


@pytest.fixture()
def collected(demo_state):
    events = [{"id": "E1", "timestamp": "2026-11-20T12:00:00Z", "summary": "Deploy payments-api 41",
               "services": [{"id": "PPAYAPI"}]},
              {"id": "E2", "timestamp": "2026-11-22T00:00:00Z", "summary": "Deploy payments-api 42",
               "services": [{"id": "PPAYAPI"}, {"id": "PARTIFX"}]}]
    return dataclasses.replace(demo_state, change_events=events, change_events_window={
        "since": "2026-10-24T00:00:00Z", "until": "2026-11-23T00:00:00Z",
        "counts": {"PPAYAPI": 7, "PSEARCH": 0, "PARTIFX": 1}})


def test_counts_the_newest_event_and_the_check(demo_catalog, demo_now, evaluated, collected):
    table, results = evaluated(demo_catalog.entities, collected, demo_now)
    payments = table.values.loc[PAYMENTS]
    assert payments["pagerduty.change_events"] == 7 and payments["pagerduty.change_events_window_days"] == 30
    assert payments["pagerduty.change_event_age_days"] == 1.0  # 2026-11-22 00:00, a day before the run
    assert payments["pagerduty.change_event_summary"] == "Deploy payments-api 42"
    assert results.loc[("production-deploy-events", PAYMENTS), "outcome"] == "pass"
    search = results.loc[("production-deploy-events", SEARCH)]
    assert search["outcome"] == "fail" and "no change event in the last 30 days" in search["fix"]
    assert table.causes.loc[SEARCH, "newest_change"] == why.NO_CHANGE_EVENT
    # Experimental: the check is for production services only.
    assert results.loc[("production-deploy-events", ARTIFACTS), "outcome"] == "not-applicable"


@pytest.mark.parametrize("change, cause", [
    ({"change_events_window": {}}, why.NOT_COLLECTED["change_events"]),
    ({"unavailable": {"change_events": "GET /change_events answered HTTP 403"}},
     "Change events could not be read with this key: GET /change_events answered HTTP 403"),
])
def test_not_collected_is_unknown_not_zero(demo_catalog, demo_now, evaluated, collected, change, cause):
    table, results = evaluated(demo_catalog.entities, dataclasses.replace(collected, **change), demo_now)
    assert table.values.loc[PAYMENTS, "pagerduty.change_events"] is None
    assert results.loc[("production-deploy-events", PAYMENTS), ["outcome", "reason"]].tolist() == ["unknown", cause]
