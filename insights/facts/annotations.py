"""Facts about the PagerDuty annotations, and which PagerDuty service they resolve to."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.catalog.validate import INTEGRATION_KEY, INTEGRATION_KEY_FORMAT, PLACEHOLDER, SERVICE_ID, \
    SERVICE_ID_FORMAT
from insights.facts.base import Fact, each, each_distinct, unknown_unless

SOURCE = "catalog annotations"
UNKNOWN_MEANS = "the annotation is not set"
FACTS = [
    Fact("pagerduty.annotation_present", "boolean",
         f"`{SERVICE_ID}` or `{INTEGRATION_KEY}` is set and not empty.", SOURCE),
    Fact("pagerduty.service_id_present", "boolean", f"`{SERVICE_ID}` is set and not empty.", SOURCE),
    Fact("pagerduty.service_id_well_formed", "boolean",
         f"`{SERVICE_ID}` is `P` + 6 upper-case letters or digits (unknown when absent).", SOURCE),
    Fact("pagerduty.service_id_placeholder", "boolean",
         f"`{SERVICE_ID}` holds a template placeholder such as `${{{{ values.id }}}}` or `PXXXXXX`.", SOURCE),
    Fact("pagerduty.integration_key_present", "boolean", f"`{INTEGRATION_KEY}` is set and not empty.", SOURCE),
    Fact("pagerduty.annotation_valid", "boolean",
         "Every PagerDuty annotation that is set is well formed (unknown when none is set).", SOURCE),
    Fact("pagerduty.annotations_agree", "boolean",
         "Both annotations are set and point at the same service (unknown unless both are set).", SOURCE),
    Fact("pagerduty.resolved_by", "string",
         "Which annotation resolved the PagerDuty service: `service-id` or `integration-key`.", SOURCE),
    Fact("pagerduty.service_id", "string", "Id of the PagerDuty service the entity resolves to.", SOURCE),
    Fact("pagerduty.service_id_annotation", "string", f"The `{SERVICE_ID}` value as written.", SOURCE),
]


def _value(annotations: dict, key: str) -> str | None:
    value = annotations.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


NEEDS = ()

def compute(_facts: pd.DataFrame, context) -> pd.DataFrame:
    e, index = context.entities, context.pagerduty
    service_ids = each(e["annotations"], lambda a: _value(a, SERVICE_ID))
    keys = each(e["annotations"], lambda a: _value(a, INTEGRATION_KEY))
    id_present, key_present = service_ids.notna(), keys.notna()
    id_ok = each_distinct(service_ids, lambda v: bool(v and SERVICE_ID_FORMAT.match(v))).fillna(False).astype(bool)
    key_ok = each_distinct(keys, lambda v: bool(v and INTEGRATION_KEY_FORMAT.match(v))).fillna(False).astype(bool)
    key_service = each_distinct(keys, index.by_integration_key.get)
    resolved = service_ids.where(id_ok, key_service.where(key_ok, None))
    resolved_by = pd.Series(np.where(id_ok, "service-id", np.where(key_ok & key_service.notna(), "integration-key",
                                                                    None)), index=e.index, dtype=object)
    either = id_present | key_present
    return pd.DataFrame({
        "pagerduty.annotation_present": either,
        "pagerduty.service_id_present": id_present,
        "pagerduty.service_id_well_formed": unknown_unless(id_present, id_ok),
        "pagerduty.service_id_placeholder": each_distinct(service_ids, lambda v: bool(PLACEHOLDER.search(v)))
                                             .fillna(False),
        "pagerduty.integration_key_present": key_present,
        "pagerduty.annotation_valid": unknown_unless(either, (id_ok | ~id_present) & (key_ok | ~key_present)),
        "pagerduty.annotations_agree": unknown_unless(id_present & key_present, service_ids == key_service),
        "pagerduty.resolved_by": resolved_by,
        "pagerduty.service_id": resolved.where(resolved.notna(), None),
        "pagerduty.service_id_annotation": service_ids,
    }, index=e.index)
