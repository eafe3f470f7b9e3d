"""The generic JSON webhook body, schema `insights.notification/1` (notification-1.schema.json beside this
module): plain data for any receiver (a chat relay, an incident tool, a ticket system). A receiver checks
`schema` before reading; a later version changes the name."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from importlib import resources

from insights.notify.message import Notice

SCHEMA = "insights.notification/1"


def render(notice: Notice) -> dict:
    return {
        "schema": SCHEMA,
        "team": notice.team,
        "run": {"id": notice.run_id, "started_at": notice.started_at, "previous_run_id": notice.previous_run_id},
        "first_run": notice.previous_run_id is None,
        "newly_failing": [dataclasses.asdict(f) for f in notice.newly_failing],
        "newly_failing_total": notice.newly_failing_total,
        "summary": {
            "entities": notice.entities, "failing": notice.failing, "unknown": notice.unknown,
            "scorecards": [{"id": s.scorecard_id, "name": s.name, "entities": s.entities, "mean_score": s.mean_score,
                            "levels": [{"level": name, "entities": count} for name, count in s.levels]}
                           for s in notice.standings],
        },
        "top_fixes": [dataclasses.asdict(f) for f in notice.top_fixes],
        "links": dict(notice.links),
    }


@cache
def json_schema() -> dict:
    """The JSON Schema (2020-12) of the body, as documented for receivers."""
    return json.loads(resources.files(__package__).joinpath("notification-1.schema.json").read_text())
