"""Facts about the open incidents of an entity's PagerDuty service."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, each
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


def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    incidents, now = context.pagerduty.incidents, context.now
    service_ids = facts["pagerduty.service_id"].where(facts["pagerduty.service_found"].eq(True), None)
    open_ = each(service_ids, lambda i: incidents.get(i, []) if i else None)

    def oldest(items):
        ages = [age_hours(i.get("created_at"), now) for i in items]
        ages = [a for a in ages if a is not None]
        return round(max(ages), 1) if ages else None

    return pd.DataFrame({
        "pagerduty.open_incidents": each(open_, lambda items: None if items is None else len(items)),
        "pagerduty.open_high_urgency_incidents": each(open_, 
            lambda items: None if items is None else sum(i.get("urgency") == "high" for i in items)),
        "pagerduty.oldest_open_incident_age_hours": each(open_, lambda items: oldest(items) if items else None),
    }, index=facts.index)
