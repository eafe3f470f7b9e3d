"""Facts about the PagerDuty annotations, and which PagerDuty service they resolve to.

The service is resolved the way PagerDuty's Backstage plugin resolves it, so that verdicts are about the
service the Backstage card shows: `getServiceByPagerDutyEntity` (PagerDuty/backstage-plugins,
plugins/backstage-plugin/src/api/client.ts) looks the integration key up first
(`/services?integration_key=`) and reads `/services/{id}` only when no key is set; a key that matches no
service shows no service, whatever the service id says.

An entity may name several services, comma-separated in either annotation (`P1A2B3C, P4D5E6F`). Such rows
take a slower path here; `TARGETS` lists, per entity, each service it names (or the cause of a named one that
resolves to none), and the registry computes the service facts once per service and combines them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.catalog.policies import split_values
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
         "Id of the PagerDuty service the entity resolves to: the one the Backstage card shows (several, "
         "comma-separated, when the annotation names several).", SOURCE, cause="resolution"),
    Fact("pagerduty.service_ids", "list", "Ids of every PagerDuty service the entity's annotation names and "
         "resolves to, in order.", SOURCE, cause="resolution"),
    Fact("pagerduty.service_count", "integer", "How many PagerDuty services the entity names and resolves to.",
         SOURCE, cause="annotation"),
    Fact("pagerduty.annotation_duplicates", "list", "Ids or keys the PagerDuty annotations name more than once.",
         SOURCE, cause="annotation"),
    Fact("pagerduty.service_id_annotation", "string", f"The `{SERVICE_ID}` value as written.", SOURCE,
         cause="service_id"),
]


NONE: list = []  # the one empty list of duplicates, shared by every row that has none
TARGETS = "_targets"  # per entity naming several services: [(service id or None, cause or None)], else None


def _value(annotations: dict, key: str) -> str | None:
    value = annotations.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _shared(value, mask: pd.Series) -> pd.Series:
    """`value` (the same object) where `mask` holds, None elsewhere."""
    column = np.full(len(mask), None, dtype=object)
    for position in np.flatnonzero(mask.to_numpy(dtype=bool)):
        column[position] = value
    return pd.Series(column, index=mask.index, dtype=object)


def _listed(values: pd.Series) -> np.ndarray:
    return np.fromiter((v is not None and "," in v for v in values), dtype=bool, count=len(values))


def _items(value: str | None) -> list[str]:
    return [] if value is None else split_values(value)


def _several(service_ids: str | None, keys: str | None, by_key: dict) -> tuple[dict, dict]:
    """The annotation facts and causes of an entity whose annotations list several values, with its targets.
    A service id or key that is malformed or a placeholder names no service: `annotation_valid` says so, and
    the services the others name are judged."""
    ids, key_items = _items(service_ids), _items(keys)
    id_ok = [bool(SERVICE_ID_FORMAT.match(i)) and not PLACEHOLDER.search(i) for i in ids]
    key_ok = [bool(INTEGRATION_KEY_FORMAT.match(k)) for k in key_items]
    key_services = [by_key.get(k) if ok else None for k, ok in zip(key_items, key_ok)]
    if key_items:  # the key decides, as on the Backstage card
        named = [(s, None if s else why.KEY_NOT_FOUND) for s, ok in zip(key_services, key_ok) if ok]
        fallback = why.KEY_MALFORMED
    else:
        named = [(i, None) for i, ok in zip(ids, id_ok) if ok]
        fallback = why.ID_MALFORMED
    targets = list(dict.fromkeys(named)) or [(None, fallback)]
    resolved = [s for s, _ in targets if s]
    found_keys = [s for s in key_services if s]
    key_cause = why.KEY_NOT_SET if not key_items else why.KEY_MALFORMED if not all(key_ok) else \
        why.KEY_NOT_FOUND if len(found_keys) < len(key_items) else None
    agreement = why.ONLY_ONE_ANNOTATION if not (ids and key_items) else why.ID_MALFORMED if not all(id_ok) else key_cause
    values = {
        "pagerduty.service_id_well_formed": all(SERVICE_ID_FORMAT.match(i) for i in ids) if ids else None,
        "pagerduty.service_id_placeholder": any(PLACEHOLDER.search(i) for i in ids),
        "pagerduty.annotation_valid": all(id_ok) and all(key_ok),
        "pagerduty.integration_key_service_id": ", ".join(dict.fromkeys(found_keys)) or None,
        "pagerduty.annotations_agree": None if agreement else set(i for i in ids) == set(found_keys),
        "pagerduty.resolved_by": ("integration-key" if key_items else "service-id") if resolved else None,
        "pagerduty.service_id": ", ".join(resolved) or None,
        "pagerduty.service_ids": resolved or None,
        "pagerduty.service_count": len(resolved),
        "pagerduty.annotation_duplicates": sorted({v for v in ids + key_items if v and (ids + key_items).count(v) > 1}),
        TARGETS: targets,
    }
    causes = {"resolution": None if resolved else targets[0][1],
              "integration_key": None if found_keys else key_cause or why.KEY_NOT_FOUND, "agreement": agreement}
    return values, causes


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
    frame = pd.DataFrame({
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
        # One list per service, shared by the rows that name it, as per_key shares: 50,000 new lists would
        # cost more in garbage collection than everything else here.
        "pagerduty.service_ids": each_distinct(resolved, lambda r: [r]),
        "pagerduty.service_count": pd.Series(np.where(either, resolved.notna().astype(int), None), index=e.index,
                                             dtype=object),
        "pagerduty.annotation_duplicates": _shared(NONE, either),
        TARGETS: None,
    }, index=e.index)
    several = np.flatnonzero(_listed(service_ids) | _listed(keys))
    if len(several):
        columns = {c: frame[c].to_numpy(dtype=object).copy() for c in frame}
        cause_columns = {g: causes[g].to_numpy(dtype=object).copy() for g in causes}
        for position in several:
            values, row_causes = _several(service_ids.iloc[position], keys.iloc[position], index.by_integration_key)
            for column, value in values.items():
                columns[column][position] = value
            for group, text in row_causes.items():
                cause_columns[group][position] = text
        frame = pd.DataFrame({c: pd.Series(v, index=e.index, dtype=object) for c, v in columns.items()})
        causes = {g: pd.Series(v, index=e.index, dtype=object) for g, v in cause_columns.items()}
    return frame, causes
