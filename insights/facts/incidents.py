"""Facts about the open incidents of an entity's PagerDuty service."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, per_key
from insights.pagerduty.state import age_hours

SOURCE = "PagerDuty incidents"
UNKNOWN_MEANS = "no PagerDuty service resolved"
FACTS = [
    Fact("pagerduty.open_incidents", "integer", "Incidents triggered or acknowledged now.", SOURCE),
    Fact("pagerduty.open_high_urgency_incidents", "integer", "Open incidents of high urgency.", SOURCE),
    Fact("pagerduty.oldest_open_incident_age_hours", "number",
         "Age in hours of the oldest open incident (unknown when none is open).", SOURCE,
         unknown_means="no open incident, or no PagerDuty service resolved"),
]


def _summary(items: list[dict], now) -> dict:
    ages = [a for a in (age_hours(i.get("created_at"), now) for i in items) if a is not None]
    return {"pagerduty.open_incidents": len(items),
            "pagerduty.open_high_urgency_incidents": sum(i.get("urgency") == "high" for i in items),
            "pagerduty.oldest_open_incident_age_hours": round(max(ages), 1) if ages else None}


NEEDS = ("pagerduty.service_id", "pagerduty.service_found")

def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    incidents, now = context.pagerduty.incidents, context.now
    # Once per service, not once per entity: many entities can share a service.
    service_ids = facts["pagerduty.service_id"].where(facts["pagerduty.service_found"].eq(True), None)
    return per_key(service_ids, lambda i: _summary(incidents.get(i, []), now), [fact.id for fact in FACTS])
