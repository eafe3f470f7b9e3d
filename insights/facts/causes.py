"""Why a fact is unknown for an entity, in words an owner can act on.

Each fact names a cause group; each family gives, per entity, the text of the first cause that blocks the
group (None where the facts are known). One cause has one text wherever it blocks, so a report can say
"12 checks wait on: no PagerDuty annotation".
"""

from __future__ import annotations

import functools
import re

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
ANALYTICS_ONLY = ("needs PagerDuty's Analytics API (Advanced plan) or the incidents' log entries: the incident list "
                  "alone does not carry it")
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


UNREAD = " could not be read with this key"
# Causes only whoever runs the job can remove (its configuration, its PagerDuty key, the account's plan): owners
# wait on them and the platform team is told; the rest are the owners' to fix.
PLATFORM = frozenset({*NOT_COLLECTED.values(), NOT_VISIBLE, ANALYTICS_ONLY, NO_GAPS})
_PLATFORM_UNREAD = re.compile(f"(?:{'|'.join(map(re.escape, COLLECTION_NAMES.values()))}){re.escape(UNREAD)}(?::|$)")


def unavailable(collection: str, why: dict[str, str]) -> str | None:
    """"Schedules could not be read with this key", with the collector's own words after a colon, for a
    collection that could not be read; None when it was read."""
    if collection not in why:
        return None
    return COLLECTION_NAMES.get(collection, collection) + UNREAD + (f": {why[collection]}" if why[collection] else "")


@functools.lru_cache(maxsize=4096)  # a run has few causes and many results waiting on them
def for_platform(reason: str) -> bool:
    """Whether only the platform team can remove this cause of unknown results (see PLATFORM)."""
    return reason in PLATFORM or bool(_PLATFORM_UNREAD.match(reason))


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
