"""Facts about the change events (deploys) an entity's PagerDuty service receives, collected when
`pagerduty.change_events.enabled` is on: responders correlate a deploy with the incident that follows it."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.state import age_hours, parse_time

SOURCE = "PagerDuty change events"
CAUSE = "changes"
FACTS = [
    Fact("pagerduty.change_events", "integer",
         "Change events (deploys, configuration changes) the service received in the window (by default the "
         "last 30 days).", SOURCE),
    Fact("pagerduty.change_event_age_days", "number",
         "Age in days of the service's newest change event in the window (unknown when it received none).", SOURCE,
         cause="newest_change"),
    Fact("pagerduty.change_event_summary", "string", "Summary of the service's newest change event.", SOURCE,
         cause="newest_change"),
    Fact("pagerduty.change_events_window_days", "integer", "Length of the change-event window, in days.", SOURCE),
]
NAMES = [fact.id for fact in FACTS]


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")


def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    index, now = context.pagerduty, context.now
    window = index.change_events_window
    counts = window.get("counts") or {}
    newest: dict[str, dict] = {}
    by_service = defaultdict(list)
    for event in index.change_events if window else ():  # a simulated account's events: nothing collected
        for ref in event.get("services") or []:
            by_service[ref["id"]].append(event)
    for service_id, events in by_service.items():
        newest[service_id] = max(events, key=lambda e: parse_time(e["timestamp"]))
    since, until = parse_time(window.get("since")), parse_time(window.get("until"))
    days = round((until - since) / timedelta(days=1)) if since and until else None
    unread = why.unavailable("change_events", index.unavailable)
    found = facts["pagerduty.service_found"].eq(True)
    keys = facts["pagerduty.service_id"].where(found & bool(window) & (not unread), None)

    def describe(service_id: str) -> dict | None:
        if service_id not in counts:
            return None
        event = newest.get(service_id)
        age = age_hours(event["timestamp"], now) if event else None
        return {"pagerduty.change_events": counts[service_id],
                "pagerduty.change_event_age_days": None if age is None else round(max(age, 0.0) / 24, 1),
                "pagerduty.change_event_summary": (event or {}).get("summary"),
                "pagerduty.change_events_window_days": days}

    described = per_key(keys, describe, NAMES)
    missing = keys.notna() & described["pagerduty.change_events"].isna()
    cause = why.first(facts.index, causes["service"], (True, unread),
                      (not window, why.NOT_COLLECTED["change_events"]), (missing, why.NO_CHANGES_FOR_SERVICE))
    none = described["pagerduty.change_events"].eq(0)
    return described, {"changes": cause, "newest_change": why.first(facts.index, cause, (none, why.NO_CHANGE_EVENT))}
