"""What the collector and the fact families rely on in each answer, as one table per endpoint.

A shape is a dict (an object: keys ending in `?` may be absent, other keys are ignored), a one-item list (a
list of that shape), `Maybe(shape)` (that shape or null) or a leaf below. An answer that does not fit is the
source's fault: `problem()` says where and what, and the client raises it as a PagerDutyError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from insights.pagerduty.state import parse_time


@dataclass(frozen=True)
class Leaf:
    name: str
    fits: Callable[[object], bool]


@dataclass(frozen=True)
class Maybe:
    shape: object


def _time(value) -> bool:
    try:
        return parse_time(value) is not None
    except (TypeError, ValueError):
        return False


ID = Leaf("a non-empty string id", lambda v: isinstance(v, str) and bool(v.strip()))
TEXT = Maybe(Leaf("a string", lambda v: isinstance(v, str)))
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
ONCALL = {"escalation_policy": REF, "escalation_level?": INT, "user?": Maybe(REF), "schedule?": Maybe(REF),
          "start?": TIME, "end?": TIME}
INCIDENT = {"id": ID, "service": REF, "status?": TEXT, "urgency?": TEXT, "created_at?": TIME}
TAG = {"id": ID, "label": Leaf("a string", lambda v: isinstance(v, str))}
PAGE = {"more?": BOOL, "total?": Maybe(INT)}

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
    "GET /schedules/{id}": {"schedule": {"id": ID, "final_schedule?": Maybe(
        {"rendered_coverage_percentage?": Maybe(NUMBER)})}},
    "GET /standards/scores/{resource_type}": {"resources": [{"resource_id": ID, "score?": Maybe(
        {"passing?": NUMBER, "total?": NUMBER})}]},
}


def problem(value, shape, path: str = "the answer") -> str | None:
    """Where `value` does not fit `shape`, in words; None when it fits."""
    if isinstance(shape, Maybe):
        return None if value is None else problem(value, shape.shape, path)
    if isinstance(shape, Leaf):
        return None if shape.fits(value) else f"{path} is {_kind(value)}, expected {shape.name}"
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path} is {_kind(value)}, expected a list"
        return next((p for i, item in enumerate(value) if (p := problem(item, shape[0], f"{path}[{i}]"))), None)
    if not isinstance(value, dict):
        return f"{path} is {_kind(value)}, expected an object"
    for key, inner in shape.items():
        name = key.rstrip("?")
        if name not in value:
            if key.endswith("?"):
                continue
            return f"{path} has no `{name}`"
        found = problem(value[name], inner, name if path == "the answer" else f"{path}.{name}")
        if found:
            return found
    return None


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(type(value), "something else")
