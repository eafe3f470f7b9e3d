"""Facts about the open incidents of an entity's PagerDuty service."""

from __future__ import annotations

import pandas as pd

from insights.facts import causes as why
from insights.facts.base import Fact, per_key
from insights.pagerduty.state import age_hours

SOURCE = "PagerDuty incidents"
CAUSE = "incidents"
FACTS = [
    Fact("pagerduty.open_incidents", "integer", "Incidents triggered or acknowledged now.", SOURCE),
    Fact("pagerduty.open_high_urgency_incidents", "integer", "Open incidents of high urgency.", SOURCE),
    Fact("pagerduty.oldest_open_incident_age_hours", "number",
         "Age in hours of the oldest open incident (unknown when none is open).", SOURCE, cause="oldest_incident"),
    Fact("pagerduty.oldest_open_incident_url", "string",
         "Link to the oldest open incident in PagerDuty's web app (unknown when none is open).", SOURCE,
         cause="oldest_incident_link"),
]


def _summary(items: list[dict], now) -> dict:
    aged = [(a, i) for a, i in ((age_hours(i.get("created_at"), now), i) for i in items) if a is not None]
    age, oldest = max(aged, key=lambda pair: pair[0]) if aged else (None, {})
    return {"pagerduty.open_incidents": len(items),
            "pagerduty.open_high_urgency_incidents": sum(i.get("urgency") == "high" for i in items),
            "pagerduty.oldest_open_incident_age_hours": None if age is None else round(age, 1),
            "pagerduty.oldest_open_incident_url": oldest.get("html_url") or None}


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")

def compute(facts: pd.DataFrame, causes: dict, context) -> tuple[pd.DataFrame, dict]:
    incidents, now = context.pagerduty.incidents, context.now
    unread = why.unavailable("incidents", context.pagerduty.unavailable)
    # Once per service, not once per entity: many entities can share a service.
    service_ids = facts["pagerduty.service_id"].where(facts["pagerduty.service_found"].eq(True) & (not unread), None)
    described = per_key(service_ids, lambda i: _summary(incidents.get(i, []), now), [fact.id for fact in FACTS])
    cause = why.first(facts.index, causes["service"], (True, unread))
    oldest = why.first(facts.index, cause, (described["pagerduty.open_incidents"].eq(0), why.NO_OPEN_INCIDENT))
    no_link = described["pagerduty.oldest_open_incident_url"].isna()
    return described, {"incidents": cause, "oldest_incident": oldest,
                       "oldest_incident_link": why.first(facts.index, oldest, (no_link, why.NO_INCIDENT_LINK))}
