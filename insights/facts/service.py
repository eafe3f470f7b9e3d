"""Facts about the PagerDuty service an entity resolves to."""

from __future__ import annotations

import pandas as pd

from insights.facts.base import Fact, each

SOURCE = "PagerDuty services"
UNKNOWN_MEANS = "no well-formed PagerDuty annotation to look up"
FACTS = [
    Fact("pagerduty.service_found", "boolean",
         "The annotated service exists in PagerDuty (unknown when no well-formed annotation).", SOURCE),
    Fact("pagerduty.service_status", "string", "active, warning, critical, maintenance or disabled.", SOURCE),
    Fact("pagerduty.service_name", "string", "The PagerDuty service's name.", SOURCE),
    Fact("pagerduty.service_url", "string", "Link to the service in PagerDuty's web app.", SOURCE),
    Fact("pagerduty.service_has_description", "boolean", "The PagerDuty service has a description.", SOURCE),
    Fact("pagerduty.service_teams", "list", "Names of the PagerDuty teams the service belongs to.", SOURCE),
    Fact("pagerduty.service_shared", "boolean", "Other entities resolve to the same PagerDuty service.", SOURCE),
    Fact("pagerduty.service_shared_with", "list", "Refs of the other entities on the same service.", SOURCE),
    Fact("pagerduty.standards_score", "number",
         "PagerDuty Service Standards score, % of standards passing (collected when `pagerduty.standards` is on).",
         SOURCE, unknown_means="Service Standards are not collected"),
]


def _percent(score: dict | None) -> float | None:
    if not score or not score.get("total"):
        return None
    return round(100 * score.get("passing", 0) / score["total"], 1)


def compute(facts: pd.DataFrame, context) -> pd.DataFrame:
    index = context.pagerduty
    ids = facts["pagerduty.service_id"]
    service = each(ids, lambda i: index.services.get(i) if i else None)
    found = pd.Series([None if i is None else s is not None for i, s in zip(ids, service)], index=facts.index,
                      dtype=object)
    # An integration key that matches no service is a resolution that found nothing.
    keys_unmatched = facts["pagerduty.integration_key_present"].astype(bool) & ids.isna() & \
        facts["pagerduty.annotation_valid"].eq(True)
    found[keys_unmatched] = False

    def field(name, default=None):
        return each(service, lambda s: s.get(name, default) if s else None)

    users: dict[str, list[str]] = {}
    for ref, service_id in ids.items():
        if service_id in index.services:
            users.setdefault(service_id, []).append(ref)
    shared_with = pd.Series([sorted(set(users.get(i, [])) - {ref}) if i in index.services else None
                             for ref, i in ids.items()], index=facts.index, dtype=object)
    return pd.DataFrame({
        "pagerduty.service_found": found,
        "pagerduty.service_status": field("status"),
        "pagerduty.service_name": field("name"),
        "pagerduty.service_url": field("html_url"),
        "pagerduty.service_has_description": each(service, lambda s: bool((s.get("description") or "").strip())
                                                         if s else None),
        "pagerduty.service_teams": each(service, lambda s: [t.get("summary") or t.get("name") for t in s.get("teams", [])]
                                               if s else None),
        "pagerduty.service_shared": each(shared_with, lambda w: None if w is None else len(w) > 0),
        "pagerduty.service_shared_with": shared_with,
        "pagerduty.standards_score": each(ids, lambda i: _percent(index.standards.get(i)) if i else None),
    }, index=facts.index)
