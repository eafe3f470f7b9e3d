"""Why a fact is unknown for an entity, in words an owner can act on.

Each fact names a cause group; each family gives, per entity, the text of the first cause that blocks the
group (None where the facts are known). One cause has one text wherever it blocks, so a report can say
"12 checks wait on: no PagerDuty annotation".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.catalog.validate import INTEGRATION_KEY, SERVICE_ID

NO_ANNOTATION = f"no PagerDuty annotation: add {SERVICE_ID}"
ID_NOT_SET = f"{SERVICE_ID} is not set"
KEY_NOT_SET = f"{INTEGRATION_KEY} is not set"
ONLY_ONE_ANNOTATION = "only one PagerDuty annotation is set"
ID_MALFORMED = f"{SERVICE_ID} is malformed or a placeholder: put the service's real id in it"
KEY_MALFORMED = f"{INTEGRATION_KEY} is malformed or a placeholder: put the integration's real key in it"
ID_NOT_FOUND = f"PagerDuty has no service with the id in {SERVICE_ID}"
KEY_NOT_FOUND = f"no PagerDuty service has the key in {INTEGRATION_KEY}"
NOT_VISIBLE = "not visible to this key: use an account-level read-only key"
NO_POLICY = "the PagerDuty service has no escalation policy"
USER_OWNER = "the owner is a user, not a team"
NO_OWNER = "no owner: set spec.owner"
NO_LIFECYCLE = "no lifecycle: set spec.lifecycle"
NO_OPEN_INCIDENT = "no open incident"
NO_INCIDENT_LINK = "PagerDuty gave no link for the oldest open incident"
NO_LEVEL1_SCHEDULE = "level 1 of the escalation policy has no schedule"
NO_SCHEDULE_LINK = "PagerDuty gave no link for the level-1 schedule"
NO_COVERAGE = "PagerDuty gave no coverage for the level-1 schedule"
NO_GAPS = "the snapshot kept the level-1 schedule's coverage but not its gaps"
NO_STANDARDS_SCORE = "PagerDuty gave no Service Standards score for the service"
NO_STANDARD_RESULTS = "PagerDuty listed no Service Standard results for the service"
ANALYTICS_ONLY = "needs PagerDuty's Analytics API (Advanced plan): the incident list does not carry it"
NO_INCIDENT_IN_WINDOW = "no incident in the window"
NONE_ACKNOWLEDGED = "no incident in the window was acknowledged"
NONE_RESOLVED = "no incident in the window was resolved"
NO_RESPONSE_FOR_SERVICE = "no incident response was collected for the service"
NO_CHANGE_EVENT = "the service received no change event in the window"
NO_CHANGES_FOR_SERVICE = "no change events were collected for the service"

# Optional collections: the text when they were not collected at all.
NOT_COLLECTED = {"schedules": "schedule coverage is not collected: turn on pagerduty.schedule_coverage",
                 "standards": "Service Standards are not collected: turn on pagerduty.standards",
                 "incident_response": "incident response is not collected: turn on pagerduty.analytics.enabled",
                 "change_events": "change events are not collected: turn on pagerduty.change_events.enabled"}
# What each collection is called when PagerDuty would not let it be read.
COLLECTION_NAMES = {"schedules": "Schedules", "standards": "Service Standards", "oncalls": "On-calls",
                    "incidents": "Incidents", "tags": "Tags", "incident_response": "Incident response",
                    "change_events": "Change events"}


def unavailable(collection: str, why: dict[str, str]) -> str | None:
    """The collector's own words for a collection that could not be read, or None when it was read."""
    if collection not in why:
        return None
    return why[collection] or f"{COLLECTION_NAMES.get(collection, collection)} could not be read with this key"


def first(index: pd.Index, *causes) -> pd.Series:
    """Per row, the first cause that holds. Each cause is (mask, text) or a Series of texts (None: no cause)."""
    result = np.full(len(index), None, dtype=object)
    open_ = np.ones(len(index), dtype=bool)
    for cause in causes:
        if isinstance(cause, pd.Series):
            texts = cause.to_numpy(dtype=object)
            take = open_ & pd.notna(texts)
            result[take] = texts[take]
        else:
            mask, text = cause
            if text is None:
                continue
            take = open_ & np.asarray(mask, dtype=bool)
            result[take] = text
        open_ &= ~take
    return pd.Series(result, index=index, dtype=object)
