"""What the collector and the fact families rely on in each answer, as one table per endpoint, and in a
snapshot file.

A shape is a dict (an object: keys ending in `?` may be absent, other keys are ignored), a one-item list (a
list of that shape), `Maybe(shape)` (that shape or null), `Each(shape)` (an object whose every value has that
shape) or a leaf below. An answer that does not fit is the source's fault: `problem()` says where and what,
and the client raises it as a PagerDutyError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from datetime import datetime


@dataclass(frozen=True)
class Leaf:
    name: str
    fits: Callable[[object], bool]


@dataclass(frozen=True)
class Maybe:
    shape: object


@dataclass(frozen=True)
class Each:
    shape: object


def _time(value) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except (AttributeError, ValueError):
        return False


STRING = Leaf("a string", lambda v: isinstance(v, str))
ID = Leaf("a non-empty string id", lambda v: isinstance(v, str) and bool(v.strip()))
TEXT = Maybe(STRING)
TIME = Maybe(Leaf("an ISO 8601 time", _time))
INT = Leaf("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUMBER = Leaf("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
BOOL = Leaf("true or false", lambda v: isinstance(v, bool))

REF = {"id": ID, "type?": TEXT, "summary?": TEXT, "html_url?": TEXT}
TEAM = {**REF, "name?": TEXT}
POLICY = {**REF, "name?": TEXT, "num_loops?": Maybe(INT), "teams?": [TEAM],
          "escalation_rules?": [{"targets?": [REF]}]}
SERVICE = {**REF, "name?": TEXT, "status?": TEXT, "description?": TEXT, "escalation_policy?": Maybe(POLICY),
           "teams?": [TEAM], "integrations?": [{**REF, "integration_key?": TEXT}]}
MOMENT = Leaf("an ISO 8601 time", _time)
SCHEDULE = {"schedule": {"id": ID, "final_schedule?": Maybe({
    "rendered_coverage_percentage?": Maybe(NUMBER), "rendered_schedule_entries?": [{"start": MOMENT, "end?": TIME}],
    "computed_shift_assignments?": [{"start_time": MOMENT, "end_time": MOMENT, "member?": Maybe({"type?": TEXT})}]})}}
ONCALL = {"escalation_policy": REF, "escalation_level?": INT, "user?": Maybe(REF), "schedule?": Maybe(REF),
          "start?": TIME, "end?": TIME}
INCIDENT = {"id": ID, "service": REF, "status?": TEXT, "urgency?": TEXT, "created_at?": TIME, "resolved_at?": TIME}
COUNT = Maybe(INT)
SECONDS = Maybe(NUMBER)
# A service's row of `POST /analytics/metrics/incidents/services` (PagerDuty's own names), and one incident of
# `POST /analytics/raw/incidents`.
METRICS_ROW = {"service_id": ID, "total_incident_count?": COUNT, "total_incidents_acknowledged?": COUNT,
               "mean_seconds_to_first_ack?": SECONDS, "mean_seconds_to_resolve?": SECONDS,
               "total_escalation_count?": COUNT, "total_sleep_hour_interruptions?": COUNT}
RAW_INCIDENT = {"id": ID, "service_id": ID, "urgency?": TEXT, "created_at?": TIME, "seconds_to_first_ack?": SECONDS,
                "seconds_to_resolve?": SECONDS}
# What the collector keeps per service: the metrics above, and what the raw incidents add (counts, percentiles).
RESPONSE = {**{k: v for k, v in METRICS_ROW.items() if k != "service_id"}, "high_urgency_incident_count?": COUNT,
            "resolved_incident_count?": COUNT, "p90_seconds_to_first_ack?": SECONDS,
            "p90_seconds_to_first_ack_high_urgency?": SECONDS, "p90_seconds_to_resolve?": SECONDS}
TAG = {"id": ID, "label": STRING}
LOG_ENTRY = {"id": ID, "type": STRING, "created_at?": TIME, "incident?": Maybe(REF), "service?": Maybe(REF)}
CHANGE_EVENT = {"id": ID, "timestamp": MOMENT, "services?": [REF], "summary?": TEXT}
PAGE = {"more?": BOOL, "total?": Maybe(INT)}
STANDARD = {"id": ID, "name?": TEXT, "type?": TEXT, "pass?": Maybe(BOOL), "active?": Maybe(BOOL)}
SCORE = {"passing?": NUMBER, "total?": NUMBER, "standards?": [STANDARD]}

SHAPES = {
    "GET /services": {**PAGE, "services": [SERVICE]},
    "GET /services/{id}": {"service": SERVICE},
    "GET /escalation_policies": {**PAGE, "escalation_policies": [POLICY]},
    "GET /oncalls": {**PAGE, "oncalls": [ONCALL]},
    "GET /incidents": {**PAGE, "incidents": [INCIDENT]},
    "GET /teams": {**PAGE, "teams": [TEAM]},
    "GET /tags": {**PAGE, "tags": [TAG]},
    "GET /tags/{id}/escalation_policies": {**PAGE, "escalation_policies": [REF]},
    "GET /tags/{id}/teams": {**PAGE, "teams": [REF]},
    "GET /escalation_policies/{id}/tags": {**PAGE, "tags": [TAG]},
    "GET /teams/{id}/tags": {**PAGE, "tags": [TAG]},
    "GET /schedules/{id}": SCHEDULE,
    "GET /v3/schedules/{id}": SCHEDULE,
    "GET /standards/scores/{resource_type}": {"resources": [{"resource_id": ID, "score?": Maybe(SCORE),
                                                             "standards?": Maybe([STANDARD])}]},
    "GET /change_events": {**PAGE, "change_events": [CHANGE_EVENT]},
    "GET /log_entries": {**PAGE, "log_entries": [LOG_ENTRY]},
    "GET /services/{id}/change_events": {**PAGE, "change_events": [CHANGE_EVENT]},
    "POST /analytics/metrics/incidents/services": {"data": [METRICS_ROW]},
    "POST /analytics/raw/incidents": {"data": [RAW_INCIDENT], "more": BOOL, "last?": TEXT},
}
SNAPSHOT = {"services?": [SERVICE], "escalation_policies?": [POLICY], "oncalls?": [ONCALL],
            "incidents?": [INCIDENT], "teams?": [TEAM], "tags?": Each([STRING]), "schedule_coverage?": Each(NUMBER),
            "schedule_gaps?": Each([[MOMENT]]),
            "standards?": Each(SCORE), "incident_response?": {"source?": STRING, "since?": TIME, "until?": TIME,
                                                              "services?": Each(RESPONSE), "fallback?": TEXT,
                                                              "log_entries?": COUNT, "log_entries_unavailable?": TEXT},
            "change_events?": [CHANGE_EVENT], "change_events_window?": {"since?": TIME, "until?": TIME,
                                                                        "counts?": Each(INT)},
            "not_visible?": [STRING], "unavailable?": Each(STRING), "api_url?": TEXT,
            "collected_at?": TIME, "requests?": Each(INT)}


def problem(value, shape, path: str = "") -> str | None:
    """Where `value` does not fit `shape`, in words; None when it fits. `path` names `value`; empty: the root."""
    where = path or "the answer"
    if isinstance(shape, Maybe):
        return None if value is None else problem(value, shape.shape, path)
    if isinstance(shape, Leaf):
        return None if shape.fits(value) else f"{where} is {_kind(value)}, expected {shape.name}"
    if isinstance(shape, Each):
        if not isinstance(value, dict):
            return f"{where} is {_kind(value)}, expected an object"
        return next((p for key, item in value.items() if (p := problem(item, shape.shape, _join(path, key)))), None)
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is {_kind(value)}, expected a list"
        return next((p for i, item in enumerate(value) if (p := problem(item, shape[0], f"{where}[{i}]"))), None)
    if not isinstance(value, dict):
        return f"{where} is {_kind(value)}, expected an object"
    for key, inner in shape.items():
        name = key.rstrip("?")
        if name not in value:
            if key.endswith("?"):
                continue
            return f"{where} has no `{name}`"
        found = problem(value[name], inner, _join(path, name))
        if found:
            return found
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(type(value), "something else")
