"""The simulator's request table: generated from ../shared's spec, and covering what the collector calls."""

import subprocess
import sys

from insights.pagerduty import spec
from insights.pagerduty.simulator_api import Api
from insights.pagerduty.state import PagerDutyState

COLLECTOR_CALLS = {
    "GET /services", "GET /services/{id}", "GET /escalation_policies", "GET /oncalls", "GET /incidents",
    "GET /teams", "GET /tags", "GET /tags/{id}/{entity_type}", "GET /{entity_type}/{id}/tags",
    "GET /schedules/{id}", "GET /v3/schedules/{id}", "GET /standards/scores/{resource_type}",
    "POST /analytics/metrics/incidents/services", "POST /analytics/raw/incidents", "GET /log_entries",
}


def test_the_shipped_table_matches_the_spec(shared):
    result = subprocess.run([sys.executable, "-m", "insights.pagerduty.spec_table",
                             str(shared / "pagerduty" / "openapiv3.json"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_table_serves_every_operation_the_collector_calls_and_each_has_an_endpoint():
    served = {op.endpoint for op in spec.operations()}
    assert COLLECTOR_CALLS <= served
    assert {op.operation_id for op in spec.operations()} == set(Api(PagerDutyState()).handlers)


def test_scopes_and_own_rate_limits_come_from_the_spec():
    ops = {op.endpoint: op for op in spec.operations()}
    assert ops["GET /services"].scope == "services.read"
    assert ops["GET /standards/scores/{resource_type}"].scope == "standards.read"
    assert ops["GET /v3/schedules/{id}"].scope is None  # the spec names none
    assert ops["POST /analytics/raw/incidents"].scope == "analytics.write"
    assert ops["POST /analytics/raw/incidents"].body["schema"]["properties"]["limit"]["maximum"] == 1000
    assert [e for e, op in ops.items() if op.own_rate_limit] == ["GET /oncalls"]


def test_literal_path_segments_win_over_templates():
    assert spec.match("GET", "/tags/PT12345/escalation_policies")[0].endpoint == "GET /tags/{id}/{entity_type}"
    assert spec.match("GET", "/teams/PT12345/tags")[0].endpoint == "GET /{entity_type}/{id}/tags"
    assert spec.match("GET", "/tags/PT12345/tags")[0].endpoint == "GET /tags/{id}/{entity_type}"
    assert spec.match("GET", "/v3/schedules/P1")[0].endpoint == "GET /v3/schedules/{id}"


def test_path_values_are_decoded_and_an_encoded_slash_stays_in_its_segment():
    assert spec.match("GET", "/services/PPAY%41PI") == (spec.match("GET", "/services/PPAYAPI")[0], {"id": "PPAYAPI"})
    assert spec.match("GET", "/services/a%2Fb")[1] == {"id": "a/b"}
