"""Facts about the PagerDuty annotations, and which PagerDuty service they resolve to.

The service is resolved the way PagerDuty's Backstage plugin resolves it, so that verdicts are about the
service the Backstage card shows: `getServiceByPagerDutyEntity` (PagerDuty/backstage-plugins,
plugins/backstage-plugin/src/api/client.ts) looks the integration key up first
(`/services?integration_key=`) and reads `/services/{id}` only when no key is set; a key that matches no
service shows no service, whatever the service id says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.catalog.validate import INTEGRATION_KEY, INTEGRATION_KEY_FORMAT, PLACEHOLDER, SERVICE_ID, \
    SERVICE_ID_FORMAT
from insights.facts import causes as why
from insights.facts.base import Fact, each, each_distinct, unknown_unless

SOURCE = "catalog annotations"
FACTS = [
    Fact("pagerduty.annotation_present", "boolean",
         f"`{SERVICE_ID}` or `{INTEGRATION_KEY}` is set and not empty.", SOURCE),
    Fact("pagerduty.service_id_present", "boolean", f"`{SERVICE_ID}` is set and not empty.", SOURCE),
    Fact("pagerduty.service_id_well_formed", "boolean",
         f"`{SERVICE_ID}` has the form of a PagerDuty id: P, Q or R and 6 to 19 upper-case letters or digits, "
         "such as P1A2B3C or Q1R2DLCB21K7NP (unknown when absent).", SOURCE, cause="service_id"),
    Fact("pagerduty.service_id_placeholder", "boolean",
         f"`{SERVICE_ID}` holds a template placeholder such as `${{{{ values.id }}}}` or `PXXXXXX`.", SOURCE),
    Fact("pagerduty.integration_key_present", "boolean", f"`{INTEGRATION_KEY}` is set and not empty.", SOURCE),
    Fact("pagerduty.annotation_valid", "boolean",
         "Every PagerDuty annotation that is set is well formed (unknown when none is set).", SOURCE,
         cause="annotation"),
    Fact("pagerduty.integration_key_service_id", "string",
         f"Id of the PagerDuty service `{INTEGRATION_KEY}` belongs to.", SOURCE, cause="integration_key"),
    Fact("pagerduty.annotations_agree", "boolean",
         "Both annotations are set and point at the same service (unknown unless both are set and resolve).",
         SOURCE, cause="agreement"),
    Fact("pagerduty.resolved_by", "string",
         "Which annotation resolved the PagerDuty service: `integration-key` when it is set (it comes first, as "
         "on the Backstage card), else `service-id`.", SOURCE, cause="resolution"),
    Fact("pagerduty.service_id", "string",
         "Id of the PagerDuty service the entity resolves to: the one the Backstage card shows.", SOURCE,
         cause="resolution"),
    Fact("pagerduty.service_id_annotation", "string", f"The `{SERVICE_ID}` value as written.", SOURCE,
         cause="service_id"),
]


def _value(annotations: dict, key: str) -> str | None:
    value = annotations.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


NEEDS = ()

def compute(_facts: pd.DataFrame, _causes: dict, context) -> tuple[pd.DataFrame, dict]:
    e, index = context.entities, context.pagerduty
    service_ids = each(e["annotations"], lambda a: _value(a, SERVICE_ID))
    keys = each(e["annotations"], lambda a: _value(a, INTEGRATION_KEY))
    id_present, key_present = service_ids.notna(), keys.notna()
    id_ok = each_distinct(service_ids, lambda v: bool(v and SERVICE_ID_FORMAT.match(v))).fillna(False).astype(bool)
    placeholder = each_distinct(service_ids, lambda v: bool(PLACEHOLDER.search(v))).fillna(False).astype(bool)
    key_ok = each_distinct(keys, lambda v: bool(v and INTEGRATION_KEY_FORMAT.match(v))).fillna(False).astype(bool)
    id_usable = id_ok & ~placeholder
    key_service = each_distinct(keys.where(key_ok, None), index.by_integration_key.get)
    key_found = key_service.notna()
    by_id = service_ids.where(id_usable & ~key_present, None)
    resolved = key_service.where(key_found, by_id)
    resolved_by = pd.Series(np.where(key_found, "integration-key", np.where(by_id.notna(), "service-id", None)),
                            index=e.index, dtype=object)
    either, both = id_present | key_present, id_present & key_present
    key_cause = why.first(e.index, (~key_present, why.KEY_NOT_SET), (~key_ok, why.KEY_MALFORMED),
                          (~key_found, why.KEY_NOT_FOUND))
    causes = {
        "annotation": why.first(e.index, (~either, why.NO_ANNOTATION)),
        "service_id": why.first(e.index, (~either, why.NO_ANNOTATION), (~id_present, why.ID_NOT_SET)),
        "integration_key": key_cause,
        "agreement": why.first(e.index, (~either, why.NO_ANNOTATION), (~both, why.ONLY_ONE_ANNOTATION),
                               (~id_usable, why.ID_MALFORMED), key_cause),
        # The card reads the key when one is set, and the service id only otherwise.
        "resolution": why.first(e.index, (~either, why.NO_ANNOTATION), key_cause.where(key_present, None),
                                (~key_present & ~id_usable, why.ID_MALFORMED)),
    }
    return pd.DataFrame({
        "pagerduty.annotation_present": either,
        "pagerduty.service_id_present": id_present,
        "pagerduty.service_id_well_formed": unknown_unless(id_present, id_ok),
        "pagerduty.service_id_placeholder": placeholder.where(id_present, False),
        "pagerduty.integration_key_present": key_present,
        "pagerduty.annotation_valid": unknown_unless(either, (id_ok | ~id_present) & (key_ok | ~key_present)),
        "pagerduty.integration_key_service_id": key_service,
        "pagerduty.annotations_agree": unknown_unless(both & id_usable & key_found, service_ids == key_service),
        "pagerduty.resolved_by": resolved_by,
        "pagerduty.service_id": resolved.where(resolved.notna(), None),
        "pagerduty.service_id_annotation": service_ids,
    }, index=e.index), causes
